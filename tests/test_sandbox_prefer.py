"""Forced answers (`Prefer: code=`, `example=`, `fault=`) through the whole stack: the API's error shapes, the
spec's examples, business faults through the domain's own paths, and no state changed by any of them."""
import copy

import pytest

from cartkit import add, article, articles, assert_fynd_error, get_cart, raw_of
from conftest import AUTH, BASE
from test_sandbox_cart_offers import apply, untouched
from test_sandbox_checkout import v2
from test_sandbox_vouchers import URL as VOUCHER_URL, TOKEN as VOUCHER_TOKEN

from cartwright.sandbox import create_app

V2 = BASE.replace("v1.0", "v2.0")


def prefer(value: str) -> dict:
    return {"Prefer": value}


def tables(client) -> dict:
    """Everything the state holds (counters aside: a refused change may skip a number)."""
    return client.get("/_cartwright/state").json()["tables"]


def test_a_documented_error_code_is_answered_in_the_fynd_shape(client, catalog):
    """Prefer: code=404 answers 404 in Fynd's error shape, and the cart it names is untouched."""
    cart_id = add(client, [(article(catalog), 1)]).json()["cart"]["id"]
    before = tables(client)
    r = client.get(f"{BASE}/detail?id={cart_id}", headers=prefer("code=404"))
    assert_fynd_error(r, 404, "Prefer: code=404")
    assert r.json()["error"] == "NotFound"
    r = client.post(f"{BASE}/detail", json={"user_id": "u", "items": []}, headers=prefer("code=413"))
    assert_fynd_error(r, 413, "code=413")
    assert tables(client) == before


def test_a_documented_error_code_is_answered_in_the_enkash_shape(client):
    """On EnKash's voucher add-to-cart, Prefer: code=400 answers EnKash's error shape."""
    r = client.post(VOUCHER_URL, json={"productCatalogId": 1, "items": {}}, headers={**VOUCHER_TOKEN,
                                                                                     **prefer("code=400")})
    assert r.status_code == 400 and r.json() == {"response_code": 400, "response_message": "forced by Prefer: code=400"}


@pytest.mark.parametrize("value, words", [
    ("code=418", ["code=418", "not documented", "getCart", "200, 400, 401, 404"]),
    ("code=abc", ["code=abc", "not an HTTP status"]),
    ("example=nope", ["example=nope", "no example of that name", "examples: by-user"]),
    ("fault=meteor", ["fault=meteor", "out-of-stock", "price-changed"]),
    ("fault=payment-declined", ["payment-declined", "does not apply to getCart", "platformCheckoutCartV2"]),
    ("fault=out-of-stock, code=404", ["not combined"]),
])
def test_a_preference_that_cannot_be_honoured_is_a_400_saying_why(client, value, words):
    """An undocumented code, an unknown example or business fault, a fault on an operation it does not apply to:
    a 400 naming what can be asked for instead."""
    assert_fynd_error(client.get(f"{BASE}/detail?user_id=u", headers=prefer(value)), 400, *words)


