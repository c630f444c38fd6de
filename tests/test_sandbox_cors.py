"""CORS (Starlette's middleware): a browser page on another origin can call the sandbox."""
import http.client

import pytest

from cartkit import article, served
from conftest import AUTH, BASE

from cartwright.sandbox import create_app

PAGE = "http://shop.example:3000"


def preflight(client, path: str, method: str = "POST", origin: str = PAGE):
    return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                         "Access-Control-Request-Headers": "authorization, content-type, prefer"})


def test_a_real_preflight_then_the_call_from_another_origin(app, catalog):
    """Over a real socket, as a browser does: the preflight of a POST with a token and JSON is allowed (methods,
    the requested headers, no token needed for it), then the call's answer allows the page's origin."""
    a = article(catalog)
    with served(app) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("OPTIONS", f"{BASE}/detail?b=true", headers={
            "Origin": PAGE, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type"})
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 200
        assert answer.getheader("Access-Control-Allow-Origin") == "*"
        assert "POST" in answer.getheader("Access-Control-Allow-Methods")
        assert answer.getheader("Access-Control-Allow-Headers") == "authorization,content-type"
        assert int(answer.getheader("Access-Control-Max-Age")) > 0
        conn.request("POST", f"{BASE}/detail?b=true", headers={**AUTH, "Origin": PAGE, "Content-Type": "application/json"},
                     body=f'{{"user_id": "browser", "items": [{{"item_id": {a.item_id}, "item_size": "{a.size}"}}]}}')
        answer = conn.getresponse()
        assert answer.status == 200 and b'"cart"' in answer.read()
        assert answer.getheader("Access-Control-Allow-Origin") == "*"
        conn.close()


@pytest.mark.parametrize("path, method", [(f"{BASE}/detail", "PUT"), (f"{BASE}/coupon/x", "DELETE"),
                                          ("/service/platform/cart/v2.0/company/1/application/app-1/checkout", "POST"),
                                          ("/api/v0/cart?product=VOUCHER", "POST"), ("/_cartwright/reset", "POST")])
def test_every_operation_answers_a_preflight(client, path, method):
    """Preflights are answered on every path and method of both APIs and the admin API."""
    r = preflight(client, path, method)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"


def test_error_answers_carry_cors_headers_too(client):
    """A refusal (a 404, a 401 without a token) is readable by the page: it allows the origin as well."""
    r = client.get(f"{BASE}/detail?id=nope", headers={"Origin": PAGE})
    assert r.status_code == 404 and r.headers["access-control-allow-origin"] == "*"
    r = client.get(f"{BASE}/detail?id=nope", headers={"Origin": PAGE, "Authorization": ""})
    assert r.status_code == 401 and r.headers["access-control-allow-origin"] == "*"


def test_a_request_without_origin_gets_vary_and_no_allow_origin(client):
    """A server-side call (no Origin) gets no CORS header but Vary: Origin, so a cache keeps the two apart."""
    r = client.get(f"{BASE}/detail?user_id=u")
    assert r.headers["vary"] == "Origin" and "access-control-allow-origin" not in r.headers


def test_allowed_origins_are_a_setting(settings):
    """With cors_origins listed, only those origins are allowed (named back), a preflight from another is refused."""
    app = create_app(settings.replace(cors_origins=(PAGE,)))
    with app.test_client(headers=AUTH) as c:
        r = c.get(f"{BASE}/detail?user_id=u", headers={"Origin": PAGE})
        assert r.headers["access-control-allow-origin"] == PAGE
        assert "access-control-allow-origin" not in c.get(f"{BASE}/detail?user_id=u",
                                                          headers={"Origin": "http://evil.example"}).headers
        assert preflight(c, f"{BASE}/detail", origin="http://evil.example").status_code == 400
        assert preflight(c, f"{BASE}/detail").headers["access-control-allow-origin"] == PAGE


def test_cors_can_be_switched_off(settings):
    """cors=false: no CORS header anywhere, and a preflight is just an OPTIONS the path does not take (405)."""
    app = create_app(settings.replace(cors=False))
    with app.test_client(headers=AUTH) as c:
        r = c.get(f"{BASE}/detail?user_id=u", headers={"Origin": PAGE})
        assert "access-control-allow-origin" not in r.headers and "vary" not in r.headers
        assert preflight(c, f"{BASE}/detail").status_code == 405
