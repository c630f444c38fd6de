"""Any well-formed Indian PIN code is served, its promise and COD derived from the code; the catalog's entries win."""
import json
import re
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings as hsettings, strategies as st

from cartkit import add, articles, assert_fynd_error
from conftest import BASE, ROOT

from cartwright.sandbox.domain.catalog import Catalog
from cartwright.sandbox.domain.pincodes import APS_EXTRA_DAYS, COD_MAX_KM, derived_pincode, distance_km

V2 = BASE.replace("v1.0", "v2.0")


STORES = Catalog.from_dict(json.loads((ROOT / "fixtures" / "catalog.json").read_text())).stores


@hsettings(max_examples=300, deadline=None)
@given(code=st.integers(100000, 999999))
def test_every_well_formed_code_is_served_the_same_way_each_time(code):
    """Six digits not starting with 0: served, a promise of some days to two more, the same answer twice."""
    pin = derived_pincode(str(code), STORES)
    assert pin.serviceable and pin.pincode == str(code) and pin.city and pin.state
    assert 1 <= pin.promise_min_days and pin.promise_max_days == pin.promise_min_days + 2
    assert derived_pincode(str(code), STORES) == pin


def test_malformed_codes_are_not_pincodes(catalog):
    """Five or seven digits, a leading 0, letters: no entry, so not served."""
    for code in ("56003", "5600381", "012345", "56003a", ""):
        assert derived_pincode(code, catalog.stores) is None and catalog.pincode(code) is None


def test_the_promise_and_cod_follow_the_distance_to_the_nearest_store(catalog):
    """A code in a store's sorting district is that store's city, next day; far from every store, no COD and
    longer; the Army Postal Service never COD and slower."""
    bengaluru = next(s for s in catalog.stores if s.city == "Bengaluru")
    near = derived_pincode("560038", catalog.stores)
    assert (near.city, near.state, near.promise_min_days, near.cod) == ("Bengaluru", "Karnataka", 1, True)
    delhi_only = (replace(catalog.stores[0], pincode="110024", city="Delhi", latitude=Decimal("28.6"),
                          longitude=Decimal("77.2")),)
    kochi = derived_pincode("682020", delhi_only)
    assert distance_km(9.93, 76.27, 28.6, 77.2) > COD_MAX_KM
    assert (kochi.city, kochi.cod, kochi.promise_min_days) == ("Kochi", False, 4)
    assert derived_pincode("682020", catalog.stores).cod   # Bengaluru's store is near enough
    field_post = derived_pincode("999999", delhi_only)
    assert field_post.cod is False and field_post.promise_min_days == 1 + APS_EXTRA_DAYS
    assert derived_pincode(bengaluru.pincode, catalog.stores).city == "Bengaluru"


def test_the_catalogs_entries_win(catalog):
    """A listed code keeps its entry: unserviceable and COD-less codes stay so."""
    for listed in catalog.pincodes:
        assert catalog.pincode(listed.pincode) is listed
    assert any(not p.serviceable for p in catalog.pincodes) and any(p.serviceable and not p.cod
                                                                     for p in catalog.pincodes)


def test_an_integrators_office_pin_code_goes_all_the_way_to_an_order(client, catalog):
    """An address at 560038 (Bengaluru, not in the catalog): select it, pay by COD (v1), check out (v2)."""
    assert catalog._index["pincode"].get("560038") is None
    a = articles(catalog)[0]
    cart_id = add(client, [(a, 1)], user_id="asha").json()["cart"]["id"]
    address_id = client.post(f"{BASE}/address", json={"user_id": "asha", "area_code": "560038", "name": "Asha",
                                                      "address": "12 CMH Road", "city": "Bengaluru"}).json()["id"]
    r = client.post(f"{BASE}/select-address", json={"id": address_id, "cart_id": cart_id})
    assert r.status_code == 201 and r.json()["is_valid"] is True, r.text
    assert re.match(r"2026-11-23", r.json()["delivery_promise"]["iso"]["min"])
    r = client.put(f"{BASE}/payment?id={cart_id}", json={"payment_mode": "COD", "address_id": address_id})
    assert r.status_code == 200, r.text
    r = client.post(f"{V2}/checkout?id={cart_id}", json={"id": cart_id, "user_id": "asha", "address_id": address_id,
                                                         "order_type": "HomeDelivery",
                                                         "payment_methods": [{"mode": "COD", "payment_meta": {}}]})
    assert r.status_code == 200 and r.json()["order_id"].startswith("FY"), r.text
    modes = client.get(f"{BASE}/available-delivery-mode?area_code=560038").json()
    assert "HomeDelivery" in modes["available_modes"] and modes["pickup_stores"]


def test_listed_unserved_and_cod_less_codes_are_still_refused(client, catalog):
    """The seeded catalog's unserviceable code is refused at checkout, its COD-less code refuses COD."""
    a = articles(catalog)[0]
    cart_id = add(client, [(a, 1)], user_id="ravi").json()["cart"]["id"]
    unserved = next(p for p in catalog.pincodes if not p.serviceable)
    no_cod = next(p for p in catalog.pincodes if p.serviceable and not p.cod)
    ids = {}
    for pin in (unserved, no_cod):
        ids[pin.pincode] = client.post(f"{BASE}/address", json={"user_id": "ravi", "area_code": pin.pincode,
                                                                "name": "Ravi", "city": pin.city}).json()["id"]
    assert_fynd_error(client.put(f"{BASE}/payment?id={cart_id}", json={
        "payment_mode": "CARD", "address_id": ids[unserved.pincode]}), 400, "not serviceable")
    assert_fynd_error(client.put(f"{BASE}/payment?id={cart_id}", json={
        "payment_mode": "COD", "address_id": ids[no_cod.pincode]}), 400, "cash on delivery")
