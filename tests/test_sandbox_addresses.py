"""Addresses, select-address and shipments through the whole Connexion stack, responses validated."""
from datetime import datetime, timedelta

import pytest

from cartkit import add, articles, assert_fynd_error, get_cart, money, raw_of
from conftest import BASE, FROZEN_NOW, reset_state, stored_cart, change_cart

NOW = datetime.fromisoformat(FROZEN_NOW)
OTHER_APP = "/service/platform/cart/v1.0/company/1/application/app-2"


@pytest.fixture
def app(plain_app):
    """Carts here are priced without promotions, so delivery charges and totals are plain sums."""
    reset_state(plain_app)
    return plain_app


def served(catalog):
    return next(p for p in catalog.pincodes if p.serviceable)


def unserved(catalog):
    return next(p for p in catalog.pincodes if not p.serviceable)


def new_address(client, user_id="user-1", area_code="110017", **fields):
    r = client.post(f"{BASE}/address", json={"user_id": user_id, "area_code": area_code, "name": "Asha",
                                             "address": "12 MG Road", "city": "Delhi", **fields})
    assert r.status_code == 200, r.text
    return r.json()["id"]


def listed(client, query="user_id=user-1"):
    r = client.get(f"{BASE}/address?{query}")
    assert r.status_code == 200, r.text
    return r.json()


def cheap(catalog):
    """An article priced below the free-delivery threshold, so a cart of one unit pays delivery."""
    return next(a for a in articles(catalog, min_stock=3) if a.effective < 499)


def two_stores(catalog):
    """Two articles from different stores, where the first's store does not sell the second's item and size."""
    pool = articles(catalog, min_stock=2)
    return next((a, b) for a in pool for b in pool if a.store_uid != b.store_uid
                and not any(x.store_uid == a.store_uid for x in catalog.articles_for(b.item_id, b.size)))


def cart_of(client, *lines, user_id="user-1"):
    r = add(client, [(a, 1) for a in lines], user_id=user_id)
    assert r.status_code == 200, r.text
    return r.json()["cart"]["id"]


def expected_promise(pin):
    return {"min": (NOW + timedelta(days=pin.promise_min_days)).isoformat().replace("+00:00", "Z"),
            "max": (NOW + timedelta(days=pin.promise_max_days)).isoformat().replace("+00:00", "Z")}


# ---------------------------------------------------------------------- CRUD
def test_added_address_persists_and_reads_back(client):
    """An added address is readable by id and listed for its user, as given plus id and defaults."""
    address_id = new_address(client, tags=["home"], phone="9876543210")
    r = client.get(f"{BASE}/address/{address_id}")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["id"], doc["user_id"], doc["area_code"], doc["name"]) == (address_id, "user-1", "110017", "Asha")
    assert (doc["area_code_slug"], doc["checkout_mode"], doc["is_active"]) == ("pincode", "self", True)
    body = listed(client)
    assert [a["id"] for a in body["address"]] == [address_id]
    assert body["validation_config"]["user_address_count"] == 1


def test_first_address_is_default_and_a_new_default_clears_the_old(client):
    """A user's first address is the default; adding another as default makes it the only one."""
    first = new_address(client)
    second = client.post(f"{BASE}/address", json={"user_id": "user-1", "area_code": "400005"}).json()
    assert second["is_default_address"] is False
    third = client.post(f"{BASE}/address", json={"user_id": "user-1", "area_code": "560034",
                                                 "is_default_address": True}).json()
    assert third["is_default_address"] is True
    defaults = {a["id"]: a["is_default_address"] for a in listed(client)["address"]}
    assert defaults == {first: False, second["id"]: False, third["id"]: True}
    assert [a["id"] for a in listed(client, "user_id=user-1&is_default=true")["address"]] == [third["id"]]


