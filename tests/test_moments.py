"""The one reading of ISO 8601 date-times (``domain/moments.py``) and the one way instants are written."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from conftest import BASE

from cartwright.sandbox.domain.moments import instant, iso

IST = timezone(timedelta(hours=5, minutes=30))


@pytest.mark.parametrize("text, expected", [
    ("2026-11-22T10:00:00Z", datetime(2026, 11, 22, 10, tzinfo=UTC)),
    ("2026-11-22T10:00:00z", datetime(2026, 11, 22, 10, tzinfo=UTC)),
    ("2026-11-22T10:00:00+05:30", datetime(2026, 11, 22, 10, tzinfo=IST)),
    ("2026-11-22T10:00:00", datetime(2026, 11, 22, 10, tzinfo=UTC)),
    ("2026-11-22", datetime(2026, 11, 22, tzinfo=UTC)),
])
def test_instant_reads_zone_less_times_as_utc(text, expected):
    """Z or z is UTC, an offset is kept, and a time (or a bare date, at midnight) that names no zone is UTC."""
    moment = instant(text)
    assert moment == expected and moment.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("value", [None, "", "yesterday", "2026-13-01T00:00:00Z", 2026, date(2026, 1, 1)])
def test_instant_is_none_for_what_is_not_a_date_time(value):
    """Anything but an ISO 8601 date-time string (including non-strings) is not an instant."""
    assert instant(value) is None


def test_iso_writes_utc_with_z():
    """Instants are written in UTC with Z, whatever zone they were read in."""
    assert iso(datetime(2026, 11, 22, 15, 30, tzinfo=IST)) == "2026-11-22T10:00:00Z"
    assert iso(datetime(2026, 11, 22, 10, tzinfo=UTC)) == "2026-11-22T10:00:00Z"


def test_query_date_times_follow_the_one_rule(client):
    """A lower-case-z date-time parameter (RFC 3339 allows it) is read as UTC, not refused."""
    value = "2030-01-01T00:00:00z"
    r = client.get(f"{BASE}/cart-list?from_date={value}")
    assert r.status_code == 200 and r.json()["data"] == [], r.text
    r = client.get(f"{BASE}/coupon?approved_start_time={value}")
    assert r.status_code == 200, r.text
    r = client.get(f"{BASE}/cart-list?from_date=yesterday")
    assert r.status_code == 400 and "from_date" in r.text, r.text


def test_offer_schedules_follow_the_one_rule(client):
    """A coupon's schedule bound in lower-case z (RFC 3339 allows it) is accepted by the book and the offer rules,
    not refused as a bad date-time."""
    base = "/service/platform/cart/v1.0/company/1/application/moments-offers"
    body = {"code": "LOWERZ", "type_slug": "percentage", "display_meta": {"title": "LOWERZ"},
            "rule_definition": {"type": "percentage", "applicable_on": "amount", "calculate_on": "esp"},
            "rule": [{"key": 1, "value": 10}], "_schedule": {"start": "2026-01-01T00:00:00z", "status": "approved"}}
    r = client.post(f"{base}/coupon", json=body)
    assert r.status_code == 201, r.text
