"""Prices of cart lines and the cart's breakup, from the catalog. Pure and ``Decimal``.

Every amount is rounded once, by ``money``, where it is produced. Reductions
(``discount``, ``coupon``) are negative in the raw breakup, as the real
service reports them; ``you_saved`` is positive.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .catalog import Article
from .money import ZERO, money

HOME_DELIVERY = "HomeDelivery"
PICK_AT_STORE = "PickAtStore"


@dataclass(frozen=True)
class DeliveryRule:
    """A cart whose value is below ``threshold`` pays ``charge`` for delivery."""

    threshold: Decimal
    charge: Decimal


@dataclass(frozen=True)
class LinePrice:
    quantity: int
    marked_unit: Decimal
    effective_unit: Decimal
    marked: Decimal       # marked_unit × quantity
    effective: Decimal    # effective_unit × quantity
    discount: Decimal     # marked − effective, ≥ 0
    gst: Decimal          # GST included in `effective`
    discount_percent: int  # of the marked price, to the nearest whole percent


@dataclass(frozen=True)
class Breakup:
    mrp_total: Decimal
    subtotal: Decimal
    discount: Decimal
    coupon: Decimal
    vog: Decimal
    delivery_charge: Decimal
    cod_charge: Decimal
    convenience_fee: Decimal
    gst_charges: Decimal
    fynd_cash: Decimal
    gift_card: Decimal
    total: Decimal
    you_saved: Decimal
    # How much more would make delivery cheaper, or None when it is already free.
    free_delivery_gap: Decimal | None
    # Charges added by price adjustments (the raw breakup has no field of its own for them).
    adjustment_charge: Decimal = ZERO

    def as_raw(self) -> dict[str, Decimal]:
        """The documented ``RawBreakup`` fields, in the documented order."""
        return {
            "coupon": self.coupon, "gst_charges": self.gst_charges, "mrp_total": self.mrp_total,
            "fynd_cash": self.fynd_cash, "vog": self.vog, "gift_card": self.gift_card,
            "cod_charge": self.cod_charge, "total": self.total, "discount": self.discount,
            "delivery_charge": self.delivery_charge, "you_saved": self.you_saved,
            "subtotal": self.subtotal, "convenience_fee": self.convenience_fee,
        }


def price_line(article: Article, quantity: int, gst_percent: Decimal) -> LinePrice:
    """One line's price: unit prices from the article, GST backed out of the inclusive price."""
    return _line_price(article.marked, article.effective, quantity, gst_percent)


@functools.lru_cache(maxsize=4096)  # a pure function of its inputs, asked for every line of every cart read
def _line_price(unit_marked: Decimal, unit_effective: Decimal, quantity: int, gst_percent: Decimal) -> LinePrice:
    marked = money(unit_marked * quantity)
    effective = money(unit_effective * quantity)
    gst = money(effective * gst_percent / (100 + gst_percent))
    percent = int(((marked - effective) * 100 / marked).quantize(Decimal(1), rounding=ROUND_HALF_UP)) if marked else 0
    return LinePrice(quantity, unit_marked, unit_effective, marked, effective, marked - effective, gst, percent)


def delivery_charge(value: Decimal, rules: Iterable[DeliveryRule]) -> tuple[Decimal, Decimal | None]:
    """(charge, gap to the next cheaper rule) for goods worth ``value``; the first matching rule wins."""
    ordered = sorted(rules, key=lambda r: r.threshold)
    for rule in ordered:
        if value < rule.threshold:
            return money(rule.charge), money(rule.threshold - value)
    return ZERO, None


def breakup(
    lines: Iterable[LinePrice],
    rules: Iterable[DeliveryRule],
    order_type: str = HOME_DELIVERY,
    coupon: Decimal = ZERO,
    cod_charge: Decimal = ZERO,
    promotion: Decimal = ZERO,
    shipping_cap: Decimal | None = None,
    adjustment_discount: Decimal = ZERO,
    adjustment_charge: Decimal = ZERO,
) -> Breakup:
    """The cart's totals. Reductions are given as positive amounts and reported negative.

    ``discount`` is the product discount (MRP − selling price) plus promotions and discount
    adjustments; ``vog`` is what the goods cost after every reduction; delivery is charged on
    ``vog`` (never on an empty cart or a store pick-up) and capped by a shipping offer;
    ``total`` adds delivery, COD charges and charge adjustments to ``vog``.
    """
    mrp_total = subtotal = gst = ZERO
    empty = True
    for line in lines:
        mrp_total, subtotal, gst, empty = mrp_total + line.marked, subtotal + line.effective, gst + line.gst, False
    reductions = money(promotion) + money(adjustment_discount)
    coupon = money(coupon)
    vog = subtotal - reductions - coupon
    if empty or order_type == PICK_AT_STORE:
        charge, gap = ZERO, None
    else:
        charge, gap = delivery_charge(vog, rules)
        if shipping_cap is not None and shipping_cap < charge:
            charge, gap = money(shipping_cap), None
    cod_charge, adjustment_charge = money(cod_charge), money(adjustment_charge)
    total = vog + charge + cod_charge + adjustment_charge
    return Breakup(
        mrp_total=mrp_total, subtotal=subtotal, discount=subtotal - mrp_total - reductions, coupon=-coupon,
        vog=vog, delivery_charge=charge, cod_charge=cod_charge, convenience_fee=ZERO, gst_charges=gst,
        fynd_cash=ZERO, gift_card=ZERO, total=total, you_saved=mrp_total - vog, free_delivery_gap=gap,
        adjustment_charge=adjustment_charge,
    )
