"""Running the sandbox: admin API, settings and CLI, determinism, concurrency."""
import asyncio
import json
import shlex

import httpx
import pytest

from cartkit import add, article, articles, get_cart, served
from conftest import AUTH, BASE, reset_state


def test_health_counts_carts(client, catalog):
    """health reports the catalog and how many carts exist."""
    assert client.get("/_cartwright/health").json()["carts"] == 0
    add(client, [(article(catalog), 1)])
    body = client.get("/_cartwright/health").json()
    assert (body["status"], body["seed"], body["products"], body["carts"]) == ("ok", 2026, len(catalog.products), 1)


def test_reset_forgets_carts(client, catalog):
    """reset removes every cart; the catalog stays."""
    cart_id = add(client, [(article(catalog), 1)]).json()["cart"]["id"]
    assert client.post("/_cartwright/reset").json()["carts"] == 0
    assert get_cart(client, f"id={cart_id}").status_code == 404


def test_reseed_builds_another_catalog(settings):
    """reseed swaps in the catalog of another seed and size."""
    from cartwright.sandbox import create_app

    app = create_app(settings)
    with app.test_client(headers=AUTH) as c:
        first = c.get("/_cartwright/catalog").json()
        r = c.post("/_cartwright/reseed", json={"seed": 7, "size": 5})
        assert r.status_code == 200 and r.json()["seed"] == 7 and r.json()["products"] == 5
        second = c.get("/_cartwright/catalog").json()
        assert second["products"] != first["products"][:5]
        assert c.post("/_cartwright/reseed", json={"seed": -1}).status_code == 400


def test_catalog_listing_names_what_can_be_added(client, catalog):
    """The admin catalog lists, per product and size, each store's article with price and stock."""
    listing = client.get("/_cartwright/catalog").json()
    product = listing["products"][0]
    size = product["sizes"][0]
    chosen = next(a for a in size["articles"])
    a = catalog.article(chosen["article_id"])
    assert (a.item_id, a.size, a.store_uid, a.stock) == (product["item_id"], size["size"], chosen["store_id"],
                                                          chosen["stock"])
    assert len(listing["stores"]) == len(catalog.stores)


def test_settings_from_environment_and_flags(monkeypatch):
    """CARTWRIGHT_* variables override defaults and CLI flags override both."""
    from cartwright.sandbox._cli import settings_from

    monkeypatch.setenv("CARTWRIGHT_PORT", "9001")
    monkeypatch.setenv("CARTWRIGHT_SEED", "5")
    monkeypatch.setenv("CARTWRIGHT_TOKENS", "a, b")
    s = settings_from(["serve", "--seed", "6", "--delivery-rules", "999:19,299:59"])
    assert (s.port, s.seed, s.tokens) == (9001, 6, frozenset({"a", "b"}))
    assert [(int(r.threshold), int(r.charge)) for r in s.delivery_rules] == [(299, 59), (999, 19)]


def test_bad_setting_is_refused(monkeypatch):
    """A setting that cannot be read is an error naming it."""
    from cartwright.sandbox import SandboxError
    from cartwright.sandbox._cli import settings_from

    monkeypatch.setenv("CARTWRIGHT_PORT", "eighty")
    with pytest.raises(SandboxError, match="port"):
        settings_from(["serve"])


def test_bad_catalog_file_stops_the_cli(tmp_path, capsys):
    """Starting on an invalid catalog file exits with a message naming the problem."""
    from cartwright.sandbox._cli import main

    path = tmp_path / "catalog.json"
    path.write_text('{"format": "cartwright.catalog/1"}')
    assert main(["serve", "--catalog-file", str(path)]) == 2
    assert "catalog" in capsys.readouterr().err


def test_custom_catalog_file_is_served(settings, tmp_path):
    """A catalog file given in the settings is what the sandbox sells."""
    from cartwright.sandbox import create_app
    from cartwright.sandbox.fixturegen import dump_catalog, generate_catalog

    path = tmp_path / "mine.json"
    path.write_text(dump_catalog(generate_catalog(seed=99, size=3)))
    app = create_app(settings.replace(catalog_file=path))
    assert [p.uid for p in app.sandbox.catalog.products] == [p["uid"] for p in json.loads(path.read_text())["products"]]


