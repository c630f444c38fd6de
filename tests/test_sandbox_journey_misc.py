"""Sharing, abandoned carts and cart configuration through the whole Connexion stack, responses validated."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from cartkit import add, articles, assert_fynd_error, get_cart, money
from conftest import AUTH, BASE, FROZEN_NOW, reset_state, stored_cart, change_cart, take_stock, run

from cartwright.sandbox import create_app


@pytest.fixture
def app(plain_app):
    """Carts priced without promotions; the clock is put back after each test (a reset does that too)."""
    reset_state(plain_app)
    yield plain_app
    run(plain_app.sandbox.controls.reset_clock())


@pytest.fixture
def move_clock(app, client):
    """Move the sandbox's clock to the test's start plus a delta, through the admin API."""
    start = datetime.fromisoformat(FROZEN_NOW)

    def move(**delta):
        moved = client.put("/_cartwright/clock", json={"now": (start + timedelta(**delta)).isoformat()})
        assert moved.status_code == 200, moved.text

    return move


@pytest.fixture
def stocked(catalog):
    """Three articles (different products or sizes) with at least 5 units each."""
    return articles(catalog, min_stock=5)[:3]


def new_cart(client, items, user_id):
    r = add(client, items, user_id=user_id)
    assert r.status_code == 200, r.text
    return r.json()["cart"]["id"]


def quantities(cart_body):
    return {(i["product"]["uid"], i["article"]["size"]): i["quantity"] for i in cart_body["items"]}


def share(client, cart_id, **meta):
    return client.post(f"{BASE}/share-cart", json={"id": cart_id, "meta": meta})


# --------------------------------------------------------------------------- sharing
def test_share_token_is_stable_and_reads_back_the_items(client, stocked):
    """Sharing a cart twice gives the same token; reading the token shows the cart's items and the share."""
    a, b, _ = stocked
    cart_id = new_cart(client, [(a, 2), (b, 1)], "alice")
    first = share(client, cart_id, channel="whatsapp")
    assert first.status_code == 200, first.text
    token = first.json()["token"]
    assert first.json()["share_url"].endswith(f"/application/app-1/share-cart/{token}")
    assert share(client, cart_id).json()["token"] == token
    r = client.get(f"{BASE}/share-cart/{token}")
    assert r.status_code == 200, r.text
    cart = r.json()["cart"]
    assert cart["id"] == cart_id and r.json()["error"] == ""
    assert quantities(cart) == {(a.item_id, a.size): 2, (b.item_id, b.size): 1}
    details = cart["shared_cart_details"]
    assert details["token"] == token and details["meta"] == {"channel": "whatsapp"}
    assert details["user"] == {"user_id": "alice"}


def test_share_is_a_link_to_the_cart_as_it_is_now(client, stocked):
    """Items added to the shared cart after sharing show when the token is read."""
    a, b, _ = stocked
    cart_id = new_cart(client, [(a, 1)], "alice")
    token = share(client, cart_id).json()["token"]
    add(client, [(b, 1)], user_id="alice")
    assert quantities(client.get(f"{BASE}/share-cart/{token}").json()["cart"]) == {
        (a.item_id, a.size): 1, (b.item_id, b.size): 1}


def test_tokens_come_from_the_seeded_id_generator(settings, stocked):
    """Two sandboxes on the same id seed give the same token to the same requests; a reset does not rewind
    the sequence, so the same requests after it get a new token."""
    from cartwright.sandbox import create_app

    def token_of_new_share(app):
        with app.test_client(headers=AUTH) as c:
            return share(c, new_cart(c, [(stocked[0], 1)], "alice")).json()["token"]

    first, second = create_app(settings), create_app(settings)
    token = token_of_new_share(first)
    assert token_of_new_share(second) == token
    reset_state(first)
    assert token_of_new_share(first) != token


