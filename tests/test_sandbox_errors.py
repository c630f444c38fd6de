"""Bad input, auth and unknown routes: 4xx in the API's own error shape, never 500, never half-written."""
import json

import pytest

from cartkit import add, article, assert_fynd_error, get_cart
from conftest import AUTH, BASE


def test_malformed_json_is_400(client):
    """A body that is not JSON is a 400 in the Fynd shape."""
    r = client.post(f"{BASE}/detail", content=b"{not json", headers={"Content-Type": "application/json"})
    assert_fynd_error(r, 400)


def test_wrong_types_name_the_field(client):
    """A body field of the wrong type is a 400 naming its path."""
    r = client.post(f"{BASE}/detail", json={"items": [{"item_id": "seven", "item_size": "M"}]})
    assert_fynd_error(r, 400, "items[0].item_id", "seven")


def test_wrong_query_type_names_the_parameter(client):
    """A query parameter of the wrong type is a 400 naming the parameter."""
    assert_fynd_error(client.get(f"{BASE}/store-address?store_uid=abc"), 400, "store_uid")
    assert_fynd_error(client.get(f"{BASE}/detail?user_id=u&order_type=Drone"), 400, "Drone")


def test_missing_required_body_field_is_named(client):
    """A missing required body field is a 400 naming it."""
    assert_fynd_error(client.put(f"{BASE}/detail", json={"items": []}), 400, "operation")


