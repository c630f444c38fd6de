"""The movable clock (GET/PUT/DELETE /_cartwright/clock) through the whole stack: its moves, and every
time-dependent behaviour following it, in every worker sharing the state."""
from datetime import datetime

import pytest

from cartkit import add, article, assert_fynd_error, get_cart, raw_of
from conftest import AUTH, BASE
from test_sandbox_cart_offers import apply, create_coupon, untouched

from cartwright.sandbox import create_app

def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def move(client, **body) -> dict:
    r = client.put("/_cartwright/clock", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_frozen_clock_is_set_advanced_and_put_back(client):
    """The tests' clock starts frozen at its setting; it is set to an instant, advanced by ISO 8601 durations
    and seconds (back, too), and DELETE puts it back as it started."""
    assert client.get("/_cartwright/clock").json() | {"wall_clock": None} == {
        "now": "2026-11-22T10:00:00Z", "frozen": True, "offset_seconds": None, "wall_clock": None, "moved": False}
    assert move(client, now="2027-01-01T00:00:00Z")["now"] == "2027-01-01T00:00:00Z"
    assert move(client, advance="P1DT2H30M")["now"] == "2027-01-02T02:30:00Z"
    assert move(client, advance=-9000)["now"] == "2027-01-02T00:00:00Z"
    assert move(client, advance="-P1W")["now"] == "2026-12-26T00:00:00Z"
    assert move(client, now="2026-12-01T05:30:00+05:30", advance="PT1M")["now"] == "2026-12-01T00:01:00Z"
    back = client.delete("/_cartwright/clock").json()
    assert (back["now"], back["frozen"], back["moved"]) == ("2026-11-22T10:00:00Z", True, False)


def test_a_running_clock_keeps_running_from_where_it_is_set(settings):
    """A wall clock set to an instant, or advanced, runs on from there (an offset from the wall clock); frozen, it
    stops at the instant it reads; resumed, it runs on from that instant."""
    app = create_app(settings.replace(frozen_time=None))
    with app.test_client(headers=AUTH) as c:
        wall = c.get("/_cartwright/clock").json()
        assert wall["frozen"] is False and wall["offset_seconds"] == 0 and wall["moved"] is False
        moved = move(c, now="2030-06-01T00:00:00Z")
        assert moved["frozen"] is False and moved["offset_seconds"] > 3 * 365 * 86400
        assert at(move(c, advance="P1D")["now"]) >= at("2030-06-02T00:00:00Z")
        stopped = move(c, frozen=True)
        assert stopped["frozen"] is True and c.get("/_cartwright/clock").json()["now"] == stopped["now"]
        resumed = move(c, frozen=False)
        assert resumed["frozen"] is False and at(resumed["now"]) >= at(stopped["now"])
        assert abs(resumed["offset_seconds"] - (at(stopped["now"]) - at(resumed["wall_clock"])).total_seconds()) < 5


@pytest.mark.parametrize("body, field", [
    ({"now": "tomorrow"}, "now"), ({"advance": "1 day"}, "advance"), ({"advance": "P"}, "advance"),
    ({"advance": "PT"}, "advance"), ({"advance": "P1Y"}, "advance"), ({"advance": 1e12}, "advance"),
    ({"now": "9999-12-31T23:00:00Z", "advance": "P1D"}, "advance"), ({"frozen": "yes"}, "frozen"),
    ({"when": "now"}, "when"),
])
def test_a_bad_move_is_refused_and_moves_nothing(client, body, field):
    """A move that is not an instant or a duration (or would leave the calendar) is a 400 naming the field; the
    clock stays where it was."""
    assert_fynd_error(client.put("/_cartwright/clock", json=body), 400, field)
    assert client.get("/_cartwright/clock").json()["now"] == "2026-11-22T10:00:00Z"


def test_dates_the_sandbox_writes_follow_the_clock(client, catalog):
    """A cart changed after the clock moved is dated by it."""
    move(client, now="2027-03-04T05:06:07Z")
    add(client, [(article(catalog), 1)])
    assert get_cart(client).json()["last_modified"].startswith("2027-03-04")


def test_abandoned_carts_follow_the_clock(client, catalog):
    """A cart becomes abandoned when the clock moves past abandoned_after_minutes (a day), not before."""
    add(client, [(article(catalog), 1)], user_id="leaver")
    listed = lambda: client.get(f"{BASE}/abandoned/carts").json()["items"]  # noqa: E731
    assert listed() == []
    move(client, advance="PT23H59M")
    assert listed() == []
    move(client, advance="PT1M")
    assert [c["user_id"] for c in listed()] == ["leaver"]


def test_offer_validity_windows_follow_the_clock(client, app, catalog):
    """A coupon applies inside its window; with the clock moved past its end it is refused as expired, and moved
    before its start as not started."""
    create_coupon(client, "WINDOW50", _schedule={"status": "approved", "start": "2026-11-01T00:00:00Z",
                                                 "end": "2026-12-31T00:00:00Z"})
    cart_id = add(client, [(untouched(app, catalog), 1)]).json()["cart"]["id"]
    move(client, now="2027-01-02T00:00:00Z")
    assert_fynd_error(apply(client, cart_id, "WINDOW50"), 400, "WINDOW50", "expired on 2026-12-31")
    move(client, now="2026-10-01T00:00:00Z")
    assert_fynd_error(apply(client, cart_id, "WINDOW50"), 400, "WINDOW50", "starts on 2026-11-01")
    move(client, now="2026-12-01T00:00:00Z")
    assert apply(client, cart_id, "WINDOW50").status_code == 201


def test_price_adjustment_expiry_follows_the_clock(client, app, catalog):
    """A price adjustment counts until its apply_expiry, and stops once the clock passes it."""
    cart_id = add(client, [(untouched(app, catalog), 1)]).json()["cart"]["id"]
    base = raw_of(get_cart(client, f"id={cart_id}&b=true").json())["total"]
    r = client.post(f"{BASE}/price-adjustment", json={
        "cart_id": cart_id, "type": "charge", "value": 25, "message": "gift wrap",
        "apply_expiry": "2026-11-25T00:00:00Z", "article_level_distribution": False, "is_authenticated": True,
        "collection": {"refund_by": "seller", "collected_by": "seller"}, "article_ids": []})
    assert r.status_code == 201, r.text
    assert raw_of(get_cart(client, f"id={cart_id}&b=true").json())["total"] == base + 25
    move(client, now="2026-11-25T00:00:01Z")
    assert raw_of(get_cart(client, f"id={cart_id}&b=true").json())["total"] == base


def test_the_cart_time_to_live_follows_the_clock(settings, catalog):
    """With cart_ttl_minutes, advancing the clock past it makes an idle cart gone (404 by id)."""
    app = create_app(settings.replace(cart_ttl_minutes=60))
    with app.test_client(headers=AUTH) as c:
        cart_id = add(c, [(article(catalog), 1)]).json()["cart"]["id"]
        move(c, advance="PT59M")
        assert get_cart(c, f"id={cart_id}").status_code == 200
        move(c, advance="PT2M")
        assert_fynd_error(get_cart(c, f"id={cart_id}"), 404, cart_id)


def test_every_worker_sharing_the_state_reads_the_moved_clock(workers, catalog):
    """The clock's setting is state: a sandbox over the same state (another worker; in process, or on Redis)
    follows a move made through the other, and a reset of the state puts both back as they started."""
    one, two = workers()
    with one.test_client(headers=AUTH) as a, two.test_client(headers=AUTH) as b:
        move(a, now="2027-05-05T00:00:00Z")
        assert b.get("/_cartwright/clock").json()["now"] == "2027-05-05T00:00:00Z"
        add(b, [(article(catalog), 1)])
        assert get_cart(a).json()["last_modified"].startswith("2027-05-05")
        assert b.post("/_cartwright/reset").status_code == 200
        assert a.get("/_cartwright/clock").json()["now"] == "2026-11-22T10:00:00Z"


def test_the_moved_clock_goes_with_a_snapshot(client):
    """The clock's setting is in the state's snapshot: restoring one puts the clock where it was then."""
    move(client, now="2028-02-29T12:00:00Z")
    snapshot = client.get("/_cartwright/state").json()
    move(client, now="2029-01-01T00:00:00Z")
    assert client.put("/_cartwright/state", json=snapshot).status_code == 200
    assert client.get("/_cartwright/clock").json()["now"] == "2028-02-29T12:00:00Z"


def test_a_clock_moved_through_one_holds_on_the_others_very_next_request(workers, catalog):
    """A sandbox that has already read the controls follows a clock moved through another over the same state on
    its very next request (the cart it changes is stamped with the moved clock)."""
    one, two = workers()
    chosen = article(catalog, min_stock=3)
    with one.test_client(headers=AUTH) as a, two.test_client(headers=AUTH) as b:
        assert add(b, [(chosen, 1)]).status_code == 200
        move(a, now="2027-05-05T00:00:00Z")
        assert add(b, [(chosen, 1)]).status_code == 200
        assert get_cart(a).json()["last_modified"].startswith("2027-05-05")