def test_merge_adds_shared_items_to_the_target_cart(client, stocked):
    """merge adds the shared quantities to the target's lines and keeps its other lines; the source is untouched."""
    a, b, c = stocked
    source = new_cart(client, [(a, 2), (b, 1)], "alice")
    target = new_cart(client, [(a, 1), (c, 1)], "bob")
    token = share(client, source).json()["token"]
    r = client.post(f"{BASE}/share-cart/{token}/merge?cart_id={target}")
    assert r.status_code == 200, r.text
    assert r.json()["cart"]["id"] == target and r.json()["error"] == ""
    expected = {(a.item_id, a.size): 3, (b.item_id, b.size): 1, (c.item_id, c.size): 1}
    assert quantities(r.json()["cart"]) == expected
    assert quantities(get_cart(client, "user_id=bob").json()) == expected
    assert quantities(get_cart(client, "user_id=alice").json()) == {(a.item_id, a.size): 2, (b.item_id, b.size): 1}


def test_replace_swaps_the_target_items_for_the_shared_ones(client, stocked):
    """replace leaves the target cart (same id) holding exactly the shared items."""
    a, b, c = stocked
    source = new_cart(client, [(a, 2), (b, 1)], "alice")
    target = new_cart(client, [(c, 3)], "bob")
    token = share(client, source).json()["token"]
    r = client.post(f"{BASE}/share-cart/{token}/replace?cart_id={target}")
    assert r.status_code == 200, r.text
    assert r.json()["cart"]["id"] == target
    assert quantities(get_cart(client, "user_id=bob").json()) == {(a.item_id, a.size): 2, (b.item_id, b.size): 1}


def test_sharing_errors_name_the_token_or_cart(client, stocked):
    """Unknown token 404 (read and apply), unknown/missing/same target cart, empty share, unknown shared cart."""
    source = new_cart(client, [(stocked[0], 1)], "alice")
    target = new_cart(client, [(stocked[1], 1)], "bob")
    token = share(client, source).json()["token"]
    assert_fynd_error(client.get(f"{BASE}/share-cart/nope"), 404, "token", "nope")
    assert_fynd_error(client.post(f"{BASE}/share-cart/nope/merge?cart_id={target}"), 404, "token", "nope")
    other_app = BASE.replace("app-1", "app-2")
    assert_fynd_error(client.get(f"{other_app}/share-cart/{token}"), 404, "token")
    assert_fynd_error(client.post(f"{BASE}/share-cart/{token}/merge?cart_id=ffff"), 404, "cart_id", "ffff")
    assert_fynd_error(client.post(f"{BASE}/share-cart/{token}/merge"), 400, "cart_id")
    assert_fynd_error(client.post(f"{BASE}/share-cart/{token}/replace?cart_id={source}"), 400, "cart_id")
    assert_fynd_error(client.post(f"{BASE}/share-cart/{token}/swap?cart_id={target}"), 400, "action")
    assert_fynd_error(share(client, "ffff"), 400, "id", "ffff")
    assert_fynd_error(share(client, source, big=[2**70]), 400, "meta.big[0]")
    empty = client.get(f"{BASE}/detail?user_id=carol").json()["id"]
    empty_token = share(client, empty).json()["token"]
    assert_fynd_error(client.post(f"{BASE}/share-cart/{empty_token}/merge?cart_id={target}"), 400, "token",
                      "no items")
    assert quantities(get_cart(client, "user_id=bob").json()) == {(stocked[1].item_id, stocked[1].size): 1}


def test_merge_into_a_checked_out_cart_is_refused(client, app, stocked):
    """A closed (checked-out) target cart takes no shared items: 400 naming cart_id, nothing changes."""
    source = new_cart(client, [(stocked[0], 1)], "alice")
    target = new_cart(client, [(stocked[1], 1)], "bob")
    change_cart(app, target, order_id="FY0001")
    token = share(client, source).json()["token"]
    for action in ("merge", "replace"):
        assert_fynd_error(client.post(f"{BASE}/share-cart/{token}/{action}?cart_id={target}"), 400, "cart_id",
                          "checked out")
    assert [l.item_id for l in stored_cart(app, target).lines] == [stocked[1].item_id]


def test_a_replace_that_adds_nothing_leaves_the_target_as_it_was(client, app, stocked):
    """When no shared item can be added (stock gone), replace is refused and the target keeps its items."""
    a, b, _ = stocked
    source = new_cart(client, [(a, 2)], "alice")
    target = new_cart(client, [(b, 1)], "bob")
    token = share(client, source).json()["token"]
    take_stock(app, a, leave=1)
    assert_fynd_error(client.post(f"{BASE}/share-cart/{token}/replace?cart_id={target}"), 400, "quantity")
    assert quantities(get_cart(client, "user_id=bob").json()) == {(b.item_id, b.size): 1}


