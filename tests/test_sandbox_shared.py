"""Sandboxes sharing one Redis state, through the whole stack in process: each app has a storage of its own, as
separate processes do. What one changes the other serves on its next request (carts, promotions, a reset, a
reseed); a Redis that goes away is a 503 in the API's error shape, and the sandbox recovers when it is back; a
read and an add-to-cart cost a few round trips."""
import pytest

from cartkit import add, article, articles, assert_fynd_error, get_cart
from conftest import AUTH, BASE, reset_state
from rediskit import fresh_prefix, redis_server


@pytest.fixture(scope="module")
def pair(settings, redis_url):
    """Two apps on one Redis state (as two processes would be)."""
    from cartwright.sandbox import create_app
    from cartwright.sandbox.state.redis import RedisStorage

    prefix = fresh_prefix("pair")
    return [create_app(settings, RedisStorage(redis_url, prefix=prefix)) for _ in range(2)]


@pytest.fixture
def one_two(pair):
    reset_state(pair[0])
    return pair


def test_a_cart_made_through_one_is_read_and_changed_through_the_other(one_two):
    """A cart added to through one app is read, added to and updated through the other, and the first sees
    every change."""
    one, two = one_two
    a, b = articles(one.sandbox.catalog, min_stock=3)[:2]
    with one.test_client(headers=AUTH) as c1, two.test_client(headers=AUTH) as c2:
        cart_id = add(c1, [(a, 1)]).json()["cart"]["id"]
        assert get_cart(c2).json()["id"] == cart_id
        add(c2, [(b, 2)])
        line = next(i for i in get_cart(c1).json()["items"] if i["article"]["uid"] == a.article_id)
        r = c1.put(f"{BASE}/detail?id={cart_id}", json={"operation": "update_item", "items": [
            {"identifiers": {"identifier": line["identifiers"]["identifier"]}, "quantity": 3}]})
        assert r.status_code == 200, r.text
        assert sorted(i["quantity"] for i in get_cart(c2).json()["items"]) == [2, 3]


def test_a_promotion_created_through_one_applies_on_the_others_next_read(one_two):
    """The other app priced the cart before (and keeps what pricing read); a promotion created through the
    first applies on the other's very next read."""
    one, two = one_two
    a = article(one.sandbox.catalog)
    with one.test_client(headers=AUTH) as c1, two.test_client(headers=AUTH) as c2:
        add(c1, [(a, 1)], user_id="p")
        before = get_cart(c2, "user_id=p&b=true").json()
        doc = {"code": "EVERYTHING5", "promo_group": "product", "mode": "promotion", "promotion_type": "percentage",
               "application_id": "*", "discount_rules": [{"discount_type": "percentage", "buy_condition": "( rule#1 )",
                                                          "item_criteria": {"all_items": True},
                                                          "offer": {"discount_percentage": 5}}],
               "_schedule": {"status": "approved", "start": "2026-01-01T00:00:00Z"}}
        assert c1.post(f"{BASE}/promotion", json=doc).status_code == 201
        after = get_cart(c2, "user_id=p&b=true").json()
    codes = lambda cart: {p["promotion_name"] for p in cart["applied_promo_details"]}   # noqa: E731
    assert "EVERYTHING5" not in codes(before) and "EVERYTHING5" in codes(after)


def test_a_reset_through_one_empties_the_other(one_two):
    """After a reset through one app, the other finds none of the carts it served."""
    one, two = one_two
    with one.test_client(headers=AUTH) as c1, two.test_client(headers=AUTH) as c2:
        cart_id = add(c2, [(article(two.sandbox.catalog), 1)]).json()["cart"]["id"]
        assert c1.post("/_cartwright/reset").status_code == 200
        assert_fynd_error(c2.get(f"{BASE}/detail?id={cart_id}"), 404, cart_id)
        assert c2.get("/_cartwright/health").json()["carts"] == 0


def test_a_reseed_through_one_reaches_the_other(one_two, settings):
    """A reseed through one app changes the catalog the other serves on its next request, a request that reads
    nothing else of the state included; a reseed back brings the first catalog to both."""
    one, two = one_two
    with one.test_client(headers=AUTH) as c1, two.test_client(headers=AUTH) as c2:
        try:
            assert c1.post("/_cartwright/reseed", json={"seed": 7, "size": 5}).status_code == 200
            assert c2.get("/_cartwright/catalog").json()["seed"] == 7
            assert two.sandbox.catalog.seed == 7 and len(two.sandbox.catalog.products) == 5
            new = article(two.sandbox.catalog)
            assert add(c2, [(new, 1)]).status_code == 200
        finally:
            assert c2.post("/_cartwright/reseed", json={"seed": settings.seed,
                                                         "size": settings.catalog_size}).status_code == 200
        assert c1.get("/_cartwright/health").json()["seed"] == settings.seed


