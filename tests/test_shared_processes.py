"""Many processes over real sockets on one Redis state: two `cartwright serve` processes and one with
`--workers 2`, each started as a user would. A cart made through one is read and changed through the others;
32 concurrent clients spread over them lose no update; competing checkouts never sell more than the stock;
a reset or a reseed through one reaches every process."""
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from cartkit import add, articles, get_cart
from conftest import AUTH, BASE, ROOT
from rediskit import fresh_prefix, free_port

V2 = BASE.replace("v1.0", "v2.0")


def serve(port, redis_url, prefix, *extra):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "cartwright.sandbox", "serve", "--port", str(port), "--state", redis_url,
                             "--state-prefix", prefix, "--log-level", "warning", *extra],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_up(url, process):
    for _ in range(600):   # up to ~30 s: three processes start at once on two cores
        if process.poll() is not None:
            raise AssertionError(process.stdout.read().decode())
        try:
            if httpx.get(f"{url}/_cartwright/health").status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError("the sandbox did not start")


@pytest.fixture(scope="module")
def servers(redis_url):
    """Three sandboxes on one Redis state, over real sockets: two single processes, one with two workers."""
    prefix = fresh_prefix("processes")
    started = []
    try:
        for extra in [(), (), ("--workers", "2")]:
            port = free_port()
            started.append((f"http://127.0.0.1:{port}", serve(port, redis_url, prefix, *extra)))
        for url, process in started:
            wait_up(url, process)
        yield [url for url, _ in started]
    finally:
        for _, process in started:
            process.send_signal(signal.SIGTERM)
        for _, process in started:
            assert process.wait(30) == 0, process.stdout.read().decode()


def clients(servers):
    return [httpx.Client(base_url=url, headers=AUTH, timeout=30) for url in servers]


def test_a_cart_made_through_one_process_is_read_and_changed_through_the_others(servers, catalog):
    """A cart added to through one server is read by the others, added to through the workers' server and
    updated through the second: every server then shows both changes."""
    one, two, workers = clients(servers)
    a, b = articles(catalog, min_stock=3)[:2]
    cart_id = add(one, [(a, 1)], user_id="traveller").json()["cart"]["id"]
    for c in (two, workers, workers):
        assert get_cart(c, "user_id=traveller").json()["id"] == cart_id
    assert add(workers, [(b, 1)], user_id="traveller").status_code == 200
    line = next(i for i in get_cart(two, "user_id=traveller").json()["items"] if i["article"]["uid"] == a.article_id)
    r = two.put(f"{BASE}/detail?id={cart_id}", json={"operation": "update_item", "items": [
        {"identifiers": {"identifier": line["identifiers"]["identifier"]}, "quantity": 3}]})
    assert r.status_code == 200, r.text
    for c in (one, two, workers, workers):
        assert sorted(i["quantity"] for i in get_cart(c, "user_id=traveller").json()["items"]) == [1, 3]


def test_32_concurrent_clients_on_one_cart_lose_no_update(servers, catalog):
    """32 clients at once, spread over the servers, on one user's cart: each adds its own item twice, the odd
    ones add a shared item too, the even ones then remove their own line. The cart ends with exactly every
    change: the odd clients' lines of 2 units and the shared line of 16."""
    pool = articles(catalog, min_stock=2)
    shared = next(a for a in pool if a.stock >= 16)
    own = [a for a in pool if a is not shared][:32]
    connections = clients(servers)

    def client(n: int) -> None:
        c = connections[n % 3]
        for _ in range(2):
            r = add(c, [(own[n], 1)], user_id="crowd")
            assert r.status_code == 200, r.text
        if n % 2:
            assert add(c, [(shared, 1)], user_id="crowd").status_code == 200
        else:
            line = next(i for i in r.json()["cart"]["items"] if i["article"]["uid"] == own[n].article_id)
            r = c.put(f"{BASE}/detail?user_id=crowd", json={"user_id": "crowd", "operation": "remove_item", "items": [
                {"identifiers": {"identifier": line["identifiers"]["identifier"]}}]})
            assert r.status_code == 200, r.text

    with ThreadPoolExecutor(32) as threads:
        list(threads.map(client, range(32)))
    lines = {i["article"]["uid"]: i["quantity"] for i in get_cart(connections[0], "user_id=crowd").json()["items"]}
    assert lines == {shared.article_id: 16, **{own[n].article_id: 2 for n in range(1, 32, 2)}}


def test_competing_checkouts_never_oversell(servers, catalog):
    """Three more carts than an article has units, each holding one, checked out all at once through every
    server: exactly as many checkouts succeed as there were units, and the stock left is 0."""
    one, two, workers = connections = clients(servers)
    item = next(a for a in articles(catalog, min_stock=2) if a.stock <= 6)
    carts = [add(connections[n % 3], [(item, 1)], user_id=f"buyer{n}").json()["cart"]["id"]
             for n in range(item.stock + 3)]

    def checkout(n: int) -> int:
        return connections[n % 3].post(f"{V2}/checkout?id={carts[n]}", json={
            "id": carts[n], "user_id": f"buyer{n}", "order_type": "PickAtStore",
            "payment_methods": [{"mode": "CARD", "payment_meta": {}}]}).status_code

    with ThreadPoolExecutor(len(carts)) as threads:
        statuses = list(threads.map(checkout, range(len(carts))))
    assert sorted(statuses) == [200] * item.stock + [400] * 3
    listing = workers.get("/_cartwright/catalog?company_id=1").json()
    left = [a["stock"] for p in listing["products"] for s in p["sizes"] for a in s["articles"]
            if a["article_id"] == item.article_id]
    assert left == [0]


def test_a_reset_or_reseed_through_one_process_reaches_all(servers, catalog):
    """After a reset through the workers' server, no server holds a cart; after a reseed through the first, every
    server (each worker of the third) serves the new catalog; a reseed back restores the first catalog."""
    one, two, workers = clients(servers)
    add(one, [(articles(catalog)[0], 1)], user_id="before-reset")
    assert workers.post("/_cartwright/reset").status_code == 200
    for url in servers + [servers[2]] * 6:   # new connections: the workers' server answers from either worker
        assert httpx.get(f"{url}/_cartwright/health").json()["carts"] == 0
    assert one.post("/_cartwright/reseed", json={"seed": 11, "size": 6}).status_code == 200
    for url in servers + [servers[2]] * 6:
        assert httpx.get(f"{url}/_cartwright/health").json()["seed"] == 11
    assert two.post("/_cartwright/reseed", json={"seed": catalog.seed, "size": 40}).status_code == 200
    for url in servers + [servers[2]] * 6:
        health = httpx.get(f"{url}/_cartwright/health").json()
        assert (health["seed"], health["products"]) == (catalog.seed, 40)