def test_a_merge_reports_items_it_could_not_add(client, app, stocked):
    """Shared items that cannot be added are named in error; the others are merged."""
    a, b, c = stocked
    source = new_cart(client, [(a, 2), (b, 1)], "alice")
    target = new_cart(client, [(c, 1)], "bob")
    token = share(client, source).json()["token"]
    take_stock(app, a, leave=1)
    r = client.post(f"{BASE}/share-cart/{token}/merge?cart_id={target}")
    assert r.status_code == 200, r.text
    assert "shared items[0].quantity" in r.json()["error"]
    assert quantities(r.json()["cart"]) == {(b.item_id, b.size): 1, (c.item_id, c.size): 1}


# --------------------------------------------------------------------------- abandoned carts
def abandoned(client, query=""):
    r = client.get(f"{BASE}/abandoned/carts?{query}")
    assert r.status_code == 200, r.text
    return r.json()


def test_a_cart_is_abandoned_after_the_configured_time(client, move_clock, stocked):
    """A cart with items untouched for abandoned_after_minutes (default 1440) is listed, not a minute before."""
    a = stocked[0]
    cart_id = new_cart(client, [(a, 2)], "alice")
    move_clock(minutes=1439)
    assert abandoned(client)["items"] == []
    move_clock(minutes=1440)
    body = abandoned(client)
    [entry] = body["items"]
    assert entry["_id"] == cart_id and entry["user_id"] == "alice" and entry["app_id"] == "app-1"
    assert [(x["item_id"], x["quantity"]) for x in entry["articles"]] == [(a.item_id, 2)]
    assert money(entry["cart_value"]) == money(get_cart(client, "user_id=alice&b=true").json()
                                               ["breakup_values"]["raw"]["total"])
    assert body["page"]["item_total"] == 1 and body["success"] is True


def test_empty_checked_out_and_touched_carts_are_not_abandoned(client, app, move_clock, stocked):
    """Empty carts and checked-out carts never are; a change restarts the wait."""
    kept = new_cart(client, [(stocked[0], 1)], "alice")
    closed = new_cart(client, [(stocked[1], 1)], "bob")
    client.get(f"{BASE}/detail?user_id=carol")                      # an empty cart
    change_cart(app, closed, order_id="FY0001")
    move_clock(days=2)
    assert [e["_id"] for e in abandoned(client)["items"]] == [kept]
    add(client, [(stocked[2], 1)], user_id="alice")                  # touched now
    assert abandoned(client)["items"] == []
    move_clock(days=3)
    assert [e["_id"] for e in abandoned(client)["items"]] == [kept]


def test_abandoned_list_filters_by_creation_date_and_anonymity(client, move_clock, stocked):
    """from_date/to_date bound created_on; anonymous_cart picks user-less carts (true) or users' carts (false)."""
    move_clock(hours=0)
    early = new_cart(client, [(stocked[0], 1)], "alice")
    move_clock(hours=5)
    anonymous = new_cart(client, [(stocked[1], 1)], None)
    move_clock(days=3)
    assert {e["_id"] for e in abandoned(client)["items"]} == {early, anonymous}
    assert [e["_id"] for e in abandoned(client, "from_date=2026-11-22T12:00:00Z")["items"]] == [anonymous]
    assert [e["_id"] for e in abandoned(client, "to_date=2026-11-22T12:00:00Z")["items"]] == [early]
    assert [e["_id"] for e in abandoned(client, "anonymous_cart=true")["items"]] == [anonymous]
    assert [e["_id"] for e in abandoned(client, "anonymous_cart=false")["items"]] == [early]


