"""Coupons and promotions as rules that compute: parse the API's documents, then apply them to lines.

A coupon or promotion document (the API's ``CouponAdd`` / ``PromotionAdd``)
becomes an ``Offer``: which lines it can touch (``Criteria``), when it holds
(``Conditions``) and how it computes (its *kind*). Each kind is a small pure
function registered in ``KINDS`` by name; a document naming a kind that is
not registered is refused when it is created, never ignored.

Order of application (decided, see spec/sandbox-behaviour.md): promotions
first, by ``apply_priority`` (lower first, then id), each on what earlier
ones left; then the cart's coupon on what the promotions left; then
shipping offers on the delivery charge.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from .errors import InvalidValue
from .fields import decimal, when
from .money import ZERO, money

HUNDRED = Decimal(100)
LIVE_STATUS = "approved"


# --------------------------------------------------------------------------- what rules see
@dataclass(frozen=True)
class Unit:
    """One unit of one cart line, at the price a rule computes on."""

    line: str          # the line's identifier
    item_id: int
    size: str
    brand: int
    categories: tuple[int, ...]
    store: int
    article: str
    price: Decimal     # what is left of the unit's price after earlier offers


@dataclass(frozen=True)
class Criteria:
    """Which units an offer can touch. Empty include-sets mean "any"."""

    items: frozenset[int] = frozenset()
    brands: frozenset[int] = frozenset()
    categories: frozenset[int] = frozenset()
    stores: frozenset[int] = frozenset()
    articles: frozenset[str] = frozenset()
    sizes: frozenset[str] = frozenset()
    exclude_items: frozenset[int] = frozenset()
    exclude_brands: frozenset[int] = frozenset()
    exclude_categories: frozenset[int] = frozenset()
    exclude_stores: frozenset[int] = frozenset()
    exclude_articles: frozenset[str] = frozenset()

    def matches(self, u: Unit) -> bool:
        return (
            (not self.items or u.item_id in self.items)
            and (not self.brands or u.brand in self.brands)
            and (not self.categories or not self.categories.isdisjoint(u.categories))
            and (not self.stores or u.store in self.stores)
            and (not self.articles or u.article in self.articles)
            and (not self.sizes or u.size in self.sizes)
            and u.item_id not in self.exclude_items
            and u.brand not in self.exclude_brands
            and (not self.exclude_categories or self.exclude_categories.isdisjoint(u.categories))
            and u.store not in self.exclude_stores
            and u.article not in self.exclude_articles
        )


@dataclass(frozen=True)
class Range:
    """Bounds on a number: ``low <= x`` (or ``<``) and ``x <= high`` (or ``<``); None = open."""

    low: Decimal | None = None
    high: Decimal | None = None
    low_strict: bool = False
    high_strict: bool = False

    def holds(self, x: Decimal) -> bool:
        if self.low is not None and (x <= self.low if self.low_strict else x < self.low):
            return False
        if self.high is not None and (x >= self.high if self.high_strict else x > self.high):
            return False
        return True

    def describe(self, what: str) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{what} {'above' if self.low_strict else 'of at least'} {self.low}")
        if self.high is not None:
            parts.append(f"{what} {'below' if self.high_strict else 'of at most'} {self.high}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Tier:
    """The numbers a kind computes with: a percentage, an amount or a price, a cap, a set size."""

    threshold: Decimal = ZERO          # coupons: the slab's `key` (units bought)
    value: Decimal = ZERO              # percent (percentage, bogo, bundle %), amount, or price
    max_discount: Decimal | None = None
    min_discount: Decimal | None = None
    group: int = 1                     # units per set (bogo, bundles)
    free: int = 0                      # units per set that are discounted (bogo)


@dataclass(frozen=True)
class DiscountRule:
    """One of a promotion's several discount rules (a tier): it computes as ``offer`` (the promotion with this
    rule's item criteria and numbers) when the units its criteria select come to ``quantity`` and ``value``
    (its ``item_criteria``'s ``cart_quantity`` and ``cart_total``)."""

    index: int
    offer: Offer
    quantity: Range = Range()
    value: Range = Range()


@dataclass(frozen=True)
class Offer:
    id: str
    source: str                        # "coupon" | "promotion"
    kind: str
    code: str
    title: str
    description: str
    offer_text: str
    tiers: tuple[Tier, ...]
    criteria: Criteria
    cart_value: Range = Range()
    cart_quantity: Range = Range()
    buy: Criteria | None = None        # promotions: the cart must hold a unit matching this
    start: datetime | None = None
    end: datetime | None = None
    status: str = "draft"
    archived: bool = False
    priority: int = 0
    stackable: bool = True
    exclusive: str | None = None       # None | "article" | "cart"
    calculate_on: str = "esp"          # "esp" | "mrp"
    payment_codes: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()
    group_name: str = ""
    auto_apply: bool = False
    doc: dict = field(default_factory=dict, compare=False, repr=False)
    rules: tuple[DiscountRule, ...] = ()   # a promotion's discount rules when it has several (or conditioned ones)

    def live_at(self, now: datetime) -> bool:
        """Approved, not archived, and inside its schedule."""
        return (self.status == LIVE_STATUS and not self.archived
                and (self.start is None or self.start <= now) and (self.end is None or now <= self.end))

    def why_not_live(self, now: datetime) -> str | None:
        if self.archived:
            return f"{self.source} {self.code or self.id} is archived"
        if self.status != LIVE_STATUS:
            return f"{self.source} {self.code or self.id} is in status {self.status!r}, not {LIVE_STATUS!r}"
        if self.start is not None and now < self.start:
            return f"{self.source} {self.code or self.id} starts on {self.start.date().isoformat()}"
        if self.end is not None and now > self.end:
            return f"{self.source} {self.code or self.id} expired on {self.end.date().isoformat()}"
        return None

    @functools.cached_property  # the book replaces a document when it changes, never edits one
    def used_up(self) -> bool:
        """No uses left (``restrictions.uses.remaining.total`` is 0)."""
        remaining = (((self.doc.get("restrictions") or {}).get("uses") or {}).get("remaining") or {}).get("total")
        return remaining == 0

    def reaches(self, unit: Unit) -> bool:
        """Whether some discount rule may touch ``unit``."""
        if self.rules:
            return any(r.offer.criteria.matches(unit) for r in self.rules)
        return self.criteria.matches(unit)

    def tier_for(self, units: int) -> Tier | None:
        """The slab for this many eligible units: the highest threshold reached."""
        reached = [t for t in self.tiers if t.threshold <= units]
        return max(reached, key=lambda t: t.threshold) if reached else None


# --------------------------------------------------------------------------- kinds
Kind = Callable[[Sequence[Unit], Tier], list[Decimal]]
KINDS: dict[str, Kind] = {}
SHIPPING = "shipping_price"


def kind(name: str):
    def register(fn: Kind) -> Kind:
        KINDS[name] = fn
        return fn
    return register


@kind("percentage")
def percentage_off(units: Sequence[Unit], t: Tier) -> list[Decimal]:
    """``value`` percent off every unit."""
    return [u.price * t.value / HUNDRED for u in units]


@kind("amount")
def amount_off(units: Sequence[Unit], t: Tier) -> list[Decimal]:
    """``value`` off the eligible units together, shared in proportion to price."""
    total = sum((u.price for u in units), ZERO)
    off = min(t.value, total)
    return [u.price * off / total if total else ZERO for u in units]


@kind("fixed_price")
def fixed_price(units: Sequence[Unit], t: Tier) -> list[Decimal]:
    """Every unit sells at ``value`` (never raised)."""
    return [max(u.price - t.value, ZERO) for u in units]


@kind("bogo")
def buy_x_get_y(units: Sequence[Unit], t: Tier) -> list[Decimal]:
    """In each full set of ``group`` units (dearest first), the ``free`` cheapest get ``value`` percent off."""
    order = sorted(range(len(units)), key=lambda i: (-units[i].price, i))
    off = [ZERO] * len(units)
    for start in range(0, len(order) - t.group + 1, t.group):
        for i in order[start:start + t.group][t.group - t.free:]:
            off[i] = units[i].price * t.value / HUNDRED
    return off


@kind("bundle_price_amount")
def bundle_for_amount(units: Sequence[Unit], t: Tier) -> list[Decimal]:
    """Each full set of ``group`` units (dearest first) sells together for ``value``."""
    order = sorted(range(len(units)), key=lambda i: (-units[i].price, i))
    off = [ZERO] * len(units)
    for start in range(0, len(order) - t.group + 1, t.group):
        members = order[start:start + t.group]
        total = sum((units[i].price for i in members), ZERO)
        saving = max(total - t.value, ZERO)
        for i in members:
            off[i] = units[i].price * saving / total if total else ZERO
    return off


@kind("bundle_price_percentage")
def bundle_percentage(units: Sequence[Unit], t: Tier) -> list[Decimal]:
    """Units in full sets of ``group`` get ``value`` percent off; the rest pay full price."""
    order = sorted(range(len(units)), key=lambda i: (-units[i].price, i))
    covered = len(order) - len(order) % t.group
    off = [ZERO] * len(units)
    for i in order[:covered]:
        off[i] = units[i].price * t.value / HUNDRED
    return off


@kind(SHIPPING)
def shipping_price(units: Sequence[Unit], t: Tier) -> list[Decimal]:
    """Touches no unit: the delivery charge is capped at ``value`` (``pricing.breakup``'s ``shipping_cap``)."""
    return [ZERO] * len(units)


# --------------------------------------------------------------------------- applying
@dataclass(frozen=True)
class Applied:
    """One offer's effect: discount per line identifier (rounded), and on how many units."""

    offer: Offer
    per_line: dict[str, Decimal]
    units: dict[str, int]
    shipping: bool = False
    rule: int = 0          # which of the promotion's discount_rules applied

    @property
    def total(self) -> Decimal:
        return sum(self.per_line.values(), ZERO)

    def unit_amount(self, line: str) -> Decimal:
        """The discount per discounted unit of ``line``."""
        return money(self.per_line[line] / self.units[line]) if self.units.get(line) else ZERO


def apportion(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` (already in paise) over ``weights`` in paise, summing exactly to it."""
    whole = sum(weights, ZERO)
    if not weights or whole == 0:
        return [ZERO] * len(weights)
    shares = [money(total * w / whole) for w in weights]
    drift = total - sum(shares, ZERO)
    biggest = max(range(len(weights)), key=lambda i: (weights[i], -i))
    shares[biggest] += drift
    return shares


def evaluate(offer: Offer, units: Sequence[Unit], cart_value: Decimal, cart_units: int,
             why: bool = True) -> tuple[Applied | None, str]:
    """What ``offer`` takes off ``units`` (those it may touch), or None and why not.

    ``why=False``: the caller has no use for the reason, so a cart with no unit the offer may touch is
    turned down first (the reasons are checked in a fixed order, and that one is usually last).
    """
    if offer.rules:
        return _best_rule(offer, units, cart_value, cart_units, why)
    matches = offer.criteria.matches
    eligible = [u for u in units if matches(u)]
    if not why and not eligible:
        return None, ""
    if offer.buy is not None and not any(offer.buy.matches(u) for u in units):
        return None, "needs an item the promotion's buy rules name"
    if not offer.cart_value.holds(cart_value):
        return None, f"needs a cart value {offer.cart_value.describe('')}".replace("  ", " ").strip()
    if not offer.cart_quantity.holds(Decimal(cart_units)):
        return None, f"needs a cart {offer.cart_quantity.describe('quantity')}"
    if not eligible:
        return None, "no item in the cart qualifies"
    tier = offer.tier_for(len(eligible))
    if tier is None:
        need = min(t.threshold for t in offer.tiers)
        return None, f"needs at least {need} qualifying units, the cart has {len(eligible)}"
    if offer.kind == SHIPPING:
        return Applied(offer, {}, {}, shipping=True), ""
    raw = KINDS[offer.kind](eligible, tier)
    total = sum(raw, ZERO)
    ceiling = sum((u.price for u in eligible), ZERO)
    if tier.max_discount is not None:
        total = min(total, tier.max_discount)
    if tier.min_discount is not None and total > 0:
        total = max(total, min(tier.min_discount, ceiling))
    total = money(min(total, ceiling))
    if total <= 0:
        return None, "gives no discount on this cart"
    by_line: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    for u, off in zip(eligible, raw):
        if off > 0:
            by_line[u.line] = by_line.get(u.line, ZERO) + off
            counts[u.line] = counts.get(u.line, 0) + 1
    lines = list(by_line)
    shares = apportion(total, [by_line[line] for line in lines])
    return Applied(offer, dict(zip(lines, shares)), counts), ""


def _best_rule(offer: Offer, units: Sequence[Unit], cart_value: Decimal, cart_units: int,
               why: bool) -> tuple[Applied | None, str]:
    """Of a promotion's discount rules whose conditions hold, the one that takes the most off (ties: the
    earlier rule); None and the first rule's reason when none gives anything."""
    best: Applied | None = None
    reasons: list[str] = []
    for rule in offer.rules:
        selected = [u for u in units if rule.offer.criteria.matches(u)]
        if not rule.quantity.holds(Decimal(len(selected))):
            reasons.append(f"discount_rules[{rule.index}] needs {rule.quantity.describe('a quantity')} of its items")
            continue
        if not rule.value.holds(sum((u.price for u in selected), ZERO)):
            reasons.append(f"discount_rules[{rule.index}] needs {rule.value.describe('a value')} of its items")
            continue
        result, reason = evaluate(rule.offer, units, cart_value, cart_units, why)
        if result is None:
            reasons.append(reason)
        elif best is None or result.total > best.total:
            best = replace(result, offer=offer, rule=rule.index)
    if best is None:
        return None, reasons[0] if reasons else "no discount rule applies"
    return best, ""


@dataclass(frozen=True)
class OfferOutcome:
    promotions: tuple[Applied, ...]
    coupon: Applied | None
    coupon_message: str              # why the cart's coupon gives nothing, or ""
    shipping: Tier | None            # the shipping offer's tier that applies, if any

    @property
    def promotion_total(self) -> Decimal:
        return sum((a.total for a in self.promotions), ZERO)

    @property
    def coupon_total(self) -> Decimal:
        return self.coupon.total if self.coupon and not self.coupon.shipping else ZERO

    def line_discount(self, line: str) -> Decimal:
        found = [a.per_line.get(line, ZERO) for a in self.promotions]
        if self.coupon:
            found.append(self.coupon.per_line.get(line, ZERO))
        return sum(found, ZERO)


def apply_offers(units: Sequence[Unit], promotions: Iterable[Offer], coupon: Offer | None, now: datetime,
                 user_id: str | None = None, payment_mode: str | None = None) -> OfferOutcome:
    """Promotions by priority on what earlier ones left, then the coupon, as the module docstring says.

    A promotion limited to payment modes applies only once the cart's ``payment_mode`` is one of them;
    one whose uses have run out (``restrictions.uses.remaining.total`` 0) does not apply.
    """
    units = list(units)
    cart_units = len(units)
    touched: set[int] = set()     # unit positions discounted by some promotion
    closed: set[int] = set()      # positions no later promotion may touch
    applied: list[Applied] = []
    shipping: Tier | None = None
    value = sum([u.price for u in units], ZERO)   # what the units cost now; promotions lower it
    for offer in sorted(promotions, key=_application_order):
        if not offer.live_at(now) or (offer.users and user_id not in offer.users) or offer.used_up:
            continue
        if offer.payment_codes and (payment_mode or "").upper() not in offer.payment_codes:
            continue
        open_positions: Sequence[int]
        if closed or (touched and not offer.stackable):
            open_positions = [i for i in range(len(units)) if i not in closed
                              and (offer.stackable or i not in touched)]
        else:
            open_positions = range(len(units))
        result, _ = evaluate(offer, [units[i] for i in open_positions], value, cart_units, why=False)
        if result is None:
            continue
        if result.shipping:
            shipping = shipping or offer.tier_for(cart_units)
            applied.append(result)
            continue
        applied.append(result)
        units, hit = _take(units, open_positions, result)
        value = sum([u.price for u in units], ZERO)
        touched.update(hit)
        if offer.exclusive == "cart":
            break
        if offer.exclusive == "article" or not offer.stackable:
            closed.update(hit)
    coupon_applied, message = None, ""
    if coupon is not None:
        message = coupon.why_not_live(now) or ""
        if not message and coupon.users and user_id not in coupon.users:
            message = f"coupon {coupon.code} is not for this customer"
        if not message:
            coupon_applied, why = evaluate(coupon, units, value, cart_units)
            if coupon_applied is None:
                message = f"coupon {coupon.code} {why}"
            elif coupon_applied.shipping:
                shipping = coupon.tier_for(cart_units)
    return OfferOutcome(tuple(applied), coupon_applied, message, shipping)


def _application_order(offer: Offer) -> tuple[int, str]:
    return offer.priority, offer.id


def _take(units: list[Unit], positions: Sequence[int], result: Applied) -> tuple[list[Unit], set[int]]:
    """Units with ``result``'s per-line discount taken off their prices, and the positions it touched."""
    from dataclasses import replace

    remaining = dict(result.per_line)
    left = dict(result.units)
    hit: set[int] = set()
    out = list(units)
    for i in positions:
        u = out[i]
        if left.get(u.line, 0) <= 0 or remaining.get(u.line, ZERO) <= 0:
            continue
        share = money(remaining[u.line] / left[u.line])
        share = min(share, u.price, remaining[u.line])
        out[i] = replace(u, price=u.price - share)
        remaining[u.line] -= share
        left[u.line] -= 1
        hit.add(i)
    return out, hit


# --------------------------------------------------------------------------- documents → offers
COUPON_TYPES = ("percentage", "absolute", "fixed_price", "bogo", "bundle_price_amount",
                "bundle_price_percentage", "shipping_price")
COUPON_KIND = {"percentage": "percentage", "absolute": "amount", "fixed_price": "fixed_price", "bogo": "bogo",
               "bundle_price_amount": "bundle_price_amount", "bundle_price_percentage": "bundle_price_percentage",
               "shipping_price": SHIPPING}
PROMOTION_TYPES = ("percentage", "amount", "fixed_price", "bogo", "bundle_price_amount",
                   "bundle_price_percentage", "shipping_price")


def _ints(values: Any) -> frozenset:
    return frozenset(values or ())


def _compare(obj: dict | None, where: str) -> Range:
    """A ``CompareObject`` ({greater_than_equals, less_than, ...}) as a Range."""
    if not obj:
        return Range()
    get = {k: decimal(obj.get(k), f"{where}.{k}") for k in
           ("equals", "greater_than", "greater_than_equals", "less_than", "less_than_equals")}
    if get["equals"] is not None:
        return Range(get["equals"], get["equals"])
    low, low_strict = (get["greater_than"], True) if get["greater_than"] is not None else (
        get["greater_than_equals"], False)
    high, high_strict = (get["less_than"], True) if get["less_than"] is not None else (get["less_than_equals"], False)
    return Range(low, high, low_strict, high_strict)


def _schedule_window(doc: dict) -> tuple[datetime | None, datetime | None]:
    """The ``_schedule``'s start and end (either may be open); refused, naming the field, when the schedule is not
    an object, a bound is not a date-time (``fields.when``), or the end is before the start."""
    schedule = doc.get("_schedule")
    if schedule is not None and not isinstance(schedule, dict):
        raise InvalidValue(f"_schedule must be an object, not {schedule!r}", field="_schedule", value=schedule)
    schedule = schedule or {}
    start, end = when(schedule.get("start"), "_schedule.start"), when(schedule.get("end"), "_schedule.end")
    if start and end and end < start:
        raise InvalidValue(f"_schedule.end ({schedule['end']}) is before _schedule.start ({schedule['start']})",
                           field="_schedule.end", value=schedule["end"])
    return start, end


def coupon_from_doc(doc: dict) -> Offer:
    """An Offer from a coupon document (``CouponAdd``); InvalidValue names what cannot be used."""
    rule_definition = doc.get("rule_definition") or {}
    coupon_type = rule_definition.get("type") or doc.get("type_slug")
    if coupon_type not in COUPON_KIND:
        raise InvalidValue(f"rule_definition.type {coupon_type!r} is not supported; supported: "
                           f"{', '.join(COUPON_TYPES)}", field="rule_definition.type", value=coupon_type)
    rules = doc.get("rule") or []
    if not rules:
        raise InvalidValue("rule: at least one rule (key, value, ...) is required", field="rule")
    tiers = []
    for i, r in enumerate(rules):
        where = f"rule[{i}]"
        value = decimal(r.get("value"), f"{where}.value")
        if value is None:
            raise InvalidValue(f"{where}.value is required", field=f"{where}.value")
        if coupon_type in ("percentage", "bogo", "bundle_price_percentage") and value > HUNDRED:
            raise InvalidValue(f"{where}.value is a percentage and cannot exceed 100", field=f"{where}.value",
                               value=r.get("value"))
        free = int(decimal(r.get("discount_qty"), f"{where}.discount_qty") or (1 if coupon_type == "bogo" else 0))
        threshold = decimal(r.get("key"), f"{where}.key") or Decimal(1)
        group = int(threshold) if coupon_type in ("bogo", "bundle_price_amount", "bundle_price_percentage") else 1
        if coupon_type == "bogo" and not 0 < free < group:
            raise InvalidValue(f"{where}: a bogo rule needs key (units per set) above discount_qty (free units)",
                               field=f"{where}.discount_qty", value=r.get("discount_qty"))
        tiers.append(Tier(threshold=threshold, value=value if coupon_type != "bogo" or "value" in r else HUNDRED,
                          max_discount=decimal(r.get("max"), f"{where}.max"),
                          min_discount=decimal(r.get("min"), f"{where}.min"), group=max(group, 1), free=free))
    ids = doc.get("identifiers") or {}
    restrictions = doc.get("restrictions") or {}
    price_range = restrictions.get("price_range") or {}
    display = doc.get("display_meta") or {}
    state = doc.get("state") or {}
    start, end = _schedule_window(doc)
    payments = restrictions.get("payments") or {}
    code = doc.get("code") or ""   # the book refuses a coupon without one
    return Offer(
        id=doc.get("_id", ""), source="coupon", kind=COUPON_KIND[coupon_type], code=code,
        title=display.get("title") or code, description=display.get("description") or "",
        offer_text=display.get("subtitle") or "", tiers=tuple(tiers),
        criteria=Criteria(items=_ints(ids.get("item_id")), brands=_ints(ids.get("brand_id")),
                          categories=_ints(ids.get("category_id")), stores=_ints(ids.get("store_id")),
                          articles=_ints(ids.get("article_id")), exclude_brands=_ints(ids.get("exclude_brand_id"))),
        cart_value=Range(_bound(price_range.get("min"), "restrictions.price_range.min"),
                         _bound(price_range.get("max"), "restrictions.price_range.max")),
        start=start, end=end, status=(doc.get("_schedule") or {}).get("status") or "draft",
        archived=bool(state.get("is_archived")), calculate_on=rule_definition.get("calculate_on") or "esp",
        payment_codes=frozenset(_payment_codes(payments)), users=_ints(ids.get("user_id")),
        auto_apply=bool(rule_definition.get("auto_apply")), doc=doc,
    )


def _payment_codes(payments: dict) -> list[str]:
    """Payment modes an offer is limited to (``PaymentModes.codes`` and ``types``), upper-cased."""
    return [str(mode).upper() for mode in (payments.get("codes") or []) + (payments.get("types") or [])]


def _bound(value: Any, where: str) -> Decimal | None:
    """A price bound; the documents default it to -1, meaning none."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return None
    return decimal(value, where)


def promotion_from_doc(doc: dict) -> Offer:
    """An Offer from a promotion document (``PromotionAdd``); InvalidValue names what cannot be used."""
    promotion_type = doc.get("promotion_type")
    if promotion_type not in PROMOTION_TYPES:
        raise InvalidValue(f"promotion_type {promotion_type!r} is not supported; supported: "
                           f"{', '.join(PROMOTION_TYPES)}", field="promotion_type", value=promotion_type)
    rules = doc.get("discount_rules") or []
    if not rules:
        raise InvalidValue("discount_rules: a promotion needs at least one discount rule", field="discount_rules",
                           value=0)
    parsed = [_discount_rule(rule, i, promotion_type) for i, rule in enumerate(rules)]
    tier, criteria = parsed[0][0], parsed[0][1]
    buy = doc.get("buy_rules") or {}
    restrictions = doc.get("restrictions") or {}
    display = doc.get("display_meta") or {}
    start, end = _schedule_window(doc)
    schedule = doc.get("_schedule") or {}
    exclusive = doc.get("apply_exclusive")
    promotion = Offer(
        id=doc.get("_id", ""), source="promotion", kind=promotion_type, code=doc.get("code") or "",
        title=display.get("name") or doc.get("code") or "", description=display.get("description") or "",
        offer_text=display.get("offer_text") or "", tiers=(tier,), criteria=criteria,
        cart_value=_compare(buy.get("cart_total"), "buy_rules.cart_total"),
        cart_quantity=_compare(buy.get("cart_quantity"), "buy_rules.cart_quantity"),
        buy=_item_criteria(buy) if set(buy) - {"cart_total", "cart_quantity", "cart_unique_item_quantity",
                                                "cart_unique_item_amount", "buy_rules", "available_zones"} else None,
        start=start, end=end, status=schedule.get("status") or "draft",
        archived=schedule.get("published") is False, priority=int(doc.get("apply_priority") or 0),
        stackable=doc.get("stackable", True) is not False, exclusive=exclusive,
        calculate_on=doc.get("calculate_on") or "esp",
        payment_codes=frozenset(_payment_codes(restrictions.get("payments") or {})),
        users=_ints(restrictions.get("user_id")),
        group_name=doc.get("promo_group") or "", doc=doc,
    )
    if len(parsed) == 1 and parsed[0][2] == Range() and parsed[0][3] == Range():
        return promotion
    # Tiers: every rule computes as the promotion with its own criteria and numbers (see _best_rule).
    return replace(promotion, tiers=tuple(t for t, *_ in parsed), rules=tuple(
        DiscountRule(i, replace(promotion, tiers=(t,), criteria=c), quantity, value)
        for i, (t, c, quantity, value) in enumerate(parsed)))


def _discount_rule(rule: dict, i: int, promotion_type: str) -> tuple[Tier, Criteria, Range, Range]:
    """``discount_rules[i]``: its numbers, the units its item criteria select, and the quantity and value
    (``item_criteria.cart_quantity``/``cart_total``) those units must come to."""
    if rule.get("discount_type", promotion_type) != promotion_type:
        raise InvalidValue(f"discount_rules[{i}].discount_type {rule.get('discount_type')!r} differs from "
                           f"promotion_type {promotion_type!r}", field=f"discount_rules[{i}].discount_type",
                           value=rule.get("discount_type"))
    offer = rule.get("offer") or {}
    w = f"discount_rules[{i}].offer"
    value = {"percentage": "discount_percentage", "amount": "discount_amount", "fixed_price": "discount_price",
             "bogo": "discount_percentage", "bundle_price_amount": "discount_price",
             "bundle_price_percentage": "discount_percentage", "shipping_price": "discount_price"}[promotion_type]
    number = decimal(offer.get(value), f"{w}.{value}")
    if number is None and promotion_type != "bogo":
        raise InvalidValue(f"{w}.{value} is required for a {promotion_type} promotion", field=f"{w}.{value}")
    if value == "discount_percentage" and number is not None and number > HUNDRED:
        raise InvalidValue(f"{w}.discount_percentage cannot exceed 100", field=f"{w}.discount_percentage",
                           value=offer.get(value))
    group = int(decimal(offer.get("min_offer_quantity"), f"{w}.min_offer_quantity") or 1)
    free = int(decimal(offer.get("max_offer_quantity"), f"{w}.max_offer_quantity") or 0)
    if promotion_type == "bogo" and not 0 < free < group:
        raise InvalidValue(f"{w}: a bogo promotion needs min_offer_quantity (units per set) above "
                           f"max_offer_quantity (discounted units)", field=f"{w}.max_offer_quantity",
                           value=offer.get("max_offer_quantity"))
    tier = Tier(threshold=Decimal(group if promotion_type != "percentage" else 1),
                value=number if number is not None else HUNDRED,
                max_discount=decimal(offer.get("max_discount_amount"), f"{w}.max_discount_amount"),
                group=group, free=free)
    item_criteria = rule.get("item_criteria") or {}
    where = f"discount_rules[{i}].item_criteria"
    return (tier, _item_criteria(item_criteria), _compare(item_criteria.get("cart_quantity"), f"{where}.cart_quantity"),
            _compare(item_criteria.get("cart_total"), f"{where}.cart_total"))


def _item_criteria(c: dict) -> Criteria:
    if c.get("all_items"):
        return Criteria(exclude_items=_ints(c.get("item_exclude_id")),
                        exclude_brands=_ints(c.get("item_exclude_brand")),
                        exclude_categories=_ints(c.get("item_exclude_category")),
                        exclude_stores=_ints(c.get("item_exclude_store")),
                        exclude_articles=_ints(c.get("item_exclude_sku")))
    return Criteria(
        items=_ints(c.get("item_id")), brands=_ints(c.get("item_brand")),
        categories=_ints(c.get("item_category")), stores=_ints(c.get("item_store")),
        articles=_ints(c.get("item_sku")), sizes=_ints(c.get("item_size")),
        exclude_items=_ints(c.get("item_exclude_id")), exclude_brands=_ints(c.get("item_exclude_brand")),
        exclude_categories=_ints(c.get("item_exclude_category")), exclude_stores=_ints(c.get("item_exclude_store")),
        exclude_articles=_ints(c.get("item_exclude_sku")),
    )


def validate_coupon(doc: dict) -> None:
    """Refuse (InvalidValue) a coupon document the sandbox cannot compute."""
    coupon_from_doc(doc)


def validate_promotion(doc: dict) -> None:
    """Refuse (InvalidValue) a promotion document the sandbox cannot compute."""
    promotion_from_doc(doc)
