"""Hypothesis properties of the offer engine (pure domain)."""
import asyncio
from datetime import datetime, timezone
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from cartwright.sandbox.domain.money import money
from cartwright.sandbox.domain.offers import KINDS, SHIPPING, Criteria, Offer, Tier, Unit, apply_offers, evaluate

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)
prices = st.decimals(min_value=1, max_value=20000, places=2)
units = st.lists(st.tuples(st.integers(0, 4), prices), min_size=1, max_size=12).map(
    lambda pairs: [Unit(line=f"l{line}", item_id=line, size="M", brand=1, categories=(1,), store=1, article=f"a{line}",
                        price=price) for line, price in pairs])
kinds = st.sampled_from(sorted(k for k in KINDS if k != SHIPPING))


@st.composite
def tiers(draw, kind):
    group = draw(st.integers(2, 4))
    value = draw(st.decimals(min_value=0, max_value=100, places=2)) if kind in (
        "percentage", "bogo", "bundle_price_percentage") else draw(st.decimals(min_value=0, max_value=50000, places=2))
    cap = draw(st.none() | st.decimals(min_value=0, max_value=5000, places=2))
    return Tier(threshold=Decimal(1), value=value, max_discount=cap, group=group, free=draw(st.integers(1, group - 1)))


def offer(kind, tier, **kw):
    return Offer(id=kw.pop("id", "o1"), source=kw.pop("source", "promotion"), kind=kind, code=kw.pop("code", "C"),
                 title="t", description="", offer_text="", tiers=(tier,), criteria=Criteria(), status="approved", **kw)


@given(kinds.flatmap(lambda k: st.tuples(st.just(k), tiers(k))), units)
def test_a_discount_never_exceeds_its_cap_or_the_price(kind_tier, us):
    """No kind takes off more than its maximum, more than the goods cost, or less than nothing per line."""
    kind, tier = kind_tier
    result, _ = evaluate(offer(kind, tier), us, sum(u.price for u in us), len(us))
    if result is None:
        return
    assert 0 < result.total <= sum(u.price for u in us)
    if tier.max_discount is not None:
        assert result.total <= money(tier.max_discount)
    for line, amount in result.per_line.items():
        assert 0 <= amount <= sum(u.price for u in us if u.line == line)
        assert amount == money(amount)


@given(kinds.flatmap(lambda k: st.tuples(st.just(k), tiers(k))), units)
def test_every_kind_gives_each_unit_between_nothing_and_its_price(kind_tier, us):
    """A kind's raw per-unit discounts lie between zero and the unit's price."""
    kind, tier = kind_tier
    for u, off in zip(us, KINDS[kind](us, tier)):
        assert 0 <= off <= u.price


@given(st.decimals(min_value=1, max_value=20000, places=2), st.integers(1, 90), st.integers(1, 90))
def test_coupon_applies_to_what_promotions_left(price, promo_pct, coupon_pct):
    """Promotions come first; the coupon's percentage is taken from the price the promotion left."""
    u = [Unit(line="l", item_id=1, size="M", brand=1, categories=(1,), store=1, article="a", price=price)]
    promo = offer("percentage", Tier(value=Decimal(promo_pct)))
    coupon = offer("percentage", Tier(value=Decimal(coupon_pct)), id="c1", source="coupon", code="CPN")
    out = apply_offers(u, [promo], coupon, NOW)
    left = price - out.promotion_total
    assert out.promotion_total == money(price * promo_pct / 100)
    assert abs(out.coupon_total - left * coupon_pct / 100) <= Decimal("0.005")


@given(units, st.integers(1, 60))
def test_exclusive_promotion_blocks_later_ones(us, pct):
    """A cart-exclusive promotion that applies stops every promotion after it."""
    first = offer("percentage", Tier(value=Decimal(pct)), id="a", priority=1, exclusive="cart")
    second = offer("amount", Tier(value=Decimal(10)), id="b", priority=2)
    out = apply_offers(us, [second, first], None, NOW)
    assert [a.offer.id for a in out.promotions] == ["a"]