def test_abandoned_list_sorts_and_pages(client, move_clock, stocked):
    """Newest first on sort_on; page_no/page_size pages from 0; last_id continues after a cart."""
    ids = []
    for hour in range(5):
        move_clock(hours=hour)
        ids.append(new_cart(client, [(stocked[0], 1)], f"user-{hour}"))
    move_clock(hours=6)
    add(client, [(stocked[1], 1)], user_id="user-0")        # the oldest cart is now the last modified
    move_clock(days=3)
    newest_first = ids[::-1]
    assert [e["_id"] for e in abandoned(client)["items"]] == newest_first
    by_modified = [e["_id"] for e in abandoned(client, "sort_on=last_modified")["items"]]
    assert by_modified == [ids[0]] + newest_first[:-1]
    page1 = abandoned(client, "page_size=2&page_no=1")
    assert [e["_id"] for e in page1["items"]] == newest_first[2:4]
    assert {k: page1["page"][k] for k in ("current", "size", "item_total", "has_previous", "has_next")} == {
        "current": 1, "size": 2, "item_total": 5, "has_previous": True, "has_next": True}
    last = abandoned(client, "page_size=2&page_no=2")
    assert [e["_id"] for e in last["items"]] == newest_first[4:] and last["page"]["has_next"] is False
    first = abandoned(client, "page_size=2")
    assert first["page"]["has_previous"] is False and first["page"]["next_id"] == newest_first[1]
    after = abandoned(client, f"page_size=2&last_id={first['page']['next_id']}")
    assert [e["_id"] for e in after["items"]] == newest_first[2:4] and after["page"]["current"] == 1


def test_abandoned_list_errors_name_the_parameter(client):
    """Unknown sort column, page_size 0, negative page_no and a bad date are 400; an unknown last_id is 404."""
    assert_fynd_error(client.get(f"{BASE}/abandoned/carts?sort_on=price"), 400, "sort_on", "price")
    assert_fynd_error(client.get(f"{BASE}/abandoned/carts?page_size=0"), 400, "page_size")
    assert_fynd_error(client.get(f"{BASE}/abandoned/carts?page_no=-1"), 400, "page_no")
    assert_fynd_error(client.get(f"{BASE}/abandoned/carts?last_id=ffff"), 404, "last_id", "ffff")


def test_abandoned_cart_details(client, move_clock, stocked):
    """Details are the cart (items, breakup with b=true) by id; unknown id is 404, no id 400."""
    cart_id = new_cart(client, [(stocked[0], 2)], "alice")
    move_clock(days=2)
    r = client.get(f"{BASE}/abandoned/cart/detail?id={cart_id}&b=true")
    assert r.status_code == 200, r.text
    assert r.json()["id"] == cart_id and quantities(r.json()) == {(stocked[0].item_id, stocked[0].size): 2}
    assert "breakup_values" in r.json()
    assert "items" not in client.get(f"{BASE}/abandoned/cart/detail?id={cart_id}&i=false").json()
    assert_fynd_error(client.get(f"{BASE}/abandoned/cart/detail?id=ffff"), 404, "id", "ffff")
    assert_fynd_error(client.get(f"{BASE}/abandoned/cart/detail"), 400, "id")


def test_abandoned_add_and_update_change_the_cart(client, move_clock, stocked):
    """addItems/updateCart act on the named cart as add/update do, and the cart stops being abandoned."""
    a, b, _ = stocked
    cart_id = new_cart(client, [(a, 1)], "alice")
    move_clock(days=2)
    url = f"{BASE}/abandoned/carts/{cart_id}"
    r = client.post(f"{url}?b=true", json={"items": [{"item_id": b.item_id, "item_size": b.size, "quantity": 2}]})
    assert r.status_code == 200, r.text
    assert r.json()["partial"] is False and "breakup_values" in r.json()["cart"]
    assert quantities(r.json()["cart"]) == {(a.item_id, a.size): 1, (b.item_id, b.size): 2}
    assert abandoned(client)["items"] == []
    line = next(i for i in r.json()["cart"]["items"]
                if (i["product"]["uid"], i["article"]["size"]) == (b.item_id, b.size))["identifiers"]
    r = client.put(url, json={"operation": "update_item", "items": [{"identifiers": line, "quantity": 4}]})
    assert r.status_code == 200, r.text
    assert quantities(get_cart(client, "user_id=alice").json()) == {(a.item_id, a.size): 1, (b.item_id, b.size): 4}
    r = client.put(url, json={"operation": "remove_item", "items": [{"identifiers": line}]})
    assert quantities(r.json()["cart"]) == {(a.item_id, a.size): 1}