def test_a_documented_success_code_answers_the_specs_example(client, openapi):
    """Prefer: code=200 answers the spec's recorded example for 200 (the bundled spec has one for every
    operation), and stores nothing."""
    before = tables(client)
    r = client.get(f"{BASE}/detail?user_id=u", headers=prefer("code=200"))
    path = "/service/platform/cart/v1.0/company/{company_id}/application/{application_id}/detail"
    recorded = openapi["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["examples"]
    assert r.status_code == 200 and r.json() == recorded["by-user"]["value"]
    assert tables(client) == before


def test_other_preferences_are_ignored(client):
    """Preferences the sandbox does not act on (RFC 7240's return=minimal, respond-async) change nothing."""
    r = client.get(f"{BASE}/detail?user_id=u", headers=prefer("return=minimal, respond-async"))
    assert r.status_code == 200 and r.json()["success"] is True


def test_a_forced_answer_still_needs_a_token(app):
    """Security comes first: without a bearer token a forced answer is still 401."""
    with app.test_client() as c:
        assert_fynd_error(c.get(f"{BASE}/detail?user_id=u", headers=prefer("code=404")), 401)


@pytest.fixture(scope="module")
def example_app(settings, openapi):
    """A sandbox whose spec gives getCart other named examples, one by $ref, and none for 200 on addItems."""
    spec = copy.deepcopy(openapi)
    get_cart_op = spec["paths"]["/service/platform/cart/v1.0/company/{company_id}/application/{application_id}/detail"]["get"]
    get_cart_op["responses"]["200"]["content"]["application/json"]["examples"] = {
        "empty": {"value": {"success": True, "items": [], "id": "000000000000000000000001"}},
        "one-line": {"$ref": "#/components/examples/OneLine"}}
    get_cart_op["responses"]["404"]["content"]["application/json"]["examples"] = {
        "gone": {"value": {"success": False, "message": "no cart 42", "error": "NotFound"}}}
    spec.setdefault("components", {}).setdefault("examples", {})["OneLine"] = {
        "value": {"success": True, "items": [{"quantity": 1}], "id": "000000000000000000000002"}}
    add_items_op = spec["paths"]["/service/platform/cart/v1.0/company/{company_id}/application/{application_id}/detail"]["post"]
    add_items_op["responses"]["200"]["content"]["application/json"].pop("examples", None)
    add_items_op["responses"]["200"]["content"]["application/json"].pop("example", None)
    return create_app(settings, spec=spec)


def test_named_examples_are_answered_with_their_status(example_app):
    """Prefer: example=NAME answers the spec's example of that name with its response's status ($refs followed);
    code=200 answers the first 200 example; code and example together must agree."""
    with example_app.test_client(headers=AUTH) as c:
        r = c.get(f"{BASE}/detail?user_id=u", headers=prefer('example="one-line"'))
        assert r.status_code == 200 and r.json() == {"success": True, "items": [{"quantity": 1}],
                                                     "id": "000000000000000000000002"}
        r = c.get(f"{BASE}/detail?user_id=u", headers=prefer("example=gone"))
        assert r.status_code == 404 and r.json()["message"] == "no cart 42"
        r = c.get(f"{BASE}/detail?user_id=u", headers=prefer("code=200"))
        assert r.status_code == 200 and r.json()["id"] == "000000000000000000000001"
        assert c.get(f"{BASE}/detail?user_id=u", headers=prefer("code=404, example=gone")).status_code == 404
        assert_fynd_error(c.get(f"{BASE}/detail?user_id=u", headers=prefer("code=200, example=gone")), 400,
                          "example=gone", "empty, one-line")


def test_a_success_code_without_an_example_is_a_400(example_app):
    """Prefer: code=200 on an operation whose spec gives no 200 example is a 400 saying so (the sandbox does not
    run the operation to make one)."""
    with example_app.test_client(headers=AUTH) as c:
        r = c.post(f"{BASE}/detail", json={"user_id": "u", "items": []}, headers=prefer("code=200"))
        assert_fynd_error(r, 400, "code=200", "no example for 200")


# --------------------------------------------------------------------------- business faults
def test_out_of_stock_refuses_an_add_through_the_domain_and_changes_nothing(client, catalog):
    """fault=out-of-stock: the add is refused as the domain refuses an add beyond stock (naming the item); a read
    shows the cart's lines unavailable; nothing is stored."""
    a = article(catalog)
    add(client, [(a, 1)])
    before = tables(client)
    r = client.post(f"{BASE}/detail", json={"user_id": "user-1", "items": [
        {"item_id": a.item_id, "item_size": a.size, "quantity": 1}]}, headers=prefer("fault=out-of-stock"))
    assert_fynd_error(r, 400, "items[0].quantity", f"only 0 more of item {a.item_id} size {a.size}")
    shown = get_cart(client, "user_id=user-1&b=true").json()
    forced = client.get(f"{BASE}/detail?user_id=user-1", headers=prefer("fault=out-of-stock")).json()
    assert shown["is_valid"] is True and forced["is_valid"] is False and "out of stock" in forced["message"]
    assert tables(client) == before


def test_a_fault_that_does_not_arise_is_refused_and_changes_nothing(client, catalog):
    """fault=price-changed on a payment-mode selection that names no amounts (prices do not matter to it): refused
    as not arising, and the mode is not stored; with amounts, the changed total is what refuses it."""
    a = articles(catalog)[0]
    cart_id = add(client, [(a, 1)]).json()["cart"]["id"]
    before = tables(client)
    url = f"{V2}/payment?id={cart_id}"
    r = client.put(url, json={"payment_methods": [{"mode": "UPI", "payment_meta": {}}]},
                   headers=prefer("fault=price-changed"))
    assert_fynd_error(r, 400, "fault=price-changed does not arise", "nothing was changed")
    total = raw_of(get_cart(client, f"id={cart_id}&b=true").json())["total"]
    r = client.put(url, json={"payment_methods": [{"mode": "UPI", "amount": float(total), "payment_meta": {}}]},
                   headers=prefer("fault=price-changed"))
    assert_fynd_error(r, 400, "payment_methods", "not the cart's total")
    assert tables(client) == before


def test_unserviceable_refuses_a_checkout_to_a_served_pin_code(client, catalog):
    """fault=unserviceable: a serviceability check says the PIN code is not served, and a home-delivery checkout
    to a saved address there is refused naming the code; the cart stays open."""
    pin = next(p for p in catalog.pincodes if p.serviceable)
    a = articles(catalog, min_stock=2)[0]
    cart_id = add(client, [(a, 1)]).json()["cart"]["id"]
    address_id = client.post(f"{BASE}/address", json={"user_id": "user-1", "area_code": pin.pincode, "name": "A",
                                                      "address": "1 Road", "city": pin.city}).json()["id"]
    quote = client.post(f"{BASE}/cart/serviceability", headers=prefer("fault=unserviceable"), json={
        "cart_items": [{"product_id": str(a.item_id), "size": a.size, "quantity": 1}],
        "shipping_address": {"area_code": pin.pincode}}).json()
    assert "is not serviceable" in quote["message"]
    before = tables(client)
    r = client.post(f"{V2}/checkout?id={cart_id}", headers=prefer("fault=unserviceable"), json={
        "id": cart_id, "user_id": "user-1", "order_type": "HomeDelivery", "address_id": address_id,
        "payment_methods": [{"mode": "CARD", "payment_meta": {}}]})
    assert_fynd_error(r, 400, "address_id", pin.pincode, "not serviceable")
    assert tables(client) == before
    assert v2(client, cart_id, order_type="HomeDelivery", address_id=address_id).status_code == 200


def test_unserviceable_shows_wherever_a_pin_code_is_checked(client, catalog):
    """fault=unserviceable at a served PIN code: no home delivery among the delivery modes, shipments without a
    promise, an address there selected as not served, a payment mode for it refused; nothing changes."""
    store = catalog.stores[0]
    pin = next(p for p in catalog.pincodes if p.serviceable and p.city == store.city)
    cart_id = add(client, [(articles(catalog, min_stock=2)[0], 1)]).json()["cart"]["id"]
    address_id = client.post(f"{BASE}/address", json={"user_id": "user-1", "area_code": pin.pincode, "name": "A",
                                                      "address": "1 Road", "city": pin.city}).json()["id"]
    modes_url, shipments_url = (f"{BASE}/available-delivery-mode?area_code={pin.pincode}",
                                f"{BASE}/shipment?id={cart_id}&area_code={pin.pincode}")
    forced = prefer("fault=unserviceable")
    before = tables(client)
    modes = client.get(modes_url, headers=forced).json()
    assert modes["available_modes"] == ["PickAtStore"] and store.uid in modes["pickup_stores"]
    shipments = client.get(shipments_url, headers=forced).json()
    assert shipments["is_valid"] is False and pin.pincode in shipments["message"]
    assert "promise" not in shipments["shipments"][0]
    selected = client.post(f"{BASE}/select-address", json={"id": address_id, "cart_id": cart_id}, headers=forced)
    assert selected.status_code == 201 and selected.json()["is_valid"] is False
    assert pin.pincode in selected.json()["message"]
    r = client.put(f"{BASE}/payment?id={cart_id}", json={"payment_mode": "CARD", "address_id": address_id},
                   headers=forced)
    assert_fynd_error(r, 400, "address_id", pin.pincode, "not serviceable")
    assert tables(client) == before
    assert "HomeDelivery" in client.get(modes_url).json()["available_modes"]   # the next request: served again
    assert "promise" in client.get(shipments_url).json()["shipments"][0]


def test_unserviceable_takes_the_delivery_promise_off_a_cart_with_an_address_there(client, catalog):
    """fault=unserviceable on get-cart: a cart whose selected address is at a served PIN code shows no delivery
    promise for that request, and shows it again on the next."""
    pin = next(p for p in catalog.pincodes if p.serviceable)
    cart_id = add(client, [(articles(catalog, min_stock=2)[0], 1)]).json()["cart"]["id"]
    address_id = client.post(f"{BASE}/address", json={"user_id": "user-1", "area_code": pin.pincode, "name": "A",
                                                      "address": "1 Road", "city": pin.city}).json()["id"]
    assert client.post(f"{BASE}/select-address", json={"id": address_id, "cart_id": cart_id}).json()["is_valid"]
    assert "delivery_promise" in get_cart(client, f"id={cart_id}").json()
    forced = client.get(f"{BASE}/detail?id={cart_id}", headers=prefer("fault=unserviceable"))
    assert forced.status_code == 200 and "delivery_promise" not in forced.json()
    assert "delivery_promise" in get_cart(client, f"id={cart_id}").json()


def test_coupon_expired_refuses_a_live_coupon(client, app, catalog):
    """fault=coupon-expired: applying a live coupon is refused as expired (yesterday), and nothing is applied."""
    cart_id = add(client, [(untouched(app, catalog), 1)]).json()["cart"]["id"]
    r = client.post(f"{BASE}/platform-pos-coupon?id={cart_id}&b=true", json={"coupon_code": "WELCOME10"},
                    headers=prefer("fault=coupon-expired"))
    assert_fynd_error(r, 400, "coupon_code", "WELCOME10", "expired on 2026-11-21")
    assert raw_of(get_cart(client, f"id={cart_id}&b=true").json())["coupon"] == 0
    assert apply(client, cart_id, "WELCOME10").status_code == 201


def test_payment_declined_refuses_a_checkout_that_passes_every_other_check(client, catalog):
    """fault=payment-declined: a checkout that would succeed is refused as declined (mode and amount named);
    no order, no stock taken; without the fault it goes through."""
    a = articles(catalog, min_stock=2)[0]
    cart_id = add(client, [(a, 1)]).json()["cart"]["id"]
    before = tables(client)
    r = client.post(f"{V2}/checkout?id={cart_id}", headers=prefer("fault=payment-declined"), json={
        "id": cart_id, "user_id": "user-1", "order_type": "PickAtStore",
        "payment_methods": [{"mode": "CARD", "payment_meta": {}}]})
    assert_fynd_error(r, 400, "payment_mode", "CARD payment", "declined")
    assert tables(client) == before
    assert v2(client, cart_id).status_code == 200


def test_price_changed_refuses_a_checkout_naming_the_old_price(client, catalog):
    """fault=price-changed: the open-API checkout naming today's catalog price is refused with the new price
    (10% up); a read of a cart shows the new prices."""
    a = articles(catalog, min_stock=2)[0]
    pin = next(p for p in catalog.pincodes if p.serviceable)
    address = {"area_code": pin.pincode}
    total = float(a.effective)
    body = {"cart_value": total, "cashback_applied": 0, "billing_address": address, "shipping_address": address,
            "coupon_code": "", "coupon_value": 0, "delivery_charges": 0, "cod_charges": 0,
            "payment_methods": [{"mode": "CARD", "amount": total}],
            "cart_items": [{"product_id": a.item_id, "size": a.size, "quantity": 1, "price_effective": total,
                            "price_marked": float(a.marked), "amount_paid": total, "discount": 0, "cod_charges": 0,
                            "delivery_charges": 0, "cashback_applied": 0, "coupon_effective_discount": 0,
                            "payment_methods": [{"mode": "CARD", "amount": total}]}]}
    before = tables(client)
    r = client.post(f"{BASE}/cart/checkout", json=body, headers=prefer("fault=price-changed"))
    new_price = (a.effective * 110 / 100).quantize(a.effective)
    assert_fynd_error(r, 400, "cart_items[0].price_effective", f"today's price {new_price}")
    assert tables(client) == before
    add(client, [(a, 1)])
    [line] = client.get(f"{BASE}/detail?user_id=user-1", headers=prefer("fault=price-changed")).json()["items"]
    assert line["price"]["converted"]["effective"] == line["article"]["price"]["converted"]["effective"] == float(
        new_price)
    [line] = get_cart(client).json()["items"]   # the next request: the catalog's prices again
    assert line["price"]["converted"]["effective"] == line["article"]["price"]["converted"]["effective"] == float(
        a.effective)


def test_business_faults_are_listed_with_where_they_apply(client):
    """GET /_cartwright/business-faults lists the five faults, each with its description and operations."""
    listed = {f["name"]: f for f in client.get("/_cartwright/business-faults").json()["faults"]}
    assert set(listed) == {"out-of-stock", "unserviceable", "coupon-expired", "payment-declined", "price-changed"}
    assert "platformAddItems" in listed["out-of-stock"]["operations"]
    assert listed["payment-declined"]["operations"] == ["platformCheckoutCartV2", "checkoutCart", "overrideCart"]


def test_a_fault_forced_in_one_request_does_not_leak_into_the_next(client, catalog):
    """The next request without Prefer adds normally: the forced fault lasted one request."""
    a = article(catalog)
    assert client.post(f"{BASE}/detail", headers=prefer("fault=out-of-stock"), json={
        "user_id": "user-1", "items": [{"item_id": a.item_id, "item_size": a.size}]}).status_code == 400
    assert add(client, [(a, 1)]).status_code == 200