def test_huge_body_is_413_and_changes_nothing(client, app, catalog):
    """A body over the size limit is refused with 413 before it is parsed."""
    add(client, [(article(catalog), 1)])
    before = get_cart(client).json()
    items = [{"item_id": 1, "item_size": "M", "meta": {"pad": "x" * 1000}}] * (
        app.sandbox.settings.max_body_bytes // 1000)
    r = client.post(f"{BASE}/detail", json={"user_id": "user-1", "items": items})
    assert_fynd_error(r, 413, "larger than")
    assert get_cart(client).json() == before


def test_each_app_keeps_its_own_body_limit(settings, catalog):
    """An app built before another with a smaller body limit still takes bodies up to its own limit."""
    from cartwright.sandbox import create_app

    roomy = create_app(settings)
    create_app(settings.replace(max_body_bytes=50))
    with roomy.test_client(headers=AUTH) as c:
        assert add(c, [(article(catalog), 1)], meta={"note": "x" * 100}).status_code == 200


def test_huge_chunked_body_is_413(client, app):
    """A body without Content-Length is counted as it arrives and refused past the limit."""
    limit = app.sandbox.settings.max_body_bytes

    def chunks():
        for _ in range(limit // 10_000 + 2):
            yield b" " * 10_000

    r = client.post(f"{BASE}/detail", content=chunks(), headers={"Content-Type": "application/json"})
    assert_fynd_error(r, 413)


@pytest.mark.parametrize("compiled", [True, False])
def test_chunked_bodies_are_taken_like_any_other(settings, catalog, compiled):
    """A body sent in chunks without Content-Length is added, refused naming the field, or missing, as sent."""
    from cartwright.sandbox import create_app

    a = article(catalog)
    good = json.dumps({"user_id": "chunked", "items": [{"item_id": a.item_id, "item_size": a.size}]}).encode()

    def chunked(payload: bytes):
        yield from (payload[:9], payload[9:])

    with create_app(settings, compiled=compiled).test_client(headers=AUTH) as c:
        post = lambda payload: c.post(f"{BASE}/detail", content=chunked(payload),  # noqa: E731
                                      headers={"Content-Type": "application/json"})
        r = post(good)
        assert r.status_code == 200, r.text
        assert [i["product"]["uid"] for i in r.json()["cart"]["items"]] == [a.item_id]
        assert_fynd_error(post(b'{"items": "x"}'), 400, "items")
        assert_fynd_error(post(b""), 400, "RequestBody is required")


def test_unknown_route_and_method(client):
    """An unknown path is 404 and a wrong method 405, both in the Fynd shape."""
    assert_fynd_error(client.get(f"{BASE}/nowhere"), 404, "nowhere")
    assert_fynd_error(client.delete(f"{BASE}/detail"), 405, "DELETE")


def test_405_names_every_method_the_path_takes(client):
    """A 405 carries an Allow header (RFC 9110) listing every method of the path, not just the first route's."""
    cases = [("DELETE", f"{BASE}/detail", "GET, HEAD, POST, PUT"),
             ("PATCH", f"{BASE}/coupon/abc", "DELETE, GET, HEAD, PUT"),
             ("GET", "/api/v0/cart", "POST"), ("POST", "/_cartwright/health", "GET, HEAD")]
    for method, path, allowed in cases:
        r = client.request(method, path)
        assert (r.status_code, r.headers.get("allow")) == (405, allowed), (method, path, r.headers)


def test_missing_token_is_401(app):
    """Without a bearer token the API answers 401 in the Fynd shape."""
    with app.test_client() as c:
        assert_fynd_error(c.get(f"{BASE}/detail?user_id=u"), 401)


def test_required_tokens_setting(settings):
    """With tokens configured, only those are accepted; others get 401."""
    from cartwright.sandbox import create_app

    app = create_app(settings.replace(tokens=frozenset({"sesame"})))
    with app.test_client() as c:
        assert_fynd_error(c.get(f"{BASE}/detail?user_id=u", headers={"Authorization": "Bearer other"}), 401)
        assert c.get(f"{BASE}/detail?user_id=u", headers={"Authorization": "Bearer sesame"}).status_code == 200


@pytest.mark.parametrize("body", [[], "text", 42, None, {"items": "nope"}, {"items": [None]}])
def test_odd_bodies_are_400(client, body):
    """Bodies of the wrong JSON type are refused with 400, never 500."""
    r = client.post(f"{BASE}/detail", content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert_fynd_error(r, 400)


def test_empty_items_is_400(client):
    """Adding no items is refused, naming items."""
    assert_fynd_error(add(client, []), 400, "items")


def test_error_shapes_follow_the_api(app):
    """Errors under /api/ (EnKash) take the EnKash shape; Fynd paths the Fynd shape."""
    from cartwright.sandbox.web.errors import error_body

    assert error_body("/api/v0/cart", 400, "bad") == {"response_code": 400, "response_message": "bad"}
    assert error_body(BASE, 404, "gone") == {"success": False, "message": "gone", "error": "NotFound"}
    with app.test_client(headers=AUTH) as c:
        r = c.post("/api/v0/cart?product=VOUCHER", json={})
        assert r.status_code >= 400 and "response_code" in r.json()


def test_body_that_is_not_utf8_is_400(client):
    """A body with bytes that are not UTF-8 is a 400, not a server error (found by Schemathesis)."""
    r = client.put(f"{BASE}/update-user?id=x", content=b'{"user_id": "\xff\xfe"}',
                   headers={"Content-Type": "application/json"})
    assert_fynd_error(r, 400, "UTF-8")


def test_unexpected_error_is_500_in_shape_and_logged_with_traceback(client, app, catalog, monkeypatch, caplog):
    """An unexpected exception answers 500 in the Fynd shape and is logged with its traceback."""
    cart_id = add(client, [(article(catalog), 1)]).json()["cart"]["id"]

    def broken(cart):
        raise RuntimeError("deliberately broken count")

    monkeypatch.setattr(app.sandbox.carts, "count", broken)
    with caplog.at_level("ERROR", logger="cartwright.sandbox"):
        r = client.get(f"{BASE}/basic?id={cart_id}")
    assert_fynd_error(r, 500, "RuntimeError")
    logged = [rec for rec in caplog.records if rec.name == "cartwright.sandbox"]
    assert logged and logged[-1].exc_info is not None and logged[-1].exc_info[0] is RuntimeError
    assert "deliberately broken count" in caplog.text and "Traceback" in caplog.text