def test_abandoned_add_and_update_errors(client, stocked):
    """Unknown cart_id is 404 naming it; bad operation, unknown line and unknown item as in the cart operations."""
    cart_id = new_cart(client, [(stocked[0], 1)], "alice")
    item = {"item_id": stocked[1].item_id, "item_size": stocked[1].size}
    assert_fynd_error(client.post(f"{BASE}/abandoned/carts/ffff", json={"items": [item]}), 404, "cart_id", "ffff")
    assert_fynd_error(client.put(f"{BASE}/abandoned/carts/ffff", json={"operation": "update_item", "items": []}),
                      404, "cart_id")
    url = f"{BASE}/abandoned/carts/{cart_id}"
    assert_fynd_error(client.post(url, json={"items": [{"item_id": 1, "item_size": "M"}]}), 404, "items[0].item_id")
    assert_fynd_error(client.put(url, json={"operation": "grow", "items": [{"identifiers": {"identifier": "x"}}]}),
                      400, "operation")
    assert_fynd_error(client.put(url, json={"operation": "update_item",
                                            "items": [{"identifiers": {"identifier": "x"}, "quantity": 1}]}),
                      404, "items[0].identifiers.identifier")
    assert quantities(get_cart(client, "user_id=alice").json()) == {(stocked[0].item_id, stocked[0].size): 1}


def test_abandoned_add_with_new_cart_starts_a_new_cart_for_the_user(client, stocked):
    """new_cart: true puts the items in a new cart of the named cart's user, which becomes the active one."""
    old = new_cart(client, [(stocked[0], 1)], "alice")
    item = {"item_id": stocked[1].item_id, "item_size": stocked[1].size}
    r = client.post(f"{BASE}/abandoned/carts/{old}", json={"new_cart": True, "items": [item]})
    assert r.status_code == 200, r.text
    new = r.json()["cart"]["id"]
    assert new != old and get_cart(client, "user_id=alice").json()["id"] == new
    bad = client.post(f"{BASE}/abandoned/carts/{new}", json={"new_cart": True, "items": [{"item_id": 1,
                                                                                          "item_size": "M"}]})
    assert_fynd_error(bad, 404, "items[0].item_id")
    assert get_cart(client, "user_id=alice").json()["id"] == new     # the failed request left no new cart


def test_abandoned_after_minutes_is_a_setting(settings):
    """The wait is the abandoned_after_minutes setting (flag and CARTWRIGHT_ variable); it cannot be negative."""
    from cartwright.sandbox import Settings
    from cartwright.sandbox._cli import settings_from
    from cartwright.sandbox.domain.abandoned import AbandonedCarts
    from cartwright.sandbox.domain.errors import InvalidValue

    assert Settings().abandoned_after_minutes == 1440
    assert Settings.from_env({"CARTWRIGHT_ABANDONED_AFTER_MINUTES": "30"}).abandoned_after_minutes == 30
    assert settings_from(["serve", "--abandoned-after-minutes", "5"]).abandoned_after_minutes == 5
    with pytest.raises(InvalidValue):
        AbandonedCarts(None, None, None, timedelta(minutes=-1))
    with pytest.raises(InvalidValue, match="abandoned_after_minutes"):
        settings_from(["serve", "--abandoned-after-minutes", "-1"])


# --------------------------------------------------------------------------- cart configuration
CONFIG = f"{BASE}/cart_configuration"


def configure(client, **doc):
    r = client.post(CONFIG, json=doc)
    assert r.status_code == 201, r.text
    return r.json()["_id"]


DEFAULT_CONFIG = {"min_cart_value": 0, "max_cart_value": 0, "bulk_coupons": False, "max_cart_items": 0,
                  "gift_display_text": "", "revenue_engine_coupon": False, "gift_pricing": 0, "enabled": True,
                  "delivery_charges": {"enabled": True, "charges": [{"threshold": 499, "charges": 49}]}}