def test_round_trips_per_request(one_two):
    """Reading a user's cart takes 1 round trip to Redis (the pointer and the cart it names come together), adding
    to one (new or not) 2, and each request posts its journal entry, written as it answers and not waited for (a
    user without a cart: the note of the fresh cart's id is posted too).
    The controls (clock, no fault rule) cost none: their version comes with the request's first read."""
    one, _ = one_two
    storage = one.sandbox.storage
    a, b = articles(one.sandbox.catalog, min_stock=3)[:2]
    with one.test_client(headers=AUTH) as c:
        add(c, [(a, 1)], user_id="warm-up")   # what pricing reads is learnt and kept; cart numbers are reserved

        def trips(request) -> tuple[int, int]:
            before = storage.exchanges, storage.posts
            assert request().status_code == 200
            return storage.exchanges - before[0], storage.posts - before[1]

        counts = {"add, new cart": trips(lambda: add(c, [(a, 1)], user_id="r")),
                  "add, same cart": trips(lambda: add(c, [(b, 1)], user_id="r")),
                  "get": trips(lambda: get_cart(c, "user_id=r&b=true")),
                  "get, no cart yet": trips(lambda: get_cart(c, "user_id=nobody&b=true"))}
    journal = 1
    assert counts == {"add, new cart": (2, journal), "add, same cart": (2, journal),
                      "get": (1, journal), "get, no cart yet": (1, 1 + journal)}   # (its fresh id's note posted)


def test_listing_fault_rules_reads_their_counters_in_one_round_trip(one_two):
    """Listing the fault rules costs as many round trips with five rules as with one: every rule's count of the
    requests it matched comes in one read."""
    one, _ = one_two
    storage = one.sandbox.storage
    with one.test_client(headers=AUTH) as c:
        def add_rule() -> None:
            assert c.post("/_cartwright/faults", json={"operation_id": "getShipments", "status": 503}).status_code == 201

        def listing() -> int:
            before = storage.exchanges
            assert c.get("/_cartwright/faults").status_code == 200
            return storage.exchanges - before

        try:
            add_rule()
            alone = listing()
            for _ in range(4):
                add_rule()
            assert (alone, listing()) == (alone, alone)
        finally:
            c.delete("/_cartwright/faults")


def test_a_redis_that_goes_away_is_a_503_and_the_sandbox_recovers(settings, tmp_path):
    """With Redis stopped, requests are answered 503 in each API's error shape (Retry-After) and change
    nothing; once it is back, the sandbox serves again, with everything written before."""
    from rediskit import free_port
    from cartwright.sandbox import create_app
    from cartwright.sandbox.state.redis import RedisStorage

    port = free_port()
    with redis_server(tmp_path, port, persist=True) as url:
        app = create_app(settings, RedisStorage(url, timeout=2))
        with app.test_client(headers=AUTH) as c:
            a = article(app.sandbox.catalog, min_stock=3)
            cart_id = add(c, [(a, 1)]).json()["cart"]["id"]
    with app.test_client(headers=AUTH) as c:
        r = add(c, [(a, 1)])
        assert_fynd_error(r, 503, "Redis", "cannot be reached")
        assert r.headers["retry-after"] == "1"
        entry = next(iter(app.sandbox.voucher_catalog.values()))
        enkash = c.post("/api/v0/cart?product=VOUCHER", json={"productCatalogId": entry.id, "items": {
            entry.configs[0].id: {"quantity": 1, "description": ""}}})
        assert enkash.status_code == 503 and enkash.json()["response_code"] == 503
        with redis_server(tmp_path, port, persist=True):
            cart = get_cart(c).json()
            assert cart["id"] == cart_id and [i["quantity"] for i in cart["items"]] == [1]
            assert add(c, [(a, 1)]).status_code == 200


@pytest.mark.parametrize("flags, words", [
    (["--workers", "2"], ["--workers 2 needs a shared state", "--state redis://"]),
    (["--state", "http://127.0.0.1:6379/0"], ["setting state", "http://127.0.0.1:6379/0"]),
    (["--state", "redis://127.0.0.1:6379/0", "--state-file", "state.json"], ["--state-file is for the memory state"]),
])
def test_serve_refuses_what_a_shared_state_cannot_do(capsys, flags, words):
    """`cartwright serve` refuses at start, with exit 2 and the reason: more workers than one on the memory state,
    a state that is neither memory nor a Redis URL, a state file with a Redis state."""
    from cartwright.sandbox._cli import main

    assert main(["serve", *flags]) == 2
    err = capsys.readouterr().err
    assert all(w in err for w in words), err


def test_serve_stops_at_start_when_its_redis_is_not_there(capsys):
    """A Redis that does not answer when `cartwright serve` starts stops the start (exit 2), naming it."""
    from rediskit import free_port
    from cartwright.sandbox._cli import main

    url = f"redis://127.0.0.1:{free_port()}/0"
    assert main(["serve", "--state", url]) == 2
    err = capsys.readouterr().err
    assert url in err and "cannot be reached" in err and "Traceback" not in err
