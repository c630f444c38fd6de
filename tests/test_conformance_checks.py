"""The conformance kit's cart-invariant checks: silent on the clean sandbox, loud on broken ones."""
import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from cartwright import conformance
from broken import RewriteJson, cart_of
from conftest import AUTH, BASE, FROZEN_NOW
from cartwright.sandbox import Settings, create_app

APP = create_app(Settings(validate_responses=True, frozen_time=FROZEN_NOW))
CART_OPS = ["getCart", "platformAddItems", "platformUpdateCart", "getItemCount", "fetchAndValidateCartItems",
            "checkCartServiceability", "getAppCoupons", "applyCoupon", "removeCoupon", "getPromotionOffers",
            "addPriceAdjustment", "selectPaymentMode", "selectPaymentModeV2", "platformCheckoutCartV2",
            "checkoutCart", "overrideCart", "getShipments", "selectAddress", "getAbandonedCartDetails",
            "addVoucherToCart"]
STANDARD = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).include(operation_id=CART_OPS)
VOUCHER_URL = "/api/v0/cart?product=VOUCHER"


# --------------------------------------------------------------------------- helpers
@pytest.fixture
def client():
    """A test client on the module's app, its carts forgotten through the admin API."""
    with TestClient(APP, headers=AUTH) as c:
        assert c.post("/_cartwright/reset").status_code < 300
        yield c


def in_stock(client, n=3, min_stock=4):
    """``n`` (item_id, size) pairs of different products that have ``min_stock`` units in one store."""
    found = []
    for p in client.get("/_cartwright/catalog").json()["products"]:
        for s in p["sizes"]:
            if any(a["stock"] >= min_stock for a in s["articles"]):
                found.append({"item_id": p["item_id"], "item_size": s["size"]})
                break
        if len(found) == n:
            return found
    raise AssertionError("catalog has too few in-stock items")


def new_cart(client, items, user="conf-user"):
    r = client.post(f"{BASE}/detail?b=true", json={"user_id": user, "items": items})
    assert r.status_code == 200, r.text
    return r.json()["cart"]["id"]


def run_checks(response):
    """Failure messages of every response check on one response (data, like Schemathesis reports them)."""
    found = []
    for check in conformance.CART_CHECKS:
        try:
            check(None, response, None)
        except AssertionError as e:
            found.append(f"{getattr(e, 'title', check.__name__)}: {getattr(e, 'message', e)}")
    return found


def broken_client(rewrite, suffix, method=None):
    return TestClient(RewriteJson(APP, rewrite, suffix, method), headers=AUTH)


def swallow(method, suffix):
    """An ASGI app answering ``method …suffix`` with 200 ``{}`` without doing it; the rest reaches the sandbox."""
    async def app(scope, receive, send):
        if scope["type"] == "http" and scope["method"] == method and scope["path"].endswith(suffix):
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")]})
            return await send({"type": "http.response.body", "body": b"{}"})
        return await APP(scope, receive, send)
    return app


# --------------------------------------------------------------------------- clean sandbox
@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_keep_the_cart_invariants(case):
    """Generated requests on cart, offer, checkout and EnKash operations break no invariant and no standard check."""
    case.call_and_validate(headers=AUTH, checks=[*STANDARD, *conformance.CART_CHECKS])


def test_real_carts_keep_the_response_invariants(client):
    """Carts with promotions, a coupon, a charge adjustment, COD, a quote, shipments and EnKash vouchers pass every check."""
    items = in_stock(client, 3)
    cart_id = new_cart(client, [{**i, "quantity": 2} for i in items])
    responses = [client.get(f"{BASE}/detail?id={cart_id}&b=true"),
                 client.post(f"{BASE}/platform-pos-coupon?id={cart_id}&b=true", json={"coupon_code": "WELCOME10"})]
    cart = cart_of(responses[0].json())
    adj = {"cart_id": cart_id, "type": "charge", "value": 40, "message": "gift wrap",
           "article_level_distribution": False, "is_authenticated": True,
           "collection": {"refund_by": "seller", "collected_by": "seller"},
           "article_ids": [{"article_id": cart["items"][0]["article"]["uid"]}]}
    assert client.post(f"{BASE}/price-adjustment", json=adj).status_code == 201
    responses += [client.get(f"{BASE}/detail?id={cart_id}&b=true"),
                  client.put(f"{BASE}/detail?id={cart_id}&b=true", json={"operation": "update_item", "items": [
                      {"identifiers": cart["items"][0]["identifiers"], "quantity": 1}]}),
                  client.put(f"{BASE}/payment?id={cart_id}", json={"payment_mode": "COD"}),
                  client.post(f"{BASE}/cart/validate", json={"cart_items": [
                      {"product_id": str(items[1]["item_id"]), "size": items[1]["item_size"], "quantity": 1}]}),
                  client.get(f"{BASE}/shipment?id={cart_id}"),
                  client.post(VOUCHER_URL, json={"productCatalogId": "PC7513531244A681", "items": {
                      "PCN424863322N4Z7V": {"quantity": 2, "description": ""}, "PCN751457389RC1ST": {"quantity": 3, "description": ""}}})]
    with_breakup = [r for r in responses if "breakup_values" in r.text or "payload" in r.text]
    assert len(with_breakup) == len(responses) == 8, [r.status_code for r in responses]
    assert "Price Adjustment" in responses[2].text and "COD Charges" in responses[4].text
    assert [f for r in responses for f in run_checks(r)] == []