@settings(max_examples=50)
@given(units, st.integers(1, 60), st.integers(0, 3000))
def test_non_stackable_promotion_leaves_discounted_units_alone(us, pct, amount):
    """A promotion that does not stack touches no unit an earlier promotion discounted."""
    first = offer("percentage", Tier(value=Decimal(pct)), id="a", priority=1)
    second = offer("amount", Tier(value=Decimal(amount)), id="b", priority=2, stackable=False)
    out = apply_offers(us, [first, second], None, NOW)
    assert [a.offer.id for a in out.promotions] == ["a"]


# --------------------------------------------------------------------------- on carts, with the seeded offers
from cartwright.sandbox.catalog_file import generated_catalog  # noqa: E402
from cartwright.sandbox.domain.cart import CartService, ItemRequest  # noqa: E402
from cartwright.sandbox.domain.cart_offers import CartOffers  # noqa: E402
from cartwright.sandbox.domain.catalog import Catalog  # noqa: E402
from cartwright.sandbox.domain.errors import SandboxError  # noqa: E402
from cartwright.sandbox.domain.offer_book import OfferBook  # noqa: E402
from cartwright.sandbox.domain.pricing import DeliveryRule  # noqa: E402
from cartwright.sandbox.domain.runtime import Clock, Ids  # noqa: E402
from cartwright.sandbox.domain.state import SandboxState  # noqa: E402
from cartwright.sandbox.state import MemoryStorage  # noqa: E402
from cartwright.sandbox.fixturegen.offers import offers_from_seed  # noqa: E402

DATA = generated_catalog()
CATALOG = Catalog.from_dict(DATA)
OFFERS = offers_from_seed(DATA, 2026)
IN_STOCK = [a for a in CATALOG.articles if a.stock > 0]


SCOPE = ("c", "a")


def services():
    clock, ids = Clock("2026-11-22T10:00:00"), Ids(0)
    state = SandboxState(MemoryStorage())
    book = OfferBook(state, clock, ids, OFFERS["coupons"], OFFERS["promotions"])
    carts = CartService(CATALOG, state, ids, clock, (DeliveryRule(Decimal(499), Decimal(49)),), book.index)
    return carts, CartOffers(carts, state, CATALOG, clock)


async def cart_with(carts, picks):
    """A user's cart holding what of ``picks`` (article, quantity) the stock allows."""
    for i, (a, q) in enumerate(picks):
        try:
            await carts.add(SCOPE, None, "u", False, [ItemRequest(f"items[{i}]", a.item_id, a.size, q)])
        except SandboxError:
            pass
    return await carts.find(SCOPE, None, "u")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(IN_STOCK), st.integers(1, 4)), min_size=1, max_size=6),
       st.sampled_from([c["code"] for c in OFFERS["coupons"]]))
def test_apply_then_remove_coupon_is_identity(picks, code):
    """Applying any seeded coupon that the cart takes and removing it again restores every total."""
    async def scenario():
        carts, offers = services()
        cart = await cart_with(carts, picks)
        before = (await carts.priced(cart)).breakup
        try:
            applied = await offers.apply_coupon(SCOPE, cart.id, False, code)
        except SandboxError:
            return
        assert applied.offers.coupon is not None
        assert (await offers.remove_coupon(SCOPE, cart.id, False)).breakup == before
    asyncio.run(scenario())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(IN_STOCK), st.integers(1, 6)), min_size=1, max_size=8))
def test_promoted_cart_totals_stay_consistent(picks):
    """With the seeded promotions, totals still add up and nothing goes negative."""
    carts, _ = services()

    async def priced_cart():
        return await carts.priced(await cart_with(carts, picks))
    priced = asyncio.run(priced_cart())
    b = priced.breakup
    assert b.vog == b.subtotal - priced.offers.promotion_total - priced.offers.coupon_total >= 0
    assert b.discount == b.subtotal - b.mrp_total - priced.offers.promotion_total
    assert b.total == b.vog + b.delivery_charge + b.cod_charge + b.adjustment_charge
    for line in priced.lines:
        assert priced.offers.line_discount(line.line.identifier) <= line.price.effective