def test_update_replaces_the_document_and_keeps_the_default(client):
    """PUT replaces the address (201); without is_default_address the address stays the default."""
    address_id = new_address(client, landmark="near the park")
    r = client.put(f"{BASE}/address/{address_id}", json={"user_id": "user-1", "area_code": "400076",
                                                        "name": "Ravi"})
    assert r.status_code == 201, r.text
    assert r.json() == {"id": address_id, "is_default_address": True, "success": True, "is_updated": True}
    doc = client.get(f"{BASE}/address/{address_id}").json()
    assert (doc["area_code"], doc["name"], doc["is_default_address"]) == ("400076", "Ravi", True)
    assert "landmark" not in doc


def test_removed_address_is_gone(client):
    """DELETE answers 201 is_deleted; the address is then unknown and no longer listed."""
    keep, gone = new_address(client), new_address(client, area_code="400005")
    r = client.delete(f"{BASE}/address/{gone}?user_id=user-1")
    assert r.status_code == 201, r.text
    assert r.json() == {"id": gone, "is_deleted": True}
    assert_fynd_error(client.get(f"{BASE}/address/{gone}"), 404, "id", gone)
    assert [a["id"] for a in listed(client)["address"]] == [keep]


def test_list_filters(client):
    """mobile_no, tags (any case), is_default and checkout_mode (default self) narrow the list."""
    home = new_address(client, phone="9876543210", tags=["Home"])
    work = new_address(client, phone="9123456780", tags=["work"])
    gift = new_address(client, checkout_mode="others")

    def ids(query):
        return [a["id"] for a in listed(client, f"user_id=user-1&{query}")["address"]]

    assert ids("") == [home, work]
    assert ids("mobile_no=9123456780") == [work]
    assert ids("tags=home") == [home]
    assert ids("is_default=true") == [home]
    assert ids("is_default=false") == [home, work]
    assert ids("checkout_mode=others") == [gift]
    assert listed(client)["validation_config"]["user_address_count"] == 3
    assert_fynd_error(client.get(f"{BASE}/address?user_id=user-1&checkout_mode=friends"), 400, "checkout_mode")


def test_list_by_cart_finds_the_carts_user(client, catalog):
    """Without user_id, cart_id names the user; an unknown cart is 404 and no user at all is 400."""
    mine = new_address(client)
    cart_id = cart_of(client, cheap(catalog))
    assert [a["id"] for a in listed(client, f"cart_id={cart_id}")["address"]] == [mine]
    assert_fynd_error(client.get(f"{BASE}/address?cart_id=nope"), 404, "cart_id", "nope")
    assert_fynd_error(client.get(f"{BASE}/address"), 400, "user_id")


def test_addresses_belong_to_their_user_and_application(client):
    """Another user's address is not found through that user, nor in another application."""
    address_id = new_address(client, user_id="user-1")
    new_address(client, user_id="user-2", area_code="400005")
    assert_fynd_error(client.get(f"{BASE}/address/{address_id}?user_id=user-2"), 404, "id", address_id)
    assert_fynd_error(client.delete(f"{BASE}/address/{address_id}?user_id=user-2"), 404, address_id)
    assert [a["user_id"] for a in listed(client, "user_id=user-2")["address"]] == ["user-2"]
    assert listed(client, "user_id=user-2")["address"][0]["is_default_address"] is True
    assert_fynd_error(client.get(f"{OTHER_APP}/address/{address_id}"), 404, address_id)
    assert client.get(f"{BASE}/address/{address_id}").status_code == 200


def test_unknown_address_ids_are_404(client):
    """Reading, updating, removing or selecting an unknown address is 404 naming it."""
    body = {"user_id": "user-1", "area_code": "110017"}
    assert_fynd_error(client.get(f"{BASE}/address/abc"), 404, "id", "abc")
    assert_fynd_error(client.put(f"{BASE}/address/abc", json=body), 404, "id", "abc")
    assert_fynd_error(client.delete(f"{BASE}/address/abc"), 404, "id", "abc")
    assert_fynd_error(client.post(f"{BASE}/select-address", json={"id": "abc"}), 404, "id", "abc")


