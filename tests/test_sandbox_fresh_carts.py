"""Reading a cart stores nothing: a new user's cart is fresh, with a stable id, until a change stores it."""
from cartkit import add, article, assert_fynd_error, get_cart
from conftest import AUTH, BASE


def carts_stored(client) -> int:
    return client.get("/_cartwright/health").json()["carts"]


def test_reading_new_users_carts_stores_nothing(client):
    """Hundreds of reads of new users' carts answer empty carts and leave no cart behind."""
    for n in range(300):
        r = get_cart(client, f"user_id=reader-{n}")
        assert r.status_code == 200 and r.json()["items"] == []
    assert carts_stored(client) == 0


def test_a_fresh_cart_keeps_its_id_through_reads_and_its_first_change(client, catalog):
    """A new user's cart shows one id on every read, and the first add stores the cart under that id."""
    first = get_cart(client, "user_id=newcomer").json()
    assert get_cart(client, "user_id=newcomer").json()["id"] == first["id"]
    assert first["cart_id"] == 0
    added = add(client, [(article(catalog), 1)], user_id="newcomer").json()["cart"]
    assert added["id"] == first["id"] and added["cart_id"] > 0
    assert carts_stored(client) == 1


def test_a_fresh_cart_is_reachable_by_the_id_a_read_showed(client, catalog):
    """Operations naming the id a read showed find the fresh cart, and an add by that id stores it."""
    cart_id = get_cart(client, "user_id=by-id").json()["id"]
    assert client.get(f"{BASE}/basic?id={cart_id}").json()["user_cart_items_count"] == 0
    assert carts_stored(client) == 0
    r = add(client, [(article(catalog, min_stock=2), 2)], user_id=None, query=f"id={cart_id}")
    assert r.status_code == 200 and r.json()["cart"]["id"] == cart_id
    assert get_cart(client, "user_id=by-id").json()["id"] == cart_id
    assert client.get(f"{BASE}/basic?id={cart_id}").json()["user_cart_items_count"] == 2


def test_refused_changes_to_a_fresh_cart_store_nothing(client):
    """An add of an unknown item, or an update, for a new user is refused and leaves no cart."""
    r = client.post(f"{BASE}/detail", json={"user_id": "refused", "items": [{"item_id": 1, "item_size": "M"}]})
    assert_fynd_error(r, 404, "item_id")
    r = client.put(f"{BASE}/detail", json={"user_id": "refused", "operation": "update_item",
                                           "items": [{"identifiers": {"identifier": "x"}, "quantity": 1}]})
    assert_fynd_error(r, 404, "identifier")
    r = client.post(f"{BASE}/detail", json={"items": [{"item_id": 1, "item_size": "M"}]})   # user-less
    assert_fynd_error(r, 404, "item_id")
    assert carts_stored(client) == 0


def test_only_so_many_fresh_ids_are_remembered(settings, catalog):
    """Past fresh_carts_remembered, the oldest shown id is forgotten (404 by id) while reads by user still
    show it, and memory stays bounded."""
    from cartwright.sandbox import create_app

    app = create_app(settings.replace(fresh_carts_remembered=3))
    with app.test_client(headers=AUTH) as c:
        first = get_cart(c, "user_id=u0").json()["id"]
        for n in range(1, 5):
            get_cart(c, f"user_id=u{n}")
        assert_fynd_error(c.get(f"{BASE}/basic?id={first}"), 404, first)
        assert len(app.sandbox.storage._notes["fresh"]) == 3
        assert get_cart(c, "user_id=u0").json()["id"] == first


def test_a_users_next_cart_after_checkout_has_a_new_id(client, catalog):
    """Once a user's cart is checked out, the fresh cart reads show has an id of its own."""
    a = article(catalog, min_stock=2)
    cart_id = add(client, [(a, 1)]).json()["cart"]["id"]
    r = client.post(f"{BASE.replace('v1.0', 'v2.0')}/checkout?id={cart_id}", json={
        "id": cart_id, "user_id": "user-1", "order_type": "PickAtStore",
        "payment_methods": [{"mode": "CARD", "payment_meta": {}}]})
    assert r.status_code == 200, r.text
    fresh = get_cart(client).json()
    assert fresh["id"] != cart_id and fresh["items"] == []
    assert add(client, [(a, 1)]).json()["cart"]["id"] == fresh["id"]
