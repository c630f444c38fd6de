"""The spec as the sandbox serves it (for Swagger UI and other tools), and gzip for large answers."""
import gzip
import http.client
import json

import httpx

from cartkit import served
from conftest import AUTH, BASE

IDENTITY = {"Accept-Encoding": "identity"}


def test_served_spec_is_the_committed_one_with_this_sandbox_as_its_server(client, openapi):
    """/openapi.json and /openapi.yaml serve spec/openapi.yaml as written (its $refs and examples), with the
    address they were fetched from as the one server; the admin API's spec names its own base path."""
    import yaml

    served_spec = client.get("/openapi.json").json()
    assert served_spec["servers"] == [{"url": "http://testserver", "description": "this sandbox"}]
    assert {**served_spec, "servers": openapi["servers"]} == openapi
    assert yaml.safe_load(client.get("/openapi.yaml").text) == served_spec
    admin = client.get("/_cartwright/openapi.json").json()
    assert admin["servers"] == [{"url": "http://testserver/_cartwright", "description": "this sandbox"}]


def test_try_it_out_calls_the_sandbox_it_was_served_from(session_app, openapi):
    """Over a real socket the served server is the sandbox's own address (any port), and an example sent to that
    server and the spec's path reaches its operation: the spec's `servers` (http://127.0.0.1:8080) moved no
    route."""
    assert openapi["servers"][0]["url"] == "http://127.0.0.1:8080"
    with served(session_app) as port:
        spec = httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()
        [server] = spec["servers"]
        assert server["url"] == f"http://127.0.0.1:{port}"
        path = "/service/platform/cart/v1.0/company/{company_id}/application/{application_id}/detail"
        parameters = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        url = server["url"] + path.format(company_id=parameters["company_id"]["example"],
                                          application_id=parameters["application_id"]["example"])
        r = httpx.get(url, params={"user_id": parameters["user_id"]["examples"]["by-user"]["value"]}, headers=AUTH)
        assert r.status_code == 200 and r.json()["id"]


def test_large_answers_are_gzipped_for_clients_that_accept_it(client):
    """The spec (~550 kB) goes gzipped to a client accepting gzip, whole otherwise; a cart answer (below 32 KiB)
    is never compressed."""
    zipped = client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/openapi.json", headers=IDENTITY)
    assert zipped.headers["content-encoding"] == "gzip" and "accept-encoding" in zipped.headers["vary"].lower()
    assert "content-encoding" not in plain.headers
    assert zipped.json() == plain.json()  # httpx decompressed it
    assert int(zipped.headers["content-length"]) * 5 < int(plain.headers["content-length"])
    cart = client.post(f"{BASE}/detail?b=true", headers={"Accept-Encoding": "gzip"},
                       json={"user_id": "zip", "items": [{"item_id": 7500001, "item_size": "L", "quantity": 1}]})
    assert cart.status_code == 200 and "content-encoding" not in cart.headers


def test_gzip_over_a_socket(session_app):
    """Through uvicorn the spec arrives as gzip bytes that decompress to the JSON document."""
    with served(session_app) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/openapi.json", headers={"Accept-Encoding": "gzip"})
        answer = connection.getresponse()
        body = answer.read()
        connection.close()
    assert answer.status == 200 and answer.getheader("Content-Encoding") == "gzip"
    assert body[:2] == b"\x1f\x8b" and json.loads(gzip.decompress(body))["openapi"] == "3.0.3"