def test_every_application_starts_with_the_default_configuration(client, app, settings):
    """A fresh application's configuration is the default (no limits, the delivery_rules setting's charges), under
    a stable id of its own; reading stores nothing, PUT by that id changes it, reset brings the default back."""
    first = client.get(CONFIG)
    assert first.status_code == 200, first.text
    config_id = first.json().pop("_id")
    assert first.json() == {**DEFAULT_CONFIG, "_id": config_id}
    assert client.get(CONFIG).json()["_id"] == config_id and run(app.sandbox.state.cart_configs.get(("1", "app-1"))) is None
    other = client.get(CONFIG.replace("app-1", "app-2")).json()
    assert other["_id"] != config_id
    r = client.put(f"{CONFIG}/{config_id}", json={**DEFAULT_CONFIG, "max_cart_items": 2})
    assert r.status_code == 200 and r.json()["max_cart_items"] == 2, r.text
    assert client.get(CONFIG).json() == {**DEFAULT_CONFIG, "max_cart_items": 2, "_id": config_id}
    assert client.get(CONFIG.replace("app-1", "app-2")).json() == other
    reset_state(app)
    assert client.get(CONFIG).json() == {**DEFAULT_CONFIG, "_id": config_id}
    with create_app(settings.replace(delivery_rules=())).test_client(headers=AUTH) as free:
        assert free.get(CONFIG).json()["delivery_charges"] == {"enabled": False, "charges": []}


def test_the_default_configuration_acts_as_no_configuration(client, stocked):
    """Writing the default back (as the conformance kit does) leaves carts priced and limited exactly as before."""
    a = stocked[0]
    new_cart(client, [(a, 1)], "alice")
    before = get_cart(client, "user_id=alice&b=true").json()["breakup_values"]["raw"]
    config_id = client.get(CONFIG).json()["_id"]
    assert client.put(f"{CONFIG}/{config_id}", json=DEFAULT_CONFIG).status_code == 200
    assert get_cart(client, "user_id=alice&b=true").json()["breakup_values"]["raw"] == before
    assert add(client, [(a, 2)], user_id="alice").status_code == 200


def test_cart_configuration_persists_per_application(client):
    """Create (201, with the default's _id), fetch, replace by id; one per application; unknown ids are 404."""
    default_id = client.get(CONFIG).json()["_id"]
    doc = {"min_cart_value": 100, "max_cart_items": 10, "gift_pricing": 25.5, "gift_display_text": "Gift wrap",
           "delivery_charges": {"enabled": True, "charges": [{"threshold": 999, "charges": 29}]}, "enabled": True}
    config_id = configure(client, **doc)
    assert config_id == default_id
    assert client.get(CONFIG).json() == {**doc, "_id": config_id}
    r = client.put(f"{CONFIG}/{config_id}", json={"max_cart_value": 5000, "bulk_coupons": True})
    assert r.status_code == 200, r.text
    assert r.json() == {"max_cart_value": 5000, "bulk_coupons": True, "_id": config_id}
    assert client.get(CONFIG).json() == r.json()
    assert_fynd_error(client.post(CONFIG, json={"min_cart_value": 1}), 400, "cart_meta_id", config_id)
    assert_fynd_error(client.put(f"{CONFIG}/ffff", json={}), 404, "cart_meta_id", "ffff")
    other = CONFIG.replace("app-1", "app-2")
    assert client.get(other).json()["_id"] != config_id
    assert_fynd_error(client.put(f"{other}/{config_id}", json={}), 404, "cart_meta_id")


def test_bad_configuration_values_are_refused_and_nothing_is_stored(client):
    """Negative values, a minimum above the maximum and negative delivery charges are 400 naming the field."""
    assert_fynd_error(client.post(CONFIG, json={"min_cart_value": -1}), 400, "min_cart_value")
    assert_fynd_error(client.post(CONFIG, json={"min_cart_value": 500, "max_cart_value": 100}), 400,
                      "max_cart_value")
    assert_fynd_error(client.post(CONFIG, json={"delivery_charges": {"charges": [{"threshold": 10, "charges": -5}]}}),
                      400, "delivery_charges.charges[0].charges")
    assert_fynd_error(client.post(CONFIG, json={"max_cart_items": 2**31}), 400, "max_cart_items")
    assert client.get(CONFIG).json()["min_cart_value"] == 0
    config_id = configure(client, max_cart_items=3)
    assert_fynd_error(client.put(f"{CONFIG}/{config_id}", json={"max_cart_items": -3}), 400, "max_cart_items")
    assert client.get(CONFIG).json()["max_cart_items"] == 3


