"""Request bodies and parameters → the domain's typed inputs. The domain never sees the API's JSON.

Each function reads one operation's body (already checked against the spec's schema by the request
validation) and names the field that cannot be used in an ``InvalidValue``.
"""

from __future__ import annotations

from datetime import datetime

from ..domain.errors import InvalidValue
from ..domain.moments import instant


def moment(name: str, value: str | None) -> datetime | None:
    """An optional ISO 8601 date-time query parameter, read by the one rule (``moments.instant``)."""
    if value is None:
        return None
    parsed = instant(value)
    if parsed is None:
        raise InvalidValue(f"{name}: {value!r} is not an ISO 8601 date-time", field=name, value=value)
    return parsed
