"""Money: ``Decimal`` rupees with one rounding rule, applied in one place."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow

PAISA = Decimal("0.01")
ZERO = Decimal("0.00")
# Rounding to paise has a context of its own: the default one (28 digits) refuses to quantize an amount of
# 10^26 rupees or more, while 40 digits hold any sum of amounts the sandbox takes (each within ±10^12
# rupees, times int32 quantities, over any number of lines; spec/sandbox-behaviour.md, "Numbers").
MONEY_CONTEXT = Context(prec=40, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])


def money(value: Decimal | int | str) -> Decimal:
    """Round to paise, half away from zero: the only rounding rule in the sandbox."""
    if value is ZERO:  # the commonest amount by far (no coupon, no COD, no adjustment), rounded already
        return ZERO
    return Decimal(value).quantize(PAISA, context=MONEY_CONTEXT)
