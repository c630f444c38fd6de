"""Coupons and promotions: where they live and how their lifecycle goes. No I/O.

``OfferBook`` keeps, per scope ``(company_id, application_id)``, coupons and
promotions as documents: dicts shaped like the API's ``CouponAdd`` and
``PromotionAdd``, each with its ``_id``. Every scope starts with deep copies of
the default offers, copied when the scope is first used, so a demo has offers
from its first request.

Lifecycle (see spec/sandbox-behaviour.md, "Coupons and promotions: lifecycle"):

- ``_schedule.status`` is one of ``STATUSES``; it is ``draft`` when absent.
  Any status can be set by a create or a full update (PUT); moving into
  ``approved`` or ``rejected`` stamps ``date_meta.approved_on``/``rejected_on``.
- Only a ``draft`` offer can be deleted; others are refused naming their status.
- A coupon code is unique, ignoring case, among the scope's coupons that are not
  archived (``state.is_archived``); a promotion code among the scope's promotions.
- An offer is *live* when it is ``approved``, not archived (coupons:
  ``state.is_archived``) nor unpublished (promotions: ``_schedule.published``
  false), and the clock is inside its ``_schedule`` ``start``..``end`` (either
  may be open). ``getPromotions``' ``is_active`` filters on this.
- Lists are newest first: by ``date_meta.created_on``, then by arrival.

What each offer *does* is checked by ``sandbox.domain.offers.validate_coupon`` /
``validate_promotion`` before anything is stored.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from .errors import InvalidValue, NotFound, Refused

if TYPE_CHECKING:
    from .cart import Scope
    from .runtime import Clock, Ids

DRAFT, REVIEW, APPROVED, REJECTED, PAUSED = "draft", "review", "approved", "rejected", "paused"
STATUSES = (DRAFT, REVIEW, APPROVED, REJECTED, PAUSED)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
STAMPED = {APPROVED: "approved_on", REJECTED: "rejected_on"}  # entering these statuses sets that date


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def when(value: object) -> datetime | None:
    """An ISO 8601 date-time string as an aware datetime (UTC when it names no zone); None if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def status_of(doc: dict) -> str:
    return (doc.get("_schedule") or {}).get("status") or DRAFT


def is_live(doc: dict, now: datetime) -> bool:
    """Approved, not archived or unpublished, and ``now`` inside its schedule's start..end (a missing bound is open)."""
    schedule = doc.get("_schedule") or {}
    start, end = when(schedule.get("start")), when(schedule.get("end"))
    withdrawn = bool((doc.get("state") or {}).get("is_archived")) or schedule.get("published") is False
    return (status_of(doc) == APPROVED and not withdrawn
            and (start is None or start <= now) and (end is None or now <= end))


def _nested(doc: dict, path: str) -> object:
    for key in path.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def _same_code(a: object, b: object) -> bool:
    return isinstance(a, str) and isinstance(b, str) and a.casefold() == b.casefold()


def _validator(name: str) -> Callable[[dict], None]:
    from . import offers  # lazy: the offer rules live there and need nothing from here

    return getattr(offers, name)


class _Kind:
    """What differs between coupons and promotions: names, defaults, which ones block a code."""

    def __init__(self, noun: str, validator: str, code_required: bool, holds_code: Callable[[dict], bool]) -> None:
        self.noun = noun
        self.validator = validator
        self.code_required = code_required
        self.holds_code = holds_code


COUPON = _Kind("coupon", "validate_coupon", True, lambda d: not (d.get("state") or {}).get("is_archived", False))
PROMOTION = _Kind("promotion", "validate_promotion", False, lambda d: True)