def test_flow_checks_hold_on_real_carts(client):
    """Item count, coupon apply/remove and add/remove round trips find nothing on carts built through the API."""
    items = in_stock(client, 3)
    cart_id = new_cart(client, [{**items[0], "quantity": 2}, {**items[1], "quantity": 1}])
    assert conformance.check_item_count(client, BASE, cart_id) == []
    assert conformance.check_count_follows_changes(client, BASE, cart_id, items[2]) == []  # a new line
    assert conformance.check_count_follows_changes(client, BASE, cart_id, items[0]) == []  # an existing one
    assert conformance.check_item_count(lambda m, u, **kw: client.request(m, u, **kw), BASE, cart_id) == []
    for code in ("WELCOME10", "FREESHIP"):
        assert conformance.check_coupon_round_trip(client, BASE, cart_id, code) == []
    assert conformance.check_add_remove_round_trip(client, BASE, cart_id, {**items[2], "quantity": 1}) == []
    assert conformance.check_add_remove_round_trip(client, BASE, cart_id, {**items[0], "quantity": 1}) == []


# --------------------------------------------------------------------------- broken variants
def _bump_total(body):
    cart_of(body)["breakup_values"]["raw"]["total"] += 10
    return body


def test_total_off_by_ten_is_caught_by_schemathesis():
    """A raw.total 10 above vog + delivery + COD fails breakup_adds_up inside a Schemathesis call, with the numbers."""
    broken = RewriteJson(APP, _bump_total, "/detail", "GET")
    op = schemathesis.openapi.from_asgi("/openapi.json", broken).include(operation_id=["getCart"])
    with TestClient(APP, headers=AUTH) as c:
        c.post("/_cartwright/reset")
        new_cart(c, [{**in_stock(c, 1)[0], "quantity": 1}], user="u9")
    [result] = list(op.get_all_operations())
    case = result.ok().Case(path_parameters={"company_id": "1", "application_id": "app-1"},
                            query={"user_id": "u9", "b": True})
    with pytest.raises(FailureGroup) as info:
        case.call_and_validate(headers=AUTH, checks=[*STANDARD, *conformance.CART_CHECKS])
    [failure] = info.value.exceptions
    assert isinstance(failure, conformance.InvariantViolated) and failure.title == "breakup_adds_up"
    assert "total = vog + delivery + COD + charges: total = " in failure.message and "off by 10" in failure.message


def test_display_disagreeing_with_raw_is_caught(client):
    """A display line whose value differs from its raw field fails display_matches_raw, naming the key."""
    cart_id = new_cart(client, [{**in_stock(client, 1)[0], "quantity": 1}])

    def rewrite(body):
        for d in cart_of(body)["breakup_values"]["display"]:
            if d["key"] == "subtotal":
                d["value"] += 5
        return body
    with broken_client(rewrite, "/detail") as bc:
        found = run_checks(bc.get(f"{BASE}/detail?id={cart_id}&b=true"))
    assert len(found) == 1 and found[0].startswith("display_matches_raw") and "'subtotal'" in found[0], found


def test_line_total_not_matching_is_caught(client):
    """A line whose price.base.effective does not add up to raw.subtotal fails breakup_adds_up with both sums."""
    items = in_stock(client, 2)
    cart_id = new_cart(client, [{**items[0], "quantity": 2}, {**items[1], "quantity": 1}])

    def rewrite(body):
        cart_of(body)["items"][1]["price"]["base"]["effective"] += 3
        return body
    with broken_client(rewrite, "/detail") as bc:
        found = run_checks(bc.get(f"{BASE}/detail?id={cart_id}&b=true"))
    assert len(found) == 1 and found[0].startswith("breakup_adds_up"), found
    assert "subtotal = sum of lines' price.base.effective" in found[0] and "2 line(s)" in found[0]