def test_startup_curl_adds_an_item(app):
    """The curl printed at start-up is a working add-to-cart request."""
    from cartwright.sandbox._cli import example_curl

    words = shlex.split(example_curl(app, app.sandbox.settings))
    url, body = words[words.index("-X") + 2], json.loads(words[words.index("-d") + 1])
    path = url.split("8080", 1)[1]
    with app.test_client(headers=AUTH) as c:
        r = c.post(path, json=body)
    assert r.status_code == 200 and r.json()["success"] is True


def test_same_seeds_give_identical_responses(settings, catalog):
    """Two sandboxes with the same seeds and clock answer the same requests byte for byte."""
    from cartwright.sandbox import create_app

    bodies = []
    for _ in range(2):
        with create_app(settings).test_client(headers=AUTH) as c:
            a, b = articles(catalog)[:2]
            add(c, [(a, 1), (b, 1)])
            bodies.append(get_cart(c).content + c.get(f"{BASE}/cart-list").content)
    assert bodies[0] == bodies[1]


def test_concurrent_adds_to_one_cart_lose_nothing(app, catalog):
    """Many clients adding to one cart at once: every unit lands, in one line per article."""
    chosen = articles(catalog, min_stock=10)[:8]

    async def run():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=AUTH) as c:
            first = await c.post(f"{BASE}/detail", json={"user_id": "crowd", "items": [
                {"item_id": chosen[0].item_id, "item_size": chosen[0].size}]})
            cart_id = first.json()["cart"]["id"]
            requests = [c.post(f"{BASE}/detail?id={cart_id}", json={"items": [
                {"item_id": a.item_id, "item_size": a.size, "quantity": 1}]}) for a in chosen for _ in range(9)]
            statuses = [r.status_code for r in await asyncio.gather(*requests)]
            return statuses, (await c.get(f"{BASE}/detail?id={cart_id}")).json()

    statuses, cart = asyncio.run(run())
    assert statuses == [200] * len(statuses)
    quantities = {(i["product"]["uid"], i["article"]["size"]): i["quantity"] for i in cart["items"]}
    expected = {(a.item_id, a.size): 9 for a in chosen}
    expected[(chosen[0].item_id, chosen[0].size)] += 1
    assert quantities == expected


def test_concurrent_clients_over_a_real_socket(session_app, catalog):
    """Thirty-two threads adding to one cart over HTTP on loopback: all units arrive."""
    from concurrent.futures import ThreadPoolExecutor

    reset_state(session_app)
    with served(session_app) as port:
        url = f"http://127.0.0.1:{port}{BASE}/detail"
        a = articles(catalog, min_stock=20)[0]
        cart_id = httpx.post(url, headers=AUTH, json={"items": [{"item_id": a.item_id, "item_size": a.size}]}
                             ).json()["cart"]["id"]

        def one(_):
            return httpx.post(f"{url}?id={cart_id}", headers=AUTH,
                              json={"items": [{"item_id": a.item_id, "item_size": a.size}]}).status_code

        with ThreadPoolExecutor(32) as pool:
            statuses = list(pool.map(one, range(min(a.stock, 20) - 1)))
        cart = httpx.get(f"{url}?id={cart_id}", headers=AUTH).json()
    assert statuses == [200] * len(statuses)
    assert [i["quantity"] for i in cart["items"]] == [min(a.stock, 20)]


def test_serving_leaves_full_collections_to_resets(client):
    """`serve` freezes start-up state and turns automatic full collections off; an admin reset runs one."""
    import gc

    from cartwright.sandbox._cli import quiet_collector

    threshold = gc.get_threshold()
    full_passes = []

    def record(phase, info):
        if phase == "stop" and info["generation"] == 2:
            full_passes.append(info)

    try:
        quiet_collector()
        assert gc.get_threshold()[2] >= 2 ** 30 and gc.get_freeze_count() > 0
        gc.callbacks.append(record)
        assert client.post("/_cartwright/reset").status_code == 200
        assert full_passes
    finally:
        if record in gc.callbacks:
            gc.callbacks.remove(record)
        gc.unfreeze()
        gc.set_threshold(*threshold)