@pytest.mark.parametrize("body, field", [
    ({"area_code": "110017"}, "user_id"),
    ({"user_id": "user-1"}, "area_code"),
    ({"user_id": "user-1", "area_code": "1100"}, "area_code"),
    ({"user_id": "user-1", "area_code": "110017", "phone": "12-34"}, "phone"),
    ({"user_id": "user-1", "area_code": "110017", "email": "not-mail"}, "email"),
    ({"user_id": "user-1", "area_code": "110017", "checkout_mode": "friends"}, "checkout_mode"),
])
def test_bad_addresses_are_400_and_store_nothing(client, body, field):
    """A malformed address is refused naming the field, and nothing is stored."""
    assert_fynd_error(client.post(f"{BASE}/address", json=body), 400, field)
    assert listed(client)["address"] == []


def test_update_cannot_move_an_address_to_another_user(client):
    """PUT with another user_id is 400 naming user_id; the address is unchanged."""
    address_id = new_address(client)
    before = client.get(f"{BASE}/address/{address_id}").json()
    r = client.put(f"{BASE}/address/{address_id}", json={"user_id": "user-2", "area_code": "400005"})
    assert_fynd_error(r, 400, "user_id")
    assert client.get(f"{BASE}/address/{address_id}").json() == before


# ---------------------------------------------------------------------- select-address
def test_select_address_sets_the_delivery_promise(client, catalog):
    """Selecting a served address answers 201 with the PIN code's promise on the cart and each item."""
    pin = served(catalog)
    address_id = new_address(client, area_code=pin.pincode)
    cart_id = cart_of(client, cheap(catalog))
    r = client.post(f"{BASE}/select-address?b=true", json={"id": address_id, "cart_id": cart_id,
                                                           "checkout_mode": "self"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["is_valid"] is True and body["id"] == cart_id
    assert body["delivery_promise"]["iso"] == expected_promise(pin)
    assert [i["delivery_promise"]["iso"] for i in body["items"]] == [expected_promise(pin)]
    assert "breakup_values" in body
    # The cart keeps the address: shipments without a PIN code promise delivery there.
    shipments = client.get(f"{BASE}/shipment?id={cart_id}").json()
    assert shipments["delivery_promise"]["iso"] == expected_promise(pin)
    assert get_cart(client, f"id={cart_id}").json()["checkout_mode"] == "self"


def test_selected_address_wins_over_the_default(client, catalog):
    """Shipments use the cart's selected address rather than the user's default one."""
    default_pin, other_pin = [p for p in catalog.pincodes if p.serviceable and p.promise_max_days][:2]
    new_address(client, area_code=default_pin.pincode)
    chosen = new_address(client, area_code=other_pin.pincode)
    cart_id = cart_of(client, cheap(catalog))
    before = client.get(f"{BASE}/shipment?id={cart_id}").json()
    assert before["delivery_promise"]["iso"] == expected_promise(default_pin)
    assert client.post(f"{BASE}/select-address?cart_id={cart_id}", json={"id": chosen}).status_code == 201
    after = client.get(f"{BASE}/shipment?id={cart_id}").json()
    assert after["delivery_promise"]["iso"] == expected_promise(other_pin)


def test_select_unserviceable_address_says_so_and_changes_nothing(client, app, catalog):
    """At a PIN code that is not served the answer has is_valid false naming it; the cart is unchanged."""
    pin = unserved(catalog)
    address_id = new_address(client, area_code=pin.pincode)
    cart_id = cart_of(client, cheap(catalog))
    before = get_cart(client, f"id={cart_id}&b=true").json()
    r = client.post(f"{BASE}/select-address", json={"id": address_id, "cart_id": cart_id})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["is_valid"] is False and body["restrict_checkout"] is True
    assert pin.pincode in body["message"] and "delivery_promise" not in body
    assert [i["availability"]["deliverable"] for i in body["items"]] == [False]
    assert get_cart(client, f"id={cart_id}&b=true").json() == before
    assert stored_cart(app, cart_id).address_id is None


def test_select_address_checks_user_and_ids(client, catalog):
    """Another user's address, a missing id, an unknown billing address or cart are refused by field."""
    theirs = new_address(client, user_id="user-2")
    mine = new_address(client)
    cart_id = cart_of(client, cheap(catalog))
    assert_fynd_error(client.post(f"{BASE}/select-address", json={"id": theirs, "cart_id": cart_id}), 400, "id",
                      "user-2")
    assert_fynd_error(client.post(f"{BASE}/select-address", json={"cart_id": cart_id}), 400, "id")
    assert_fynd_error(client.post(f"{BASE}/select-address", json={"id": mine, "cart_id": cart_id,
                                                                 "billing_address_id": theirs}),
                      404, "billing_address_id")
    assert_fynd_error(client.post(f"{BASE}/select-address", json={"id": mine, "cart_id": "nope"}), 404, "nope")
    assert_fynd_error(client.post(f"{BASE}/select-address", json={"id": theirs}), 404, "cart_id", "user-2")


def test_select_address_without_cart_id_uses_the_users_cart(client, catalog):
    """Without cart_id, the address's user's active cart is the one selected for."""
    address_id = new_address(client)
    cart_id = cart_of(client, cheap(catalog))
    r = client.post(f"{BASE}/select-address?i=false", json={"id": address_id, "user_id": "user-1"})
    assert r.status_code == 201, r.text
    assert r.json()["id"] == cart_id and "items" not in r.json()


# ---------------------------------------------------------------------- shipments
def test_shipments_group_lines_by_store_with_promises(client, catalog):
    """One shipment per fulfilling store, holding its lines, with the promise at area_code."""
    a, b = two_stores(catalog)
    pin = served(catalog)
    cart_id = cart_of(client, a, b)
    r = client.get(f"{BASE}/shipment?id={cart_id}&area_code={pin.pincode}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["is_valid"] is True
    by_store = {s["fulfillment_id"]: s for s in body["shipments"]}
    assert set(by_store) == {a.store_uid, b.store_uid}
    for art in (a, b):
        shipment = by_store[art.store_uid]
        assert [x["article_id"] for x in shipment["articles"]] == [art.article_id]
        assert [i["article"]["uid"] for i in shipment["items"]] == [art.article_id]
        assert shipment["order_type"] == "HomeDelivery" and shipment["promise"]["iso"] == expected_promise(pin)
    shares = sum(money(i["price"]["base"]["effective"]) for s in body["shipments"] for i in s["items"])
    assert shares == raw_of(body)["subtotal"] == a.effective + b.effective


def test_shipments_at_an_unserviceable_pin_have_no_promise(client, catalog):
    """At a PIN code that is not served the shipments are listed with is_valid false and no promise."""
    cart_id = cart_of(client, cheap(catalog))
    body = client.get(f"{BASE}/shipment?id={cart_id}&area_code={unserved(catalog).pincode}").json()
    assert body["is_valid"] is False and unserved(catalog).pincode in body["message"]
    assert "promise" not in body["shipments"][0] and "delivery_promise" not in body


def test_shipments_need_a_known_cart(client):
    """Shipments name the cart by id: missing is 400, unknown 404; an unknown address_id is 404."""
    assert_fynd_error(client.get(f"{BASE}/shipment"), 400, "id")
    assert_fynd_error(client.get(f"{BASE}/shipment?id=nope"), 404, "nope")
    cart_id = client.get(f"{BASE}/detail?user_id=user-1").json()["id"]
    assert_fynd_error(client.get(f"{BASE}/shipment?id={cart_id}&address_id=zz"), 404, "address_id", "zz")
    assert_fynd_error(client.get(f"{BASE}/shipment?id={cart_id}&pick_at_store_uid=1"), 404, "pick_at_store_uid")


def test_pick_at_store_removes_the_delivery_charge(client, catalog):
    """Updating shipments to PickAtStore sets the pick-up store; the cart then pays no delivery charge."""
    a = cheap(catalog)
    cart_id = cart_of(client, a)
    assert raw_of(get_cart(client, f"id={cart_id}&b=true").json())["delivery_charge"] == 49
    r = client.put(f"{BASE}/shipment?id={cart_id}&order_type=PickAtStore",
                   json={"shipments": [{"article_uid": a.article_id, "shipment_type": "single_shipment"}]})
    assert r.status_code == 200, r.text
    assert [s["order_type"] for s in r.json()["shipments"]] == ["PickAtStore"]
    raw = raw_of(get_cart(client, f"id={cart_id}&b=true").json())
    assert raw["delivery_charge"] == 0 and raw["total"] == a.effective
    assert client.get(f"{BASE}/shipment?id={cart_id}").json()["shipments"][0]["order_type"] == "PickAtStore"
    r = client.put(f"{BASE}/shipment?id={cart_id}&order_type=HomeDelivery",
                   json={"shipments": [{"article_uid": a.article_id, "shipment_type": "single_shipment"}]})
    assert r.status_code == 200, r.text
    assert raw_of(get_cart(client, f"id={cart_id}&b=true").json())["delivery_charge"] == 49


def test_pickup_store_that_does_not_stock_the_items_is_refused(client, catalog):
    """PickAtStore at a store that does not sell every line is 400 naming shipments; nothing changes."""
    a, b = two_stores(catalog)
    cart_id = cart_of(client, a, b)
    before = get_cart(client, f"id={cart_id}&b=true").json()
    r = client.put(f"{BASE}/shipment?id={cart_id}&order_type=PickAtStore",
                   json={"shipments": [{"article_uid": a.article_id, "shipment_type": "single_shipment"}]})
    assert_fynd_error(r, 400, "shipments", str(a.store_uid), str(b.item_id))
    assert get_cart(client, f"id={cart_id}&b=true").json() == before


def test_update_shipments_changes_quantities_and_checks_entries(client, catalog):
    """A shipment entry sets its line's quantity; unknown articles, bad types and short stock are refused."""
    a = cheap(catalog)
    cart_id = cart_of(client, a)
    entry = {"article_uid": a.article_id, "shipment_type": "single_shipment"}
    r = client.put(f"{BASE}/shipment?id={cart_id}", json={"shipments": [{**entry, "quantity": 2}]})
    assert r.status_code == 200, r.text
    assert r.json()["shipments"][0]["articles"][0]["quantity"] == "2"
    assert get_cart(client, f"id={cart_id}").json()["items"][0]["quantity"] == 2
    before = get_cart(client, f"id={cart_id}&b=true").json()
    put = lambda shipments: client.put(f"{BASE}/shipment?id={cart_id}", json={"shipments": shipments})
    assert_fynd_error(put([{**entry, "article_uid": "nope"}]), 404, "shipments[0].article_uid", "nope")
    assert_fynd_error(put([{**entry, "shipment_type": "by_drone"}]), 400, "shipments[0].shipment_type")
    assert_fynd_error(put([{**entry, "quantity": a.stock + 1}]), 400, "shipments[0].quantity")
    assert_fynd_error(put([]), 400, "shipments")
    assert get_cart(client, f"id={cart_id}&b=true").json() == before


def test_checked_out_cart_refuses_address_and_shipment_changes(client, app, catalog):
    """A cart closed by checkout cannot get an address or shipment changes (400 naming id)."""
    a = cheap(catalog)
    address_id = new_address(client)
    cart_id = cart_of(client, a)
    change_cart(app, cart_id, order_id="FY-1")
    assert_fynd_error(client.post(f"{BASE}/select-address", json={"id": address_id, "cart_id": cart_id}), 400,
                      "checked out")
    r = client.put(f"{BASE}/shipment?id={cart_id}&order_type=PickAtStore",
                   json={"shipments": [{"article_uid": a.article_id, "shipment_type": "single_shipment"}]})
    assert_fynd_error(r, 400, "checked out")
    assert stored_cart(app, cart_id).order_type is None
