"""The whole checkout journey, end to end through the stack: catalog to order."""
import pytest

from cartkit import add, articles, assert_fynd_error, get_cart, money, raw_of
from conftest import BASE, reset_state

V2 = BASE.replace("v1.0", "v2.0")


@pytest.fixture
def app(plain_app):
    """Priced without the default promotions, so each total can be checked as a plain sum."""
    reset_state(plain_app)
    return plain_app


def test_catalog_to_order(client, catalog):
    """Catalog → cart → address → shipments → payment → checkout → order id, stock reduced, cart closed."""
    # Catalog: two items the admin API lists, with stock.
    listing = client.get("/_cartwright/catalog").json()
    a, b = articles(catalog, min_stock=3)[:2]
    assert {a.item_id, b.item_id} <= {p["item_id"] for p in listing["products"]}
    # Cart: two of one, one of the other.
    cart = add(client, [(a, 2), (b, 1)], user_id="shopper").json()["cart"]
    cart_id = cart["id"]
    # Address at a served PIN code that takes cash on delivery, selected for the cart.
    pin = next(p for p in catalog.pincodes if p.serviceable and p.cod)
    r = client.post(f"{BASE}/address", json={"user_id": "shopper", "area_code": pin.pincode, "name": "Asha",
                                             "address": "12 MG Road", "city": pin.city})
    assert r.status_code == 200, r.text
    address_id = r.json()["id"]
    r = client.post(f"{BASE}/select-address?b=true", json={"id": address_id, "cart_id": cart_id})
    assert r.status_code == 201 and r.json()["is_valid"] is True, r.text
    # Shipments: grouped by the stores that fulfil the lines, each with the PIN code's promise.
    shipments = client.get(f"{BASE}/shipment?id={cart_id}").json()
    stores = {a.store_uid, b.store_uid}
    assert len(shipments["shipments"]) == len(stores)
    # Payment: cash on delivery adds its charge to the total.
    before = raw_of(get_cart(client, f"id={cart_id}&b=true").json())
    r = client.put(f"{BASE}/payment?id={cart_id}", json={"payment_mode": "COD", "address_id": address_id})
    assert r.status_code == 200, r.text
    total = raw_of(r.json())["total"]
    assert total == before["total"] + 49
    assert total == money(a.effective * 2 + b.effective) + before["delivery_charge"] + 49
    # Checkout: an order id, for the cart's total.
    r = client.post(f"{V2}/checkout?id={cart_id}", json={
        "id": cart_id, "user_id": "shopper", "order_type": "HomeDelivery", "address_id": address_id,
        "payment_methods": [{"mode": "COD", "payment_meta": {}}]})
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["success"] is True and order["order_id"].startswith("FY")
    assert order["cart"]["order_id"] == order["order_id"]
    assert raw_of(order["cart"])["total"] == total
    # Stock reduced: another shopper can no longer take what was sold.
    left = a.stock - 2
    assert_fynd_error(add(client, [(a, left + 1)], user_id="next"), 400, f"only {left}")
    # Cart closed: writes to it fail; the shopper's next add starts a new cart.
    assert_fynd_error(client.post(f"{BASE}/platform-pos-coupon?id={cart_id}", json={"coupon_code": "X"}), 400,
                      "checked out")
    fresh = add(client, [(b, 1)], user_id="shopper").json()["cart"]
    assert fresh["id"] != cart_id and len(fresh["items"]) == 1
    # And the order is not placed twice.
    again = client.post(f"{V2}/checkout?id={cart_id}", json={
        "id": cart_id, "user_id": "shopper", "order_type": "HomeDelivery", "address_id": address_id,
        "payment_methods": [{"mode": "COD", "payment_meta": {}}]})
    assert again.json()["order_id"] == order["order_id"]


def test_checkout_refuses_unserved_and_no_cod_addresses(client, catalog):
    """Checkout to an address whose PIN is not served, or COD where there is none, is refused; the cart stays open."""
    a = articles(catalog)[0]
    cart_id = add(client, [(a, 1)], user_id="u").json()["cart"]["id"]
    no_cod = next((p for p in catalog.pincodes if p.serviceable and not p.cod), None)
    unserved = next(p for p in catalog.pincodes if not p.serviceable)
    bad = client.post(f"{BASE}/address", json={"user_id": "u", "area_code": unserved.pincode, "name": "A",
                                               "address": "x", "city": unserved.city}).json()["id"]
    body = {"id": cart_id, "user_id": "u", "order_type": "HomeDelivery",
            "payment_methods": [{"mode": "CARD", "payment_meta": {}}]}
    assert_fynd_error(client.post(f"{V2}/checkout?id={cart_id}", json={**body, "address_id": bad}), 400,
                      unserved.pincode)
    if no_cod is not None:
        ok = client.post(f"{BASE}/address", json={"user_id": "u", "area_code": no_cod.pincode, "name": "A",
                                                  "address": "x", "city": no_cod.city}).json()["id"]
        r = client.post(f"{V2}/checkout?id={cart_id}", json={
            **body, "address_id": ok, "payment_methods": [{"mode": "COD", "payment_meta": {}}]})
        assert_fynd_error(r, 400, "cash on delivery")
    assert get_cart(client, f"id={cart_id}").json()["items"]


def test_cart_shows_the_selected_addresses_promise(client, catalog):
    """After an address is selected, reading the cart gives that PIN code's delivery promise."""
    a = articles(catalog)[0]
    pin = next(p for p in catalog.pincodes if p.serviceable)
    cart_id = add(client, [(a, 1)], user_id="u").json()["cart"]["id"]
    assert "delivery_promise" not in get_cart(client, f"id={cart_id}").json()
    address_id = client.post(f"{BASE}/address", json={"user_id": "u", "area_code": pin.pincode, "name": "A",
                                                      "address": "x", "city": pin.city}).json()["id"]
    client.post(f"{BASE}/select-address", json={"id": address_id, "cart_id": cart_id})
    promise = get_cart(client, f"id={cart_id}").json()["delivery_promise"]
    assert promise["iso"]["min"].startswith(f"2026-11-{22 + pin.promise_min_days}")
