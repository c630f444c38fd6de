"""Hypothesis properties of pricing and of the cart service (the pure domain, no HTTP)."""
import asyncio
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from cartwright.sandbox.catalog_file import catalog_from_seed
from cartwright.sandbox.domain.cart import CartService, ItemRequest, LineUpdate
from cartwright.sandbox.domain.errors import SandboxError
from cartwright.sandbox.domain.money import money
from cartwright.sandbox.domain.pricing import PICK_AT_STORE, DeliveryRule, breakup, delivery_charge, price_line
from cartwright.sandbox.domain.runtime import Clock, Ids
from cartwright.sandbox.domain.state import SandboxState
from cartwright.sandbox.state import MemoryStorage

CATALOG = catalog_from_seed(2026, 40)
IN_STOCK = [a for a in CATALOG.articles if a.stock > 0]
RULES = (DeliveryRule(Decimal("499"), Decimal("49")), DeliveryRule(Decimal("999"), Decimal("19")))

lines = st.lists(st.tuples(st.sampled_from(CATALOG.articles), st.integers(1, 25)), max_size=12)
amounts = st.decimals(min_value=0, max_value=10**6, places=2)


def priced(pairs):
    return [price_line(a, q, CATALOG.product(a.item_id).gst_percent) for a, q in pairs]


@given(lines)
def test_totals_are_sums_of_lines(pairs):
    """mrp_total, subtotal and GST are sums over lines; total = goods + delivery; savings = MRP − goods."""
    ls = priced(pairs)
    b = breakup(ls, RULES)
    assert b.mrp_total == sum((a.marked * q for a, q in pairs), Decimal(0))
    assert b.subtotal == sum((a.effective * q for a, q in pairs), Decimal(0))
    assert b.gst_charges == sum((l.gst for l in ls), Decimal(0))
    assert b.total == b.vog + b.delivery_charge + b.cod_charge
    assert b.you_saved == b.mrp_total - b.vog >= 0
    assert b.discount <= 0 and b.total >= 0


@given(lines)
def test_every_amount_is_in_paise(pairs):
    """Every raw amount has at most two decimal places (one rounding rule)."""
    for value in breakup(priced(pairs), RULES).as_raw().values():
        assert value == money(value)


@given(lines)
def test_pick_up_pays_no_delivery(pairs):
    """Store pick-up never pays a delivery charge."""
    assert breakup(priced(pairs), RULES, PICK_AT_STORE).delivery_charge == 0


@given(amounts, amounts)
def test_delivery_charge_never_rises_with_value(low, high):
    """A dearer cart never pays more for delivery than a cheaper one."""
    low, high = sorted((low, high))
    assert delivery_charge(high, RULES)[0] <= delivery_charge(low, RULES)[0]


@given(st.sampled_from(CATALOG.articles), st.integers(1, 1000))
def test_gst_is_a_part_of_the_price(article, quantity):
    """The GST backed out of a line is less than the line's effective price, at the product's rate."""
    line = price_line(article, quantity, CATALOG.product(article.item_id).gst_percent)
    assert 0 <= line.gst <= line.effective
    rate = CATALOG.product(article.item_id).gst_percent
    assert abs(line.gst - line.effective * rate / (100 + rate)) <= Decimal("0.005")


SCOPE = ("c", "a")


def service():
    return CartService(CATALOG, SandboxState(MemoryStorage()), Ids(0), Clock("2026-11-22T10:00:00"), RULES)


def request(i, a, quantity=1):
    return ItemRequest(where=f"items[{i}]", item_id=a.item_id, size=a.size, quantity=quantity)


async def user_cart(carts):
    return await carts.find(SCOPE, None, "u")


@settings(max_examples=60)
@given(st.lists(st.sampled_from(IN_STOCK), min_size=1, max_size=6), st.sampled_from(IN_STOCK))
def test_removing_what_was_added_restores_totals(before, extra):
    """Adding an item as a new line and then removing that line restores the previous totals."""
    async def scenario():
        carts = service()
        for i, a in enumerate(before):
            try:
                await carts.add(SCOPE, None, "u", False, [request(i, a)])
            except SandboxError:
                pass
        cart = await user_cart(carts)
        totals = (await carts.priced(cart)).breakup
        known = {l.identifier for l in cart.lines}
        quantities = {l.identifier: l.quantity for l in cart.lines}
        try:
            await carts.add(SCOPE, None, "u", False, [request(0, extra)])
        except SandboxError:
            return
        cart = await user_cart(carts)
        added = [l for l in cart.lines if l.identifier not in known]
        if added:
            await carts.update(SCOPE, None, "u", False, "remove_item", [LineUpdate("items[0]", added[0].identifier)])
        else:  # it joined an existing line: put that line's quantity back
            changed = next(l for l in cart.lines if l.quantity != quantities[l.identifier])
            await carts.update(SCOPE, None, "u", False, "update_item", [LineUpdate(
                "items[0]", changed.identifier, quantity=quantities[changed.identifier])])
        assert (await carts.priced(await user_cart(carts))).breakup == totals
    asyncio.run(scenario())


@settings(max_examples=60)
@given(st.lists(st.tuples(st.sampled_from(CATALOG.articles), st.integers(-2, 30)), min_size=1, max_size=8))
def test_cart_never_exceeds_stock_and_refusals_change_nothing(adds):
    """Whatever is asked, no line holds more than its article's stock, and a refused add leaves the cart as it was."""
    async def scenario():
        carts = service()
        for i, (a, q) in enumerate(adds):
            snapshot = [(l.article_id, l.quantity) for l in (await user_cart(carts)).lines]
            try:
                await carts.add(SCOPE, None, "u", False, [request(i, a, q)])
            except SandboxError:
                assert [(l.article_id, l.quantity) for l in (await user_cart(carts)).lines] == snapshot
        held = {}
        for line in (await user_cart(carts)).lines:
            held[line.article_id] = held.get(line.article_id, 0) + line.quantity
        assert all(q <= CATALOG.article(a).stock for a, q in held.items())
        assert all(q >= 1 for q in held.values())
    asyncio.run(scenario())
