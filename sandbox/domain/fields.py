"""Reading one field of an input: a number, a date-time; InvalidValue naming the field when it is not one."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from .errors import InvalidValue
from .moments import instant


def decimal(value: Any, where: str) -> Decimal | None:
    """An optional number of at least 0 (absent: None)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise InvalidValue(f"{where} must be a number, not {value!r}", field=where, value=value)
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise InvalidValue(f"{where} must be a number, not {value!r}", field=where, value=value) from None
    if not number.is_finite() or number < 0:
        raise InvalidValue(f"{where} must be a number of at least 0, not {value!r}", field=where, value=value)
    return number


def when(value: Any, where: str) -> datetime | None:
    """An optional date-time, read by ``moments.instant``: absent (None) is None; anything else that is not one,
    the empty string included, is refused naming ``where`` (a body's field or a query parameter)."""
    if value is None:
        return None
    moment = instant(value)
    if moment is None:
        raise InvalidValue(f"{where}: {value!r} is not an ISO 8601 date-time (2026-12-01T09:30:00Z)", field=where,
                           value=value)
    return moment
