"""The admin API: protected whenever the API is, bounded reseeds that do not hold up other clients."""
import asyncio

import httpx
import pytest

from cartkit import assert_fynd_error, served
from conftest import BASE

PROTECTED = [("post", "/_cartwright/reset", None), ("post", "/_cartwright/reseed", {"seed": 3, "size": 2}),
             ("get", "/_cartwright/catalog", None)]


@pytest.fixture(scope="module")
def locked_app(settings):
    """A sandbox taking only the API tokens 'sesame' and 'open'."""
    from cartwright.sandbox import create_app

    return create_app(settings.replace(tokens=frozenset({"sesame", "open"})))


@pytest.fixture(scope="module")
def admin_token_app(settings):
    """A sandbox whose API is open to any token but whose admin API has a token of its own."""
    from cartwright.sandbox import create_app

    return create_app(settings.replace(admin_token="root-secret"))


def call(client, method, path, body, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return getattr(client, method)(path, headers=headers, **({"json": body} if body is not None else {}))


@pytest.mark.parametrize("method,path,body", PROTECTED)
def test_admin_operations_need_an_api_token_when_the_api_does(locked_app, method, path, body):
    """With --tokens, reset, reseed and catalog refuse a missing or unknown token with 401 and take an API token."""
    with locked_app.test_client() as c:
        assert_fynd_error(call(c, method, path, body), 401)
        assert_fynd_error(call(c, method, path, body, token="guess"), 401)
        assert call(c, method, path, body, token="sesame").status_code == 200


def test_admin_refusal_changes_nothing(locked_app):
    """A reset refused for want of a token forgets no cart."""
    with locked_app.test_client(headers={"Authorization": "Bearer sesame"}) as c:
        listing = c.get("/_cartwright/catalog").json()
        item = listing["products"][0]
        body = {"user_id": "u", "items": [{"item_id": item["item_id"], "item_size": item["sizes"][0]["size"]}]}
        assert c.post(f"{BASE}/detail", json=body).status_code == 200
    with locked_app.test_client() as anonymous:
        assert anonymous.post("/_cartwright/reset").status_code == 401
        assert anonymous.get("/_cartwright/health").json()["carts"] == 1


def test_health_stays_open(locked_app):
    """health answers without a token, so probes and load balancers need none."""
    with locked_app.test_client() as c:
        assert c.get("/_cartwright/health").status_code == 200


@pytest.mark.parametrize("method,path,body", PROTECTED)
def test_admin_token_overrides_the_api_tokens(admin_token_app, method, path, body):
    """With --admin-token, only that token opens the admin API, even where the API takes any token."""
    with admin_token_app.test_client() as c:
        assert_fynd_error(call(c, method, path, body), 401)
        assert_fynd_error(call(c, method, path, body, token="any-api-token"), 401)
        assert call(c, method, path, body, token="root-secret").status_code == 200
        assert c.get(f"{BASE}/basic?id=x", headers={"Authorization": "Bearer any-api-token"}).status_code == 404


def test_admin_is_open_when_the_api_is(client):
    """Without --tokens or --admin-token the admin API, like the API, takes requests without a token."""
    assert client.post("/_cartwright/reset", headers={"Authorization": ""}).status_code == 200


def test_admin_spec_says_which_operations_need_a_token(locked_app, client):
    """The served admin spec declares bearer auth on all but health when protected, and none when open."""
    with locked_app.test_client() as c:
        spec = c.get("/_cartwright/openapi.json").json()
    assert spec["security"] == [{"bearer": []}] and spec["paths"]["/health"]["get"]["security"] == []
    assert "security" not in client.get("/_cartwright/openapi.json").json()


def test_reseed_above_the_size_cap_is_refused(settings):
    """A reseed larger than max_catalog_size is a 400 naming size, and the catalog stays."""
    from cartwright.sandbox import create_app

    app = create_app(settings.replace(max_catalog_size=10, catalog_size=8))
    with app.test_client() as c:
        assert_fynd_error(c.post("/_cartwright/reseed", json={"seed": 1, "size": 11}), 400, "size", "10")
        assert c.get("/_cartwright/health").json()["seed"] == settings.seed
        assert c.post("/_cartwright/reseed", json={"seed": 1, "size": 10}).json()["products"] == 10


def test_start_up_catalog_above_the_cap_is_refused(settings):
    """A start-up catalog_size above max_catalog_size stops the sandbox with a message naming both."""
    from cartwright.sandbox import SandboxError, create_app

    with pytest.raises(SandboxError, match="catalog_size.*max_catalog_size"):
        create_app(settings.replace(catalog_size=11, max_catalog_size=10))


def test_reseed_does_not_hold_up_other_clients(settings):
    """While a large reseed generates its catalog, other clients are answered (it runs off the event loop)."""
    from cartwright.sandbox import create_app

    app = create_app(settings.replace(validate_responses=False))

    async def scenario(port):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            reseed = asyncio.create_task(c.post("/_cartwright/reseed", json={"seed": 9, "size": 800}))
            await asyncio.sleep(0.05)   # the reseed has started
            answered_meanwhile = 0
            while not reseed.done():
                r = await c.get("/_cartwright/health")
                if not reseed.done():
                    answered_meanwhile += r.status_code == 200
            return answered_meanwhile, (await reseed).json()

    with served(app) as port:
        answered, health = asyncio.run(scenario(port))
    assert health["seed"] == 9 and health["products"] == 800
    assert answered >= 1