def test_enkash_wrong_line_total_is_caught(client):
    """An EnKash config line whose total is not sellRate × quantity fails enkash_totals, as do the entry's sums."""
    def rewrite(body):
        line = body["payload"][0]["items"]["PCN751457389RC1ST"]
        line["total"] += 1
        return body
    with broken_client(rewrite, "/api/v0/cart") as bc:
        r = bc.post(VOUCHER_URL, json={"productCatalogId": "PC7513531244A681",
                                       "items": {"PCN751457389RC1ST": {"quantity": 3, "description": ""}}})
    [found] = run_checks(r)
    assert found.startswith("enkash_totals") and "total = sellRate x quantity: total = 295 but 98 x 3 = 294" in found
    assert "totalAmount = 294 but the 1 item(s) sum to 295" in found


def test_item_count_not_the_sum_of_quantities_is_caught(client, monkeypatch):
    """An app whose basic count is one more than the units fails item_count_matches_cart with both numbers."""
    items = in_stock(client, 2)
    cart_id = new_cart(client, [{**items[0], "quantity": 2}, {**items[1], "quantity": 3}])
    carts = APP.sandbox.carts
    real = carts.count
    monkeypatch.setattr(carts, "count", lambda cart: real(cart) + 1)  # this app instance only
    [failure] = conformance.check_item_count(client, BASE, cart_id)
    assert failure.check == "item_count_matches_cart" and failure.operation == "GET basic"
    assert failure.numbers == {"count": 6, "quantities": [2, 3], "after": "reading the cart"}, failure


def test_coupon_removal_not_restoring_is_caught(client):
    """A DELETE platform-pos-coupon that leaves the coupon on is reported, naming the operation and the totals."""
    cart_id = new_cart(client, [{**i, "quantity": 2} for i in in_stock(client, 2)])
    with TestClient(swallow("DELETE", "/platform-pos-coupon"), headers=AUTH) as bc:
        failures = conformance.check_coupon_round_trip(bc, BASE, cart_id, "WELCOME10")
    assert [f.operation for f in failures] == ["DELETE platform-pos-coupon"], failures
    assert "did not restore" in failures[0].message and "total" in failures[0].numbers["diff"]


def test_coupon_not_moving_the_total_is_caught(client):
    """An apply answer whose total ignores the coupon is reported against the apply operation."""
    cart_id = new_cart(client, [{**i, "quantity": 2} for i in in_stock(client, 2)])
    client.delete(f"{BASE}/platform-pos-coupon?uid={cart_id}")  # no auto-apply coupon: WELCOME10 moves from 0

    def rewrite(body):
        raw = cart_of(body)["breakup_values"]["raw"]
        raw["total"] -= raw["coupon"]
        return body
    with TestClient(RewriteJson(APP, rewrite, "/platform-pos-coupon", "POST"), headers=AUTH) as bc:
        failures = conformance.check_coupon_round_trip(bc, BASE, cart_id, "WELCOME10")
    assert [f.operation for f in failures] == ["POST platform-pos-coupon WELCOME10"], failures
    assert "total moved by 0" in failures[0].message


def test_add_remove_not_restoring_is_caught(client):
    """An update that does nothing leaves the added line: the round trip reports the lines and breakup not restored."""
    items = in_stock(client, 2)
    cart_id = new_cart(client, [{**items[0], "quantity": 1}])
    with TestClient(swallow("PUT", "/detail"), headers=AUTH) as bc:
        failures = conformance.check_add_remove_round_trip(bc, BASE, cart_id, {**items[1], "quantity": 2})
    assert [f.message.split(":")[0] for f in failures] == ["lines not restored", "breakup not restored"], failures
    assert failures[0].check == "add_remove_round_trip" and failures[0].operation == "PUT detail update_item"


def test_checks_stay_silent_where_they_do_not_apply():
    """Non-2xx answers, non-JSON bodies and bodies without the fields raise nothing (absence is no failure)."""
    import httpx

    def resp(status, body):
        return httpx.Response(status, content=body if isinstance(body, bytes) else json.dumps(body).encode())
    bad = {"breakup_values": {"raw": {"total": 1, "vog": 0, "delivery_charge": 0}}}
    assert run_checks(resp(200, bad)) != []  # the same body on a 2xx is caught ...
    for r in (resp(400, bad), resp(200, b"not json"), resp(200, {"breakup_values": {"raw": {"total": 5}}}),
              resp(200, {"items": [], "payload": [{"items": {"x": {"quantity": 1}}}]}), resp(204, b"")):
        assert run_checks(r) == []
