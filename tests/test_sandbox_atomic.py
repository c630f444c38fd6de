"""All or nothing: a checkout that fails at any step has taken no stock, closed no cart and placed no order;
v2 checkout holds payment amounts to the cart's total."""
import copy

import pytest

from cartkit import add, articles, assert_fynd_error, get_cart
from conftest import BASE, reset_state, run

V2 = BASE.replace("v1.0", "v2.0")


class InjectedFailure(RuntimeError):
    """Raised by the state on purpose, in the middle of a checkout."""


@pytest.fixture
def app(plain_app):
    reset_state(plain_app)
    return plain_app


def state_tables(app) -> dict:
    """Everything the state holds (its counters aside: numbers taken are never given back)."""
    return run(app.sandbox.storage.export())["tables"]


def fail_at(monkeypatch, where: str, step: int) -> list[str]:
    """Make the state's ``step``-th write (counting from 1) fail: ``"buffer"`` while a transaction buffers its
    writes, ``"commit"`` while a commit applies them. The writes made so far."""
    from cartwright.sandbox.state import memory

    calls: list[str] = []
    targets = ([(memory._Tx, "put"), (memory._Tx, "delete")] if where == "buffer"
               else [(memory.MemoryStorage, "_apply")])
    for owner, name in targets:
        original = getattr(owner, name)

        def wrapped(self, *args, _original=original, _name=name):
            calls.append(f"{_name} {args[0]}")
            if len(calls) == step:
                raise InjectedFailure(f"{_name} failed at step {step}")
            return _original(self, *args)

        monkeypatch.setattr(owner, name, wrapped)
    return calls


def two_line_cart(client, catalog) -> str:
    a, b = articles(catalog, min_stock=3)[:2]
    return add(client, [(a, 2), (b, 1)]).json()["cart"]["id"]


def v2_checkout(client, catalog):
    cart_id = two_line_cart(client, catalog)
    return cart_id, lambda: client.post(f"{V2}/checkout?id={cart_id}", json={
        "id": cart_id, "user_id": "user-1", "order_type": "PickAtStore",
        "payment_methods": [{"mode": "CARD", "payment_meta": {}}]})


def override_checkout(client, catalog):
    cart_id = two_line_cart(client, catalog)
    a, b = articles(catalog, min_stock=3)[:2]
    items = [{"item_id": x.item_id, "size": x.size, "quantity": q, "price_marked": 100, "price_effective": 90,
              "amount_paid": 90, "discount": 10} for x, q in ((a, 2), (b, 1))]
    return cart_id, lambda: client.post(f"{BASE}/checkout/over-ride", json={
        "cart_id": cart_id, "payment_mode": "CARD", "merchant_code": "M", "payment_identifier": "P",
        "currency_code": "INR", "aggregator": "A", "order_type": "HomeDelivery", "cart_items": items})


def open_api_checkout(client, catalog):
    a, b = articles(catalog, min_stock=3)[:2]
    pin = next(p for p in catalog.pincodes if p.serviceable)
    wanted = [(a, 2), (b, 1)]
    quote = client.post(f"{BASE}/cart/serviceability", json={
        "cart_items": [{"product_id": str(x.item_id), "size": x.size, "quantity": q} for x, q in wanted],
        "shipping_address": {"area_code": pin.pincode}}).json()
    total = quote["breakup_values"]["raw"]["total"]
    address = {"area_code": pin.pincode}
    body = {"cart_value": total, "cashback_applied": 0, "billing_address": address, "shipping_address": address,
            "coupon_code": "", "coupon_value": 0, "delivery_charges": 0, "cod_charges": 0,
            "payment_methods": [{"mode": "CARD", "amount": total}],
            "cart_items": [{"product_id": x.item_id, "size": x.size, "quantity": q,
                            "price_effective": float(x.effective), "price_marked": float(x.marked),
                            "amount_paid": 0, "discount": 0, "cod_charges": 0, "delivery_charges": 0,
                            "cashback_applied": 0, "coupon_effective_discount": 0,
                            "payment_methods": [{"mode": "CARD", "amount": 0}]} for x, q in wanted]}
    return None, lambda: client.post(f"{BASE}/cart/checkout", json=body)


def read_views(client, cart_id) -> dict:
    """What clients can see: the cart, the company's stock, the application's cart list."""
    return {"cart": get_cart(client, f"id={cart_id}&b=true").json() if cart_id else None,
            "stock": client.get("/_cartwright/catalog?company_id=1").json()["products"],
            "carts": client.get(f"{BASE}/cart-list").json()}


@pytest.mark.parametrize("where", ["buffer", "commit"])
@pytest.mark.parametrize("checkout", [v2_checkout, override_checkout, open_api_checkout])
def test_a_checkout_failing_at_any_step_changes_nothing(client, app, catalog, monkeypatch, checkout, where):
    """Whichever write of a checkout fails (buffered, or applied at commit), the answer is a 500 and the state and
    every read view are as before; the same checkout then succeeds."""
    cart_id, send = checkout(client, catalog)
    before_state, before_views = state_tables(app), read_views(client, cart_id)
    step = 1
    while True:
        with monkeypatch.context() as m:
            calls = fail_at(m, where, step)
            r = send()
        if r.status_code == 200:   # no step left to fail: the checkout went through
            assert len(calls) == step - 1 and step > 3, calls
            break
        assert_fynd_error(r, 500, "InjectedFailure")
        assert state_tables(app) == before_state, f"step {step} ({calls[-1]}) left changes"
        assert read_views(client, cart_id) == before_views
        step += 1
    assert state_tables(app) != before_state


def test_v2_checkout_holds_payment_amounts_to_the_total(client, catalog):
    """v2 checkout refuses payment amounts that do not add up to the cart's total (400 naming payment_methods)
    and takes the ones that do."""
    cart_id, _ = v2_checkout(client, catalog)
    total = get_cart(client, f"id={cart_id}&b=true&order_type=PickAtStore").json()["breakup_values"]["raw"]["total"]

    def pay(*amounts):
        return client.post(f"{V2}/checkout?id={cart_id}", json={
            "id": cart_id, "user_id": "user-1", "order_type": "PickAtStore",
            "payment_methods": [{"mode": "CARD", "amount": a, "payment_meta": {}} for a in amounts]})

    assert_fynd_error(pay(1), 400, "payment_methods", "1.00", str(total))
    assert get_cart(client, f"id={cart_id}").json()["items"], "the refused checkout closed the cart"
    r = pay(round(total - 100, 2), 100)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["order_value"] == total


def test_payment_selection_counts_the_cod_charge(client, catalog):
    """Selecting COD with amounts checks them against the total with the COD charge, as checkout charges it."""
    cart_id, _ = v2_checkout(client, catalog)
    url = f"{V2}/payment?id={cart_id}"
    plain = get_cart(client, f"id={cart_id}&b=true").json()["breakup_values"]["raw"]["total"]
    cod = [{"mode": "COD", "payment_meta": {}}]
    assert_fynd_error(client.put(url, json={"payment_methods": [{**cod[0], "amount": plain}]}), 400,
                      "payment_methods", "add up to", str(plain + 49))
    r = client.put(url, json={"payment_methods": [{**cod[0], "amount": plain + 49}]})
    assert r.status_code == 200, r.text
