"""The state port through the whole stack: ids that never repeat, caps on what clients can make the sandbox
remember, idle carts forgotten, snapshots that restore everything, a state file that survives a restart."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from cartkit import add, article, articles, assert_fynd_error, get_cart
from conftest import AUTH, BASE, FROZEN_NOW, ROOT, reset_state, run

OTHER_APP = BASE.replace("app-1", "app-2")
V2 = BASE.replace("v1.0", "v2.0")


def first_cart(app, catalog, user="u"):
    with app.test_client(headers=AUTH) as c:
        cart = add(c, [(article(catalog), 1)], user_id=user).json()["cart"]
    return cart["id"], cart["items"][0]["identifiers"]["identifier"], cart["cart_id"]


# --------------------------------------------------------------------------- ids
def test_unseeded_sandboxes_never_share_an_id(make_app, catalog):
    """Without an id seed, two fresh sandboxes give the same first request different cart and line ids."""
    one, two = make_app(id_seed=None), make_app(id_seed=None)
    a, b = first_cart(one, catalog), first_cart(two, catalog)
    assert a[0] != b[0] and a[1] != b[1]


def test_seeded_sandboxes_give_the_same_ids(make_app, catalog):
    """With the same id seed, two fresh sandboxes give the same requests the same ids."""
    assert first_cart(make_app(id_seed=7), catalog) == first_cart(make_app(id_seed=7), catalog)


def test_reset_never_rewinds_ids(make_app, catalog):
    """After a reset, the same requests get new cart ids, line ids and cart numbers (an id cached by a client
    never names another user's cart)."""
    app = make_app()
    before = first_cart(app, catalog)
    reset_state(app)
    after = first_cart(app, catalog)
    assert after[0] != before[0] and after[1] != before[1] and after[2] > before[2]


# --------------------------------------------------------------------------- caps
def test_cart_cap_per_application_is_a_429_naming_it(make_app, catalog):
    """Past carts_per_application new carts are refused with 429 naming the limit; the application's carts are
    still read and changed, and other applications still make carts."""
    app = make_app(carts_per_application=2)
    a = article(catalog, min_stock=4)
    with app.test_client(headers=AUTH) as c:
        ids = [add(c, [(a, 1)], user_id=f"u{n}").json()["cart"]["id"] for n in range(2)]
        r = add(c, [(a, 1)], user_id="u2")
        assert_fynd_error(r, 429, "carts_per_application", "2")
        assert r.json()["error"] == "TooManyRequests"
        assert get_cart(c, f"id={ids[0]}").status_code == 200
        assert add(c, [(a, 1)], user_id="u0").status_code == 200          # an existing cart still changes
        assert get_cart(c, "user_id=u2").json()["items"] == []           # reading stores nothing, so it works
        other = c.post(f"{OTHER_APP}/detail", json={"user_id": "u", "items": [
            {"item_id": a.item_id, "item_size": a.size}]})
        assert other.status_code == 200
        assert c.get("/_cartwright/health").json()["carts"] == 3


def test_cart_cap_in_all_is_a_429_naming_it(make_app, catalog):
    """Past max_carts in the whole sandbox, a new cart in any application is refused with 429 naming the limit."""
    app = make_app(max_carts=2)
    a = article(catalog, min_stock=4)
    with app.test_client(headers=AUTH) as c:
        add(c, [(a, 1)], user_id="one")
        c.post(f"{OTHER_APP}/detail", json={"user_id": "two", "items": [{"item_id": a.item_id, "item_size": a.size}]})
        assert_fynd_error(add(c, [(a, 1)], user_id="three"), 429, "max_carts")


def test_record_cap_per_application_is_a_429_naming_it(make_app, catalog):
    """Past records_per_application addresses, another is refused with 429 naming the limit."""
    app = make_app(records_per_application=2)
    pin = next(p for p in catalog.pincodes if p.serviceable)
    body = {"area_code": pin.pincode, "name": "A", "address": "1 Road", "city": pin.city, "phone": "9876543210"}
    with app.test_client(headers=AUTH) as c:
        for user in ("a", "b"):
            assert c.post(f"{BASE}/address", json={**body, "user_id": user}).status_code == 200
        assert_fynd_error(c.post(f"{BASE}/address", json={**body, "user_id": "c"}), 429, "records_per_application")


def test_cart_list_answers_at_most_max_listed_carts(make_app, catalog):
    """The cart list answers the newest max_listed_carts carts of the application, no more."""
    app = make_app(max_listed_carts=3)
    a = article(catalog, min_stock=6)
    with app.test_client(headers=AUTH) as c:
        ids = [add(c, [(a, 1)], user_id=f"u{n}").json()["cart"]["id"] for n in range(5)]
        listed = [e["cart_id"] for e in c.get(f"{BASE}/cart-list").json()["data"]]
    assert len(listed) == 3 and set(listed) <= set(ids)


def test_idle_carts_are_forgotten_after_the_ttl(make_app, catalog):
    """A cart untouched for cart_ttl_minutes is gone (404 by id, the user reads a fresh cart); the sweep
    frees it; a cart touched meanwhile stays."""
    app = make_app(cart_ttl_minutes=30)
    with app.test_client(headers=AUTH) as c:
        idle = add(c, [(article(catalog), 1)], user_id="idle").json()["cart"]["id"]
        assert c.put("/_cartwright/clock", json={"advance": "PT20M"}).status_code == 200
        busy = add(c, [(article(catalog), 1)], user_id="busy").json()["cart"]["id"]
        assert c.put("/_cartwright/clock", json={"advance": "PT11M"}).status_code == 200
        assert_fynd_error(get_cart(c, f"id={idle}"), 404, idle)
        assert get_cart(c, "user_id=idle").json()["id"] != idle
        assert get_cart(c, f"id={busy}").status_code == 200
        assert run(app.sandbox.carts.sweep(("1", "app-1"))) == 1
        assert c.get("/_cartwright/health").json()["carts"] == 1


# --------------------------------------------------------------------------- snapshots
def populate(c, catalog):
    """A cart with a coupon-able line, an address, a coupon, a checked-out order and a share link; what to
    read back."""
    a, b = articles(catalog, min_stock=4)[:2]
    cart_id = add(c, [(a, 2)], user_id="keeper").json()["cart"]["id"]
    pin = next(p for p in catalog.pincodes if p.serviceable)
    address_id = c.post(f"{BASE}/address", json={"user_id": "keeper", "area_code": pin.pincode, "name": "K",
                                                 "address": "2 Road", "city": pin.city}).json()["id"]
    coupon = {"code": "KEEPME", "type_slug": "absolute", "_schedule": {"status": "draft"},
              "rule_definition": {"type": "absolute", "applicable_on": "amount", "calculate_on": "esp"},
              "rule": [{"key": 1, "value": 10}], "display_meta": {"title": "Keep"}}
    coupon_id = c.post(f"{BASE}/coupon", json=coupon).json()["_id"]
    order_cart = add(c, [(b, 1)], user_id="buyer").json()["cart"]["id"]
    order = c.post(f"{V2}/checkout?id={order_cart}", json={
        "id": order_cart, "user_id": "buyer", "order_type": "PickAtStore",
        "payment_methods": [{"mode": "CARD", "payment_meta": {}}]}).json()["order_id"]
    token = c.post(f"{BASE}/share-cart", json={"id": cart_id}).json()["token"]
    return {"cart": f"{BASE}/detail?id={cart_id}&b=true", "address": f"{BASE}/address/{address_id}",
            "coupon": f"{BASE}/coupon/{coupon_id}", "order": f"{BASE}/detail?id={order_cart}&b=true",
            "share": f"{BASE}/share-cart/{token}", "stock": "/_cartwright/catalog?company_id=1",
            "order_id": order}


def readback(c, urls) -> dict:
    return {name: c.get(url).json() for name, url in urls.items() if name != "order_id"}


def test_a_snapshot_restores_every_kind_of_state(make_app, catalog):
    """GET /_cartwright/state then PUT it back after a reset: cart, address, coupon, order, share link and stock
    read back exactly as before."""
    app = make_app()
    with app.test_client(headers=AUTH) as c:
        urls = populate(c, catalog)
        before = readback(c, urls)
        snapshot = c.get("/_cartwright/state").json()
        assert snapshot["format"] == "cartwright-state" and snapshot["version"] == 1
        assert c.post("/_cartwright/reset").status_code == 200
        assert c.get(urls["cart"]).status_code == 404
        r = c.put("/_cartwright/state", json=snapshot)
        assert r.status_code == 200 and r.json()["carts"] == 2, r.text
        assert readback(c, urls) == before


@pytest.mark.parametrize("change, field", [
    (lambda d: {**d, "format": "other"}, "format"),
    (lambda d: {**d, "version": 2}, "version"),
    (lambda d: {**d, "catalog": {"seed": 1, "size": 3}}, "catalog"),
    (lambda d: {**d, "tables": {**d["tables"], "carts": {"1\x1fapp-1": {"x": {"id": "x"}}}}}, "tables.carts"),
])
def test_a_bad_snapshot_is_a_400_and_changes_nothing(make_app, catalog, change, field):
    """PUT /_cartwright/state with another format, version or catalog, or a record that cannot be read, is a
    400 naming it, and the state is as it was."""
    app = make_app()
    with app.test_client(headers=AUTH) as c:
        urls = populate(c, catalog)
        snapshot, before = c.get("/_cartwright/state").json(), readback(c, urls)
        assert_fynd_error(c.put("/_cartwright/state", json=change(snapshot)), 400, field)
        assert readback(c, urls) == before


# --------------------------------------------------------------------------- the state file, across a restart
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port, state_file, *extra):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "cartwright.sandbox", "serve", "--port", str(port), "--state-file",
                             str(state_file), "--frozen-time", FROZEN_NOW, "--log-level", "warning", *extra],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_up(port, process):
    for _ in range(200):
        if process.poll() is not None:
            raise AssertionError(process.stdout.read().decode())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_cartwright/health").status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError("the sandbox did not start")