class OfferBook:
    """Coupons and promotions of every scope, as API documents."""

    def __init__(self, clock: Clock, ids: Ids, default_coupons: list[dict], default_promotions: list[dict]) -> None:
        self.clock = clock
        self.ids = ids
        self._defaults = {COUPON: copy.deepcopy(default_coupons), PROMOTION: copy.deepcopy(default_promotions)}
        self._docs: dict[tuple[_Kind, Scope], dict[str, dict]] = {}
        self.revision = 0   # counts the changes to any document: readers may keep what they derived until it moves

    # ------------------------------------------------------------------ storage
    def _book(self, kind: _Kind, scope: Scope) -> dict[str, dict]:
        key = (kind, tuple(scope))
        if key not in self._docs:
            self._docs[key] = {d["_id"]: copy.deepcopy(d) for d in self._defaults[kind]}
        return self._docs[key]

    def _get(self, kind: _Kind, scope: Scope, offer_id: str) -> dict:
        doc = self._book(kind, scope).get(offer_id)
        if doc is None:
            raise NotFound(f"{kind.noun} {offer_id} not found", field="id", value=offer_id)
        return doc

    def _check(self, kind: _Kind, scope: Scope, doc: dict, own_id: str | None) -> None:
        """Everything that must hold before ``doc`` is stored as ``own_id`` (None: a new offer)."""
        schedule = doc.get("_schedule")
        if schedule is not None and not isinstance(schedule, dict):
            raise InvalidValue("_schedule must be an object", field="_schedule", value=schedule)
        status = (schedule or {}).get("status", DRAFT)
        if status not in STATUSES:
            raise InvalidValue(f"_schedule.status must be one of {', '.join(STATUSES)}, not {status!r}",
                               field="_schedule.status", value=status)
        for bound in ("start", "end"):
            value = (schedule or {}).get(bound)
            if value is not None and when(value) is None:
                raise InvalidValue(f"_schedule.{bound}: {value!r} is not an ISO 8601 date-time",
                                   field=f"_schedule.{bound}", value=value)
        start, end = when((schedule or {}).get("start")), when((schedule or {}).get("end"))
        if start is not None and end is not None and end < start:
            raise InvalidValue(f"_schedule.end ({schedule['end']}) is before _schedule.start ({schedule['start']})",
                               field="_schedule.end", value=schedule["end"])
        code = doc.get("code")
        if kind.code_required and (not isinstance(code, str) or not code.strip()):
            raise InvalidValue(f"code: a {kind.noun} needs a code", field="code", value=code)
        _validator(kind.validator)(doc)
        if code and kind.holds_code(doc):
            for other_id, other in self._book(kind, scope).items():
                if other_id != own_id and kind.holds_code(other) and _same_code(other.get("code"), code):
                    raise InvalidValue(f"code: {kind.noun} code {code!r} is already used by {kind.noun} {other_id}",
                                       field="code", value=code)

    def _stamp(self, doc: dict, before: dict | None) -> None:
        """Set the dates the book owns: created_on (kept across updates), modified_on, approved/rejected_on."""
        now = iso(self.clock.now())
        meta = doc["date_meta"] = dict(doc.get("date_meta") or {})
        kept = (before or {}).get("date_meta") or {}
        for stamp in STAMPED.values():  # a full replace that leaves them out keeps the book's stamps
            if meta.get(stamp) is None and kept.get(stamp) is not None:
                meta[stamp] = kept[stamp]
        meta["created_on"] = (kept.get("created_on") or now) if before else now
        meta["modified_on"] = now
        status = status_of(doc)
        if status in STAMPED and (before is None or status_of(before) != status):
            meta[STAMPED[status]] = now
        doc["_schedule"] = {**(doc.get("_schedule") or {}), "status": status}

    def _create(self, kind: _Kind, scope: Scope, doc: dict) -> str:
        doc = copy.deepcopy(doc)
        doc.pop("_id", None)  # the book names its offers
        self._check(kind, scope, doc, None)
        offer_id = self.ids.object_id()
        self._stamp(doc, None)
        self._book(kind, scope)[offer_id] = {**doc, "_id": offer_id}
        self.revision += 1
        return offer_id

    def _update(self, kind: _Kind, scope: Scope, offer_id: str, doc: dict) -> dict:
        before = self._get(kind, scope, offer_id)
        doc = copy.deepcopy(doc)
        doc.pop("_id", None)
        self._check(kind, scope, doc, offer_id)
        self._stamp(doc, before)
        stored = self._book(kind, scope)[offer_id] = {**doc, "_id": offer_id}
        self.revision += 1
        return copy.deepcopy(stored)

    def _delete(self, kind: _Kind, scope: Scope, offer_id: str) -> None:
        status = status_of(self._get(kind, scope, offer_id))
        if status != DRAFT:
            raise Refused(f"{kind.noun} {offer_id} is {status}: only a draft {kind.noun} can be deleted",
                          field="_schedule.status", value=status)
        del self._book(kind, scope)[offer_id]
        self.revision += 1

    def _code_count(self, kind: _Kind, scope: Scope, code: str) -> int:
        return sum(1 for d in self._book(kind, scope).values()
                   if kind.holds_code(d) and _same_code(d.get("code"), code))

    @staticmethod
    def _page(docs: list[dict], page_no: int, page_size: int) -> tuple[list[dict], int]:
        if page_size < 1:
            raise InvalidValue(f"page_size must be at least 1, not {page_size}", field="page_size", value=page_size)
        if page_no < 0:
            raise InvalidValue(f"page_no counts from 0, not {page_no}", field="page_no", value=page_no)
        # Newest first: by created_on, then by when the book got it (a frozen clock gives equal created_on).
        ranked = [d for _, d in sorted(enumerate(docs), reverse=True, key=lambda p: (
            when((p[1].get("date_meta") or {}).get("created_on")) or EPOCH, p[0]))]
        start = page_no * page_size
        return [copy.deepcopy(d) for d in ranked[start:start + page_size]], len(docs)

    @staticmethod
    def _lifecycle_filters(status: str | None, created_by: str | None, reviewed_by: str | None,
                           approved: tuple[datetime | None, datetime | None],
                           review: tuple[datetime | None, datetime | None]) -> list[Callable[[dict], bool]]:
        """Filters shared by both lists: status, author, and the approved/review schedule ranges."""
        if status is not None and status not in STATUSES:
            raise InvalidValue(f"status must be one of {', '.join(STATUSES)}, not {status!r}",
                               field="status", value=status)
        tests: list[Callable[[dict], bool]] = []
        if status is not None:
            tests.append(lambda d: status_of(d) == status)
        if created_by is not None:
            tests.append(lambda d: _nested(d, "author.created_by") == created_by)
        if reviewed_by is not None:
            tests.append(lambda d: _nested(d, "author.reviewed_by") == reviewed_by)
        for wanted, (lo, hi) in ((APPROVED, approved), (REVIEW, review)):
            if lo is None and hi is None:
                continue
            tests.append(lambda d, wanted=wanted, lo=lo, hi=hi: status_of(d) == wanted and _within(d, lo, hi))
        return tests

    # ------------------------------------------------------------------ coupons
    def create_coupon(self, scope: Scope, doc: dict) -> str:
        return self._create(COUPON, scope, doc)

    def coupon(self, scope: Scope, coupon_id: str) -> dict:
        return copy.deepcopy(self._get(COUPON, scope, coupon_id))

    def update_coupon(self, scope: Scope, coupon_id: str, doc: dict) -> dict:
        return self._update(COUPON, scope, coupon_id, doc)

    def delete_coupon(self, scope: Scope, coupon_id: str) -> None:
        self._delete(COUPON, scope, coupon_id)

    def coupon_code_count(self, scope: Scope, code: str) -> int:
        return self._code_count(COUPON, scope, code)

    def coupons(self, scope: Scope) -> list[dict]:
        """The stored documents themselves, read-only: the book replaces a document when it changes and
        never edits one in place, so readers (the offer index, on every priced cart) need no copies."""
        return list(self._book(COUPON, scope).values())

    def coupon_by_code(self, scope: Scope, code: str) -> dict | None:
        """The scope's coupon with ``code`` (ignoring case) that is not archived, if any (read-only)."""
        return next((d for d in self._book(COUPON, scope).values()
                     if COUPON.holds_code(d) and _same_code(d.get("code"), code)), None)

    def list_coupons(self, scope: Scope, *, page_no: int = 0, page_size: int = 10, is_archived: bool = False,
                     title: str | None = None, is_public: bool | None = None, is_display: bool | None = None,
                     type_slug: str | None = None, code: str | None = None, created_by: str | None = None,
                     reviewed_by: str | None = None, approved_start_time: datetime | None = None,
                     approved_end_time: datetime | None = None, review_start_time: datetime | None = None,
                     review_end_time: datetime | None = None, status: str | None = None) -> tuple[list[dict], int]:
        """One page (from 0) of the coupons matching every given filter, newest first; and how many match."""
        tests = self._lifecycle_filters(status, created_by, reviewed_by, (approved_start_time, approved_end_time),
                                        (review_start_time, review_end_time))
        tests.append(lambda d: bool(_nested(d, "state.is_archived") or False) == is_archived)
        if title is not None:
            tests.append(lambda d: title.casefold() in str(_nested(d, "display_meta.title") or "").casefold())
        if is_public is not None:
            tests.append(lambda d: _flag(d, "state.is_public") == is_public)
        if is_display is not None:
            tests.append(lambda d: _flag(d, "state.is_display") == is_display)
        if type_slug is not None:
            tests.append(lambda d: d.get("type_slug") == type_slug)
        if code is not None:
            tests.append(lambda d: _same_code(d.get("code"), code))
        docs = [d for d in self._book(COUPON, scope).values() if all(t(d) for t in tests)]
        return self._page(docs, page_no, page_size)

    # ------------------------------------------------------------------ promotions
    def create_promotion(self, scope: Scope, doc: dict) -> str:
        return self._create(PROMOTION, scope, doc)

    def promotion(self, scope: Scope, promotion_id: str) -> dict:
        return copy.deepcopy(self._get(PROMOTION, scope, promotion_id))

    def update_promotion(self, scope: Scope, promotion_id: str, doc: dict) -> dict:
        return self._update(PROMOTION, scope, promotion_id, doc)

    def delete_promotion(self, scope: Scope, promotion_id: str) -> None:
        self._delete(PROMOTION, scope, promotion_id)

    def promotion_code_count(self, scope: Scope, code: str) -> int:
        return self._code_count(PROMOTION, scope, code)

    def promotions(self, scope: Scope) -> list[dict]:
        """The stored documents themselves, read-only (see ``coupons``)."""
        return list(self._book(PROMOTION, scope).values())

    def list_promotions(self, scope: Scope, *, page_no: int = 0, page_size: int = 10, q: str | None = None,
                        is_active: bool | None = None, promo_group: str | None = None,
                        promotion_type: str | None = None, fp_panel: str | None = None,
                        promotion_id: str | None = None, created_by: str | None = None,
                        reviewed_by: str | None = None, approved_start_time: datetime | None = None,
                        approved_end_time: datetime | None = None, review_start_time: datetime | None = None,
                        review_end_time: datetime | None = None,
                        status: str | None = None) -> tuple[list[dict], int]:
        """One page (from 0) of the promotions matching every given filter, newest first; and how many match.

        ``fp_panel`` ("filter non extension promotions") has no effect: every promotion here is made through
        this API, none by an extension.
        """
        tests = self._lifecycle_filters(status, created_by, reviewed_by, (approved_start_time, approved_end_time),
                                        (review_start_time, review_end_time))
        now = self.clock.now()
        if is_active is not None:
            tests.append(lambda d: is_live(d, now) == is_active)
        if q is not None:
            needle = q.casefold()
            tests.append(lambda d: any(needle in str(v or "").casefold() for v in (
                _nested(d, "display_meta.name"), _nested(d, "display_meta.offer_text"), d.get("code"))))
        if promo_group is not None:
            tests.append(lambda d: d.get("promo_group") == promo_group)
        if promotion_type is not None:
            tests.append(lambda d: d.get("promotion_type") == promotion_type)
        if promotion_id is not None:
            tests.append(lambda d: d["_id"] == promotion_id)
        docs = [d for d in self._book(PROMOTION, scope).values() if all(t(d) for t in tests)]
        return self._page(docs, page_no, page_size)


def _flag(doc: dict, path: str) -> bool:
    """A ``state`` flag, ``True`` when absent (the documented default of is_public and is_display)."""
    value = _nested(doc, path)
    return True if value is None else bool(value)


def _within(doc: dict, lo: datetime | None, hi: datetime | None) -> bool:
    """The schedule lies inside lo..hi: start at or after ``lo``, end at or before ``hi`` (an open end is not)."""
    schedule = doc.get("_schedule") or {}
    start, end = when(schedule.get("start")), when(schedule.get("end"))
    if lo is not None and (start is None or start < lo):
        return False
    if hi is not None and (end is None or end > hi):
        return False
    return True


def page_bounds(page_no: int, page_size: int, total: int) -> tuple[bool, bool]:
    """(is there a page before, is there one after) page ``page_no`` (from 0) of ``page_size`` items of ``total``."""
    return page_no > 0, (page_no + 1) * page_size < total
