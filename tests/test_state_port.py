"""Every piece of state goes through the state port: after a workload touching every kind of state, no service
holds more than it did (caches aside, each bounded), the state's snapshot holds it all, and a reset empties it."""
from cartkit import add, articles
from conftest import AUTH, BASE

# What services may keep beyond the state: derived caches, bounded, each a pure function of the state.
CACHES = {("OfferIndex", "_parsed"), ("OfferIndex", "_kept"), ("CartService", "_contexts")}


def services(sandbox):
    """The domain services the sandbox wires (the state port itself aside), and the domain objects they hold."""
    def domain(v):
        return hasattr(v, "__dict__") and type(v).__module__.startswith("cartwright.sandbox.domain")

    for name, service in vars(sandbox).items():
        if domain(service) and name not in ("state", "ids", "clock", "catalog"):
            yield service
            yield from (v for v in vars(service).values() if domain(v) and type(v).__name__ not in (
                "SandboxState", "Ids", "Clock", "Catalog"))


def containers(sandbox) -> dict[tuple[str, str], int]:
    """The size of every container attribute of every service (caches aside), by (class, attribute)."""
    return {(type(owner).__name__, attr): len(value) for owner in services(sandbox)
            for attr, value in vars(owner).items()
            if isinstance(value, (dict, list, set)) and (type(owner).__name__, attr) not in CACHES}


def workload(client, catalog):
    """One of every change: carts, lines, a coupon and a promotion, an address, a share, the cart configuration,
    a price adjustment, a checkout and a voucher cart."""
    a, b = articles(catalog, min_stock=4)[:2]
    cart_id = add(client, [(a, 2)], user_id="w").json()["cart"]["id"]
    pin = next(p for p in catalog.pincodes if p.serviceable)
    assert client.post(f"{BASE}/address", json={"user_id": "w", "area_code": pin.pincode, "name": "W",
                                                "address": "3 Road", "city": pin.city}).status_code == 200
    assert client.post(f"{BASE}/coupon", json={
        "code": "WORK", "type_slug": "absolute", "_schedule": {"status": "draft"}, "display_meta": {"title": "W"},
        "rule_definition": {"type": "absolute", "applicable_on": "amount", "calculate_on": "esp"},
        "rule": [{"key": 1, "value": 10}]}).status_code == 201
    assert client.post(f"{BASE}/share-cart", json={"id": cart_id}).status_code == 200
    r = client.post(f"{BASE}/price-adjustment", json={
        "cart_id": cart_id, "type": "charge", "value": 5, "message": "wrap", "is_authenticated": True,
        "collection": {"refund_by": "seller", "collected_by": "seller"}, "article_level_distribution": False,
        "article_ids": [{"article_id": a.article_id}]})
    assert r.status_code == 201, r.text
    config = client.get(f"{BASE}/cart_configuration").json()
    assert client.put(f"{BASE}/cart_configuration/{config['_id']}", json={"max_cart_items": 40}).status_code == 200
    order_cart = add(client, [(b, 1)], user_id="buyer").json()["cart"]["id"]
    assert client.post(f"{BASE.replace('v1.0', 'v2.0')}/checkout?id={order_cart}", json={
        "id": order_cart, "user_id": "buyer", "order_type": "PickAtStore",
        "payment_methods": [{"mode": "CARD", "payment_meta": {}}]}).status_code == 200


def test_services_hold_no_state_of_their_own(app, catalog):
    """A workload of every kind of change leaves every service's containers as they were (caches aside): what
    changed is in the state port, whose snapshot holds each kind."""
    before = containers(app.sandbox)
    with app.test_client(headers=AUTH) as client:
        workload(client, catalog)
        entry = next(iter(app.sandbox.voucher_catalog.values()))
        assert client.post("/api/v0/cart?product=VOUCHER", json={"productCatalogId": entry.id, "items": {
            entry.configs[0].id: {"quantity": 1, "description": ""}}}).status_code == 200
        tables = client.get("/_cartwright/state").json()["tables"]
    grown = {k: (before.get(k), n) for k, n in containers(app.sandbox).items() if n != before.get(k)}
    assert before and grown == {}
    assert {"carts", "active", "stock_taken", "offers", "addresses", "shares", "cart_configs", "adjustment_cart",
            "voucher_carts"} <= set(tables)


def test_a_reset_empties_the_state(app, catalog):
    """After a reset, the state's snapshot holds no record at all."""
    with app.test_client(headers=AUTH) as client:
        workload(client, catalog)
        assert client.post("/_cartwright/reset").status_code == 200
        assert client.get("/_cartwright/state").json()["tables"] == {}
