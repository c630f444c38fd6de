"""Payment modes and checkout through the whole stack."""
import pytest

from cartkit import add, articles, assert_fynd_error, get_cart, money, raw_of
from conftest import BASE, reset_state


@pytest.fixture
def app(plain_app):
    """Checkout arithmetic here is checked without the default promotions."""
    reset_state(plain_app)
    return plain_app


def v2(client, cart_id, **body):
    payload = {"id": cart_id, "user_id": "user-1", "order_type": "PickAtStore",
               "payment_methods": [{"mode": "CARD", "payment_meta": {}}], **body}
    return client.post(f"{BASE.replace('v1.0', 'v2.0')}/checkout?id={cart_id}", json=payload)


def test_pick_up_checkout_places_an_order_takes_stock_and_closes_the_cart(client, catalog):
    """A pick-up cart checks out: an order id, the stock goes down, the cart refuses writes, a new cart starts."""
    a = articles(catalog, min_stock=3)[0]
    cart = add(client, [(a, 2)]).json()["cart"]
    r = v2(client, cart["id"])
    assert r.status_code == 200, r.text
    order_id = r.json()["order_id"]
    assert order_id and r.json()["cart"]["order_id"] == order_id
    most = a.stock - 2
    assert_fynd_error(add(client, [(a, most + 1)], user_id="other"), 400, "only")
    assert add(client, [(a, most)], user_id="other2").status_code == 200
    r = add(client, [(articles(catalog)[1], 1)], user_id=None, query=f"id={cart['id']}")
    assert_fynd_error(r, 400, "checked out")
    fresh = get_cart(client).json()
    assert fresh["id"] != cart["id"] and fresh["items"] == []


def test_repeated_checkout_gives_the_same_order(client, catalog):
    """Checking the same cart out twice answers the first order and takes no more stock."""
    a = articles(catalog, min_stock=2)[0]
    cart_id = add(client, [(a, 1)]).json()["cart"]["id"]
    first = v2(client, cart_id).json()["order_id"]
    again = v2(client, cart_id)
    assert again.status_code == 200 and again.json()["order_id"] == first
    assert add(client, [(a, a.stock - 1)], user_id="other").status_code == 200


def test_a_checkout_says_whether_cash_on_delivery_is_possible_at_its_address(client, catalog):
    """A cart checked out to an address at a PIN code without COD answers cod_available false, its repeat too;
    one to a code with COD, or picked up, answers true."""
    no_cod = next(p for p in catalog.pincodes if p.serviceable and not p.cod)
    with_cod = next(p for p in catalog.pincodes if p.serviceable and p.cod)
    a = articles(catalog, min_stock=3)[0]
    for user, pin, expected in (("u-no-cod", no_cod, False), ("u-cod", with_cod, True), ("u-pick-up", None, True)):
        cart_id = add(client, [(a, 1)], user_id=user).json()["cart"]["id"]
        body = {"user_id": user}
        if pin is not None:
            address_id = client.post(f"{BASE}/address", json={"user_id": user, "area_code": pin.pincode, "name": "A",
                                                              "address": "1 Road", "city": pin.city}).json()["id"]
            body.update(order_type="HomeDelivery", address_id=address_id)
        for _ in ("the order", "its repeat"):
            r = v2(client, cart_id, **body)
            assert r.status_code == 200, r.text
            assert r.json()["cart"]["cod_available"] is expected, (user, r.json()["data"])


def test_checkout_refusals(client, catalog):
    """An empty cart, home delivery without an address, and an unknown payment mode are refused by field."""
    empty = get_cart(client, "user_id=nobody").json()["id"]
    assert_fynd_error(v2(client, empty, user_id="nobody"), 400, "no items")
    cart_id = add(client, [(articles(catalog)[0], 1)]).json()["cart"]["id"]
    assert_fynd_error(v2(client, cart_id, order_type="HomeDelivery"), 400, "address_id")
    assert_fynd_error(v2(client, cart_id, payment_methods=[{"mode": "BARTER", "payment_meta": {}}]), 400,
                      "payment_mode", "BARTER")
    assert_fynd_error(v2(client, cart_id, user_id="someone-else"), 400, "user_id")
    assert get_cart(client, f"id={cart_id}").json()["items"]