def stop(process):
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0, process.stdout.read().decode()


def test_the_state_file_survives_a_restart(tmp_path, catalog):
    """A sandbox started with --state-file and stopped with SIGTERM starts again with every cart, address,
    coupon, order, share link and stock as they were, and its seeded ids go on where they stopped."""
    state_file, port = tmp_path / "state.json", free_port()
    process = serve(port, state_file, "--id-seed", "3")
    try:
        wait_up(port, process)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=AUTH) as c:
            urls = populate(c, catalog)
            before = readback(c, urls)
    finally:
        stop(process)
    assert json.loads(state_file.read_text())["format"] == "cartwright-state"
    process = serve(port, state_file, "--id-seed", "3")
    try:
        wait_up(port, process)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=AUTH) as c:
            assert readback(c, urls) == before
            fresh = add(c, [(article(catalog), 1)], user_id="after-restart").json()["cart"]
            # the numbers go on where they stopped (a restart without the file would start at 1 again)
            assert fresh["cart_id"] == max(before["cart"]["cart_id"], before["order"]["cart_id"]) + 1 > 2
    finally:
        stop(process)


def test_a_bad_state_file_stops_the_start_with_its_reason(tmp_path):
    """A state file that is not a snapshot stops `cartwright serve` with a message naming it (exit 2)."""
    state_file = tmp_path / "state.json"
    state_file.write_text('{"format": "something else"}')
    process = serve(free_port(), state_file)
    assert process.wait(30) == 2
    out = process.stdout.read().decode()
    assert "state_file" in out and str(state_file) in out and "Traceback" not in out


def test_a_state_file_holding_a_lone_surrogate_loads_back(settings, catalog, tmp_path):
    """A cart comment holding a lone surrogate (JSON allows it; the standard library writes it escaped) survives a
    save and a load of the state file, exactly."""
    from cartwright.sandbox import create_app
    from cartwright.sandbox.web.lifecycle import load_state_file, save_state_file

    path = tmp_path / "state.json"
    first = create_app(settings)
    with first.test_client(headers=AUTH) as c:
        cart_id = add(c, [(article(catalog), 1)]).json()["cart"]["id"]
        assert c.put(f"{BASE}/meta?id={cart_id}", content=b'{"comment": "x\\ud800"}',
                     headers={"content-type": "application/json"}).status_code == 200
    run(save_state_file(first.sandbox, path))
    second = create_app(settings)
    assert run(load_state_file(second.sandbox, path)) is True
    with second.test_client(headers=AUTH) as c:
        assert get_cart(c, f"id={cart_id}").json()["comment"] == "x\ud800"
