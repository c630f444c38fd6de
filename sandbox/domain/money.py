"""Money: ``Decimal`` rupees with one rounding rule, applied in one place."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

PAISA = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | int | str) -> Decimal:
    """Round to paise, half away from zero: the only rounding rule in the sandbox."""
    if value is ZERO:  # the commonest amount by far (no coupon, no COD, no adjustment), rounded already
        return ZERO
    return Decimal(value).quantize(PAISA, rounding=ROUND_HALF_UP)
