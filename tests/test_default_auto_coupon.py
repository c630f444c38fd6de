"""The default seed's auto-apply coupon shows on big carts; removing a chosen coupon brings it back."""
from decimal import ROUND_HALF_UP, Decimal

from cartkit import add, articles, get_cart, raw_of
from conftest import BASE


def big_cart(client, catalog, user):
    """A cart worth ₹4,999 or more (BIGCART5's minimum) that no default promotion touches much."""
    a = max(articles(catalog, min_stock=4), key=lambda x: x.effective)
    quantity = next(q for q in range(1, 5) if a.effective * q >= 4999)
    return add(client, [(a, quantity)], user_id=user).json()["cart"]


def test_a_big_cart_carries_bigcart5_without_asking(client, catalog):
    """A fresh application's big cart shows BIGCART5 applied (5%, at most ₹500); small carts do not."""
    cart = big_cart(client, catalog, "big")
    assert cart["coupon"]["coupon_code"] == "BIGCART5" and cart["breakup_values"]["coupon"]["is_applied"]
    raw = raw_of(cart)
    goods = raw["vog"] - raw["coupon"]   # what the promotions left, on which the coupon computes
    assert -raw["coupon"] == min((goods * Decimal("0.05")).quantize(Decimal("0.01"), ROUND_HALF_UP), Decimal(500))
    small = min(articles(catalog), key=lambda x: x.effective)
    assert raw_of(add(client, [(small, 1)], user_id="small").json()["cart"])["coupon"] == 0


def test_removing_a_chosen_coupon_brings_the_auto_coupon_back(client, catalog):
    """Choose FLAT150 over BIGCART5, remove it: BIGCART5 is back; remove that: no coupon, for good."""
    cart = big_cart(client, catalog, "chooser")
    before = raw_of(cart)
    r = client.post(f"{BASE}/platform-pos-coupon?id={cart['id']}&b=true", json={"coupon_code": "FLAT150"})
    assert r.status_code == 201 and r.json()["coupon"]["coupon_code"] == "FLAT150", r.text
    assert client.delete(f"{BASE}/platform-pos-coupon?uid={cart['id']}").status_code == 200
    back = get_cart(client, f"id={cart['id']}&b=true").json()
    assert back["coupon"]["coupon_code"] == "BIGCART5" and raw_of(back) == before
    assert client.delete(f"{BASE}/platform-pos-coupon?uid={cart['id']}").status_code == 200
    assert raw_of(get_cart(client, f"id={cart['id']}&b=true").json())["coupon"] == 0
