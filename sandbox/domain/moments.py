"""Instants: the one way an ISO 8601 date-time is read, and the one way one is written.

Reading (see spec/sandbox-behaviour.md, "Date-times"): what ``datetime.fromisoformat`` accepts, with ``Z``
or ``z`` for UTC; a date-time that names no zone (or a bare date, read as its midnight) is UTC. Everything
the sandbox parses goes through ``instant``: request bodies and query parameters, stored offers' schedules,
the clock's setting, the state's records.
"""

from __future__ import annotations

from datetime import UTC, datetime


def instant(value: object) -> datetime | None:
    """``value`` as an aware datetime when it is an ISO 8601 date-time string; None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z") if value[-1:] == "z" else value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """``moment`` as the API writes instants: ISO 8601 in UTC, ``Z`` for the zone."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