def test_cod_adds_its_charge(client, catalog):
    """Selecting cash on delivery adds the COD charge to the breakup; another mode removes it."""
    a = articles(catalog)[0]
    cart_id = add(client, [(a, 1)]).json()["cart"]["id"]
    before = raw_of(get_cart(client, f"id={cart_id}&b=true").json())
    r = client.put(f"{BASE}/payment?id={cart_id}", json={"payment_mode": "COD"})
    assert r.status_code == 200, r.text
    assert raw_of(r.json())["cod_charge"] == money(49) and raw_of(r.json())["total"] == before["total"] + 49
    r = client.put(f"{BASE.replace('v1.0', 'v2.0')}/payment?id={cart_id}",
                   json={"payment_methods": [{"mode": "UPI", "payment_meta": {}}]})
    assert r.status_code == 200, r.text
    assert raw_of(r.json()) == before
    assert_fynd_error(client.put(f"{BASE}/payment?id={cart_id}", json={"payment_mode": "GOLD"}), 400, "GOLD")


def test_v2_payment_amounts_must_cover_the_total(client, catalog):
    """Several payment methods with amounts must add up to the cart total."""
    a = articles(catalog)[0]
    cart_id = add(client, [(a, 1)]).json()["cart"]["id"]
    total = raw_of(get_cart(client, f"id={cart_id}&b=true").json())["total"]
    url = f"{BASE.replace('v1.0', 'v2.0')}/payment?id={cart_id}"
    bad = [{"mode": "UPI", "amount": 1, "payment_meta": {}}]
    assert_fynd_error(client.put(url, json={"payment_methods": bad}), 400, "payment_methods")
    good = [{"mode": "UPI", "amount": float(total - 1), "payment_meta": {}},
            {"mode": "WL", "amount": 1, "payment_meta": {}}]
    assert client.put(url, json={"payment_methods": good}).status_code == 200


def test_open_api_checkout_orders_the_given_items(client, catalog):
    """The v1 checkout orders items given in the body at today's prices, once per identical request."""
    a = articles(catalog, min_stock=2)[0]
    pin = next(p for p in catalog.pincodes if p.serviceable)
    quote = client.post(f"{BASE}/cart/serviceability", json={
        "cart_items": [{"product_id": str(a.item_id), "size": a.size, "quantity": 1}],
        "shipping_address": {"area_code": pin.pincode}}).json()
    total = quote["breakup_values"]["raw"]["total"]
    address = {"area_code": pin.pincode}
    body = {"cart_value": total, "cashback_applied": 0, "billing_address": address, "shipping_address": address,
            "coupon_code": "", "coupon_value": 0, "delivery_charges": 0, "cod_charges": 0,
            "payment_methods": [{"mode": "CARD", "amount": total}],
            "cart_items": [{"product_id": a.item_id, "size": a.size, "quantity": 1, "price_effective": float(a.effective),
                            "price_marked": float(a.marked), "amount_paid": total, "discount": 0, "cod_charges": 0,
                            "delivery_charges": 0, "cashback_applied": 0, "coupon_effective_discount": 0,
                            "payment_methods": [{"mode": "CARD", "amount": total}]}]}
    r = client.post(f"{BASE}/cart/checkout", json=body)
    assert r.status_code == 200, r.text
    again = client.post(f"{BASE}/cart/checkout", json=body)
    assert again.json()["order_id"] == r.json()["order_id"]
    assert_fynd_error(client.post(f"{BASE}/cart/checkout", json={**body, "cart_value": total + 1}), 400, "cart_value")