def test_max_cart_items_is_enforced_by_add_and_update(client, stocked):
    """A change taking the cart over max_cart_items (units) is 400 naming it and changes nothing; lowering is fine."""
    a, b, _ = stocked
    configure(client, max_cart_items=3)
    cart_id = new_cart(client, [(a, 2)], "alice")
    assert_fynd_error(add(client, [(b, 2)], user_id="alice"), 400, "max_cart_items", "3")
    assert_fynd_error(client.post(f"{BASE}/abandoned/carts/{cart_id}",
                                  json={"items": [{"item_id": b.item_id, "item_size": b.size, "quantity": 2}]}),
                      400, "max_cart_items")
    line = get_cart(client, "user_id=alice").json()["items"][0]["identifiers"]
    assert_fynd_error(client.put(f"{BASE}/detail", json={"user_id": "alice", "operation": "update_item",
                                                         "items": [{"identifiers": line, "quantity": 4}]}),
                      400, "max_cart_items")
    assert quantities(get_cart(client, "user_id=alice").json()) == {(a.item_id, a.size): 2}
    assert add(client, [(b, 1)], user_id="alice").status_code == 200


def test_max_cart_value_is_enforced_on_the_value_of_goods(client, stocked):
    """A change taking the value of goods over max_cart_value is refused naming it."""
    a = stocked[0]
    configure(client, max_cart_value=int(a.effective * 2))
    assert add(client, [(a, 2)], user_id="alice").status_code == 200
    assert_fynd_error(add(client, [(a, 1)], user_id="alice"), 400, "max_cart_value")
    assert quantities(get_cart(client, "user_id=alice").json()) == {(a.item_id, a.size): 2}


def test_a_disabled_configuration_is_not_enforced(client, stocked):
    """enabled: false switches the limits and the delivery rules off."""
    a = stocked[0]
    config_id = configure(client, max_cart_items=1, delivery_charges={"enabled": False, "charges": []})
    assert_fynd_error(add(client, [(a, 2)], user_id="alice"), 400, "max_cart_items")
    client.put(f"{CONFIG}/{config_id}", json={"max_cart_items": 1, "enabled": False})
    assert add(client, [(a, 2)], user_id="alice").status_code == 200


def test_configured_delivery_charges_replace_the_setting(client, stocked):
    """The configuration's delivery charges apply to the application's carts; disabled, delivery is free."""
    a = stocked[0]
    new_cart(client, [(a, 1)], "alice")
    setting = get_cart(client, "user_id=alice&b=true").json()
    assert setting["common_config"]["delivery_charges_config"]["charges"] == [{"threshold": 499, "charges": 49}]
    config_id = configure(client, delivery_charges={"enabled": True, "charges": [{"threshold": 1_000_000,
                                                                                  "charges": 99}]})
    body = get_cart(client, "user_id=alice&b=true").json()
    assert body["breakup_values"]["raw"]["delivery_charge"] == 99
    assert body["common_config"]["delivery_charges_config"] == {
        "enabled": True, "charges": [{"threshold": 1_000_000, "charges": 99}]}
    client.put(f"{CONFIG}/{config_id}", json={"delivery_charges": {"enabled": False, "charges": []}})
    assert get_cart(client, "user_id=alice&b=true").json()["breakup_values"]["raw"]["delivery_charge"] == 0
    other = BASE.replace("app-1", "app-2")
    add_other = client.post(f"{other}/detail?b=true", json={"user_id": "alice", "items": [
        {"item_id": a.item_id, "item_size": a.size}]}).json()
    assert add_other["cart"]["common_config"]["delivery_charges_config"]["charges"] == [
        {"threshold": 499, "charges": 49}]


def test_checkout_problems_name_the_configured_limit(client, app, stocked):
    """checkout_problems names min_cart_value when the goods are worth less (checkout calls it)."""
    from cartwright.sandbox.domain.cart_config import checkout_problems

    a = stocked[0]
    cart_id = new_cart(client, [(a, 1)], "alice")
    value = run(app.sandbox.carts.priced(stored_cart(app, cart_id))).breakup.vog
    config = run(app.sandbox.cart_config.active(("1", "app-1")))
    assert checkout_problems(config, value, 1) == []
    configure(client, min_cart_value=int(a.effective) + 1)
    [problem] = checkout_problems(run(app.sandbox.cart_config.active(("1", "app-1"))), value, 1)
    assert problem.field == "min_cart_value" and "min_cart_value" in problem.message
    assert Decimal(problem.value) == a.effective