def test_override_checkout_uses_the_given_items(client, catalog):
    """Override checkout orders the items and prices it is given and closes the cart."""
    a, b = articles(catalog, min_stock=2)[:2]
    cart_id = add(client, [(a, 1)]).json()["cart"]["id"]
    body = {"cart_id": cart_id, "payment_mode": "CARD", "merchant_code": "M", "payment_identifier": "P",
            "currency_code": "INR", "aggregator": "A", "order_type": "HomeDelivery",
            "cart_items": [{"item_id": b.item_id, "size": b.size, "quantity": 2, "price_marked": 100,
                            "price_effective": 90, "amount_paid": 90, "discount": 10}]}
    r = client.post(f"{BASE}/checkout/over-ride", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["order_value"] == 90
    assert_fynd_error(add(client, [(a, 1)], user_id=None, query=f"id={cart_id}"), 400, "checked out")
    assert_fynd_error(client.post(f"{BASE}/checkout/over-ride", json={
        **body, "cart_id": add(client, [(a, 1)], user_id="x").json()["cart"]["id"],
        "cart_items": [{**body["cart_items"][0], "item_id": 1}]}), 404, "cart_items[0].item_id")


def test_checked_out_cart_leaves_the_cart_list(client, catalog):
    """A cart that became an order is no longer listed among the application's carts."""
    cart_id = add(client, [(articles(catalog)[0], 1)]).json()["cart"]["id"]
    assert cart_id in [c["cart_id"] for c in client.get(f"{BASE}/cart-list").json()["data"]]
    assert v2(client, cart_id).status_code == 200
    assert cart_id not in [c["cart_id"] for c in client.get(f"{BASE}/cart-list").json()["data"]]


def two_store_article(catalog, minimum=2):
    """(article, other) of one item and size, sold by two stores, each with ``minimum`` units."""
    for a in catalog.articles:
        if a.stock < minimum:
            continue
        other = next((b for b in catalog.articles_for(a.item_id, a.size)
                      if b.store_uid != a.store_uid and b.stock >= minimum), None)
        if other is not None:
            return a, other
    raise LookupError("no item sold by two stores")


def at(article, quantity):
    """An add-to-cart item for ``article``'s own store."""
    return {"item_id": article.item_id, "item_size": article.size, "quantity": quantity, "store_id": article.store_uid}


def test_pick_at_store_uid_checks_out_from_that_store(client, catalog):
    """v2 checkout with pick_at_store_uid: the order's lines come from that store, its stock goes down, no delivery charge."""
    a, other = two_store_article(catalog)
    cart = add(client, [at(a, 1)]).json()["cart"]
    assert cart["items"][0]["article"]["store"]["uid"] == a.store_uid
    r = v2(client, cart["id"], order_type="HomeDelivery", pick_at_store_uid=other.store_uid)
    assert r.status_code == 200, r.text
    [item] = r.json()["cart"]["items"]
    assert item["article"]["store"]["uid"] == other.store_uid
    assert raw_of(r.json()["cart"])["delivery_charge"] == 0
    left = other.stock - 1  # the pick-up store's stock went down, the first store's did not
    assert_fynd_error(add(client, [at(other, left + 1)], user_id="o1"), 400, "only")
    assert add(client, [at(a, a.stock)], user_id="o2").status_code == 200


def test_refused_checkout_leaves_the_cart_as_it_was(client, catalog):
    """Unknown pick-up store (404), a store not selling the item (400), a bad payment mode: the cart is unchanged."""
    a = articles(catalog, min_stock=2)[0]
    cart_id = add(client, [(a, 1)]).json()["cart"]["id"]
    before = get_cart(client, f"id={cart_id}&b=true").json()
    assert_fynd_error(v2(client, cart_id, pick_at_store_uid=999999), 404, "pick_at_store_uid", "999999")
    elsewhere = next(s.uid for s in catalog.stores
                     if not any(b.store_uid == s.uid for b in catalog.articles_for(a.item_id, a.size)))
    assert_fynd_error(v2(client, cart_id, pick_at_store_uid=elsewhere), 400, "pick_at_store_uid", str(elsewhere))
    assert_fynd_error(v2(client, cart_id, order_type="PickAtStore",
                         payment_methods=[{"mode": "BARTER", "payment_meta": {}}]), 400, "payment_mode")
    assert get_cart(client, f"id={cart_id}&b=true").json() == before


def test_admin_catalog_shows_the_stock_left_after_a_checkout(client, catalog):
    """The admin catalog lists what the company can still sell: a checkout's units come off the article's stock
    there."""
    a = articles(catalog, min_stock=3)[0]

    def listed():
        return next(x["stock"] for p in client.get("/_cartwright/catalog?company_id=1").json()["products"]
                    for s in p["sizes"] for x in s["articles"] if x["article_id"] == a.article_id)

    assert listed() == a.stock
    cart_id = add(client, [(a, 2)]).json()["cart"]["id"]
    assert v2(client, cart_id).status_code == 200
    assert listed() == a.stock - 2
