"""Coupons and promotions: where they live and how their lifecycle goes. No I/O.

``OfferBook`` keeps, per scope ``(company_id, application_id)``, coupons and
promotions as documents in the state: dicts shaped like the API's ``CouponAdd``
and ``PromotionAdd``, each with its ``_id``. Every scope starts with the default
offers (read from the book's defaults until the scope's first change copies them
in), so a demo has offers from its first request.

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
  may be open): ``offers.Offer.live_at``, the one rule, which ``getPromotions``'
  ``is_active`` filters on too.
- Lists are newest first: by ``date_meta.created_on``, then by arrival.

The book takes an ``OfferInput`` (``domain/inputs.py``), read from a request body by ``web/inputs.py``, and
checks it in one order (spec/sandbox-behaviour.md, "Coupons and promotions: lifecycle", order of refusals): an
update's unknown id; what the offer *does*, read by ``sandbox.domain.offers.coupon_from_doc`` /
``promotion_from_doc`` in their order (refusing what the sandbox cannot compute, its schedule's dates
included); its status; its code. ``OfferIndex`` keeps each application's offers parsed until they change.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .cart import ScopeOffers
from .errors import InvalidValue, LimitReached, NotFound, Refused
from .moments import instant, iso
from .offers import Offer, coupon_from_doc, promotion_from_doc

if TYPE_CHECKING:
    from .cart import Scope
    from .inputs import OfferInput
    from .runtime import Clock, Ids
    from .state import Changes, SandboxState

DRAFT, REVIEW, APPROVED, REJECTED, PAUSED = "draft", "review", "approved", "rejected", "paused"
STATUSES = (DRAFT, REVIEW, APPROVED, REJECTED, PAUSED)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
STAMPED = {APPROVED: "approved_on", REJECTED: "rejected_on"}  # entering these statuses sets that date


def status_of(doc: dict) -> str:
    return (doc.get("_schedule") or {}).get("status") or DRAFT


def _nested(doc: dict, path: str) -> object:
    node: object = doc
    for key in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _same_code(a: object, b: object) -> bool:
    return isinstance(a, str) and isinstance(b, str) and a.casefold() == b.casefold()


class _Kind:
    """What differs between coupons and promotions: names, defaults, which ones block a code, how one is read."""

    def __init__(self, noun: str, code_required: bool, holds_code: Callable[[Mapping], bool],
                 read: Callable[[dict], Offer]) -> None:
        self.noun = noun
        self.code_required = code_required
        self.holds_code = holds_code   # a document (stored, or being written): does its code block others'?
        self.read = read               # the offer rules' reading of a document (InvalidValue: what they cannot use)


COUPON = _Kind("coupon", True, lambda d: not (d.get("state") or {}).get("is_archived", False), coupon_from_doc)
PROMOTION = _Kind("promotion", False, lambda d: True, promotion_from_doc)


class OfferBook:
    """Coupons and promotions of every application, as API documents, in the state's ``offers``."""

    def __init__(self, state: SandboxState, clock: Clock, ids: Ids, default_coupons: list[dict],
                 default_promotions: list[dict]) -> None:
        self.state = state
        self.clock = clock
        self.ids = ids
        self.index = OfferIndex(self)
        # Arrival numbers below every stored offer's (those count from 1), in the defaults' order.
        self._defaults = {kind: [(copy.deepcopy(d), i - len(docs)) for i, d in enumerate(docs)]
                          for kind, docs in ((COUPON, default_coupons), (PROMOTION, default_promotions))}

    # ------------------------------------------------------------------ storage
    async def _held(self, kind: _Kind, scope: Scope, view=None) -> tuple[list[tuple[dict, int]], bool]:
        """``(document, arrival number)`` of the application's offers of ``kind``, and whether they are its own
        (it changed one) rather than the defaults (read-only: reading stores nothing)."""
        stored = await (self.state if view is None else view).offers.docs(kind.noun, scope)
        if stored is None:
            return [(copy.deepcopy(d), seq) for d, seq in self._defaults[kind]], False
        return stored, True

    async def _book(self, kind: _Kind, scope: Scope, view=None) -> list[tuple[dict, int]]:
        """``(document, arrival number)`` of the application's offers of ``kind`` (``_held``)."""
        return (await self._held(kind, scope, view))[0]

    async def _docs(self, kind: _Kind, scope: Scope, view=None) -> dict[str, dict]:
        """The application's offers of ``kind`` by id, in arrival order."""
        return _by_id(await self._book(kind, scope, view))

    async def _get(self, kind: _Kind, scope: Scope, offer_id: str, view=None) -> dict:
        return _find(kind, await self._book(kind, scope, view), offer_id)[0]

    async def _own(self, tx: Changes, scope: Scope, owned: bool, adding: bool = False) -> None:
        """Before the application's first change (it holds the defaults, not ``owned``): its own copy of them
        (and, ``adding``, room for one more offer)."""
        if not owned:
            tx.offers.copy_in(scope, {kind.noun: [(copy.deepcopy(d), seq) for d, seq in docs]
                                      for kind, docs in self._defaults.items()})
        cap = self.state.caps.records_per_application
        if adding and cap and await tx.offers.count(scope) >= cap:
            raise LimitReached(f"records_per_application: application {scope[1]} holds {cap} coupons and "
                               f"promotions, the most it may (delete some drafts)", field="records_per_application",
                               value=cap)

    async def _moved(self, tx: Changes, scope: Scope) -> None:
        tx.offers.moved(scope, await self.state.next_number("offer_revision"))

    async def revision(self, scope: Scope, view=None) -> int:
        """Changes to the application's offers: what was derived from them holds until this moves."""
        return await (self.state if view is None else view).offers.revision(scope)

    def _check(self, kind: _Kind, docs: dict[str, dict], given: OfferInput, own_id: str | None) -> str:
        """``given``'s status, once all that must hold before it is stored as ``own_id`` (None: a new offer) among
        ``docs`` does, checked in this order: the offer rules read it (what it computes, its schedule), its status,
        its code."""
        kind.read(dict(given.doc))
        status = given.status
        if status not in STATUSES:
            raise InvalidValue(f"_schedule.status must be one of {', '.join(STATUSES)}, not {status!r}",
                               field="_schedule.status", value=status)
        code = given.code
        if kind.code_required and (not isinstance(code, str) or not code.strip()):
            raise InvalidValue(f"code: a {kind.noun} needs a code", field="code", value=code)
        if code and kind.holds_code(given.doc):
            for other_id, other in docs.items():
                if other_id != own_id and kind.holds_code(other) and _same_code(other.get("code"), code):
                    raise InvalidValue(f"code: {kind.noun} code {code!r} is already used by {kind.noun} {other_id}",
                                       field="code", value=code)
        return str(status)

    def _stamp(self, doc: dict, before: dict | None, status: str) -> None:
        """Set the dates the book owns: created_on (kept across updates), modified_on, approved/rejected_on."""
        now = iso(self.clock.now())
        meta = doc["date_meta"] = dict(doc.get("date_meta") or {})
        kept = (before or {}).get("date_meta") or {}
        for stamp in STAMPED.values():  # a full replace that leaves them out keeps the book's stamps
            if meta.get(stamp) is None and kept.get(stamp) is not None:
                meta[stamp] = kept[stamp]
        meta["created_on"] = (kept.get("created_on") or now) if before else now
        meta["modified_on"] = now
        if status in STAMPED and (before is None or status_of(before) != status):
            meta[STAMPED[status]] = now
        doc["_schedule"] = {**(doc.get("_schedule") or {}), "status": status}

    async def _create(self, kind: _Kind, scope: Scope, given: OfferInput) -> str:
        async def change(tx: Changes) -> str:
            book, owned = await self._held(kind, scope, tx)
            status = self._check(kind, _by_id(book), given, None)
            await self._own(tx, scope, owned, adding=True)
            offer_id = self.ids.object_id()
            stored = copy.deepcopy(dict(given.doc))   # the document as sent, stamped
            self._stamp(stored, None, status)
            tx.offers.write(kind.noun, scope, {**stored, "_id": offer_id}, await self.state.next_number("offer"))
            await self._moved(tx, scope)
            return offer_id
        return await self.state.atomically(change)

    async def _update(self, kind: _Kind, scope: Scope, offer_id: str, given: OfferInput) -> dict:
        async def change(tx: Changes) -> dict:
            book, owned = await self._held(kind, scope, tx)   # the one read: the offer, then the body's checks
            before = _find(kind, book, offer_id)
            status = self._check(kind, _by_id(book), given, offer_id)
            await self._own(tx, scope, owned)
            stored = copy.deepcopy(dict(given.doc))
            self._stamp(stored, before[0], status)
            stored = {**stored, "_id": offer_id}
            tx.offers.write(kind.noun, scope, stored, before[1])
            await self._moved(tx, scope)
            return stored
        return await self.state.atomically(change)

    async def _delete(self, kind: _Kind, scope: Scope, offer_id: str) -> None:
        async def change(tx: Changes) -> None:
            book, owned = await self._held(kind, scope, tx)
            status = status_of(_find(kind, book, offer_id)[0])
            if status != DRAFT:
                raise Refused(f"{kind.noun} {offer_id} is {status}: only a draft {kind.noun} can be deleted",
                              field="_schedule.status", value=status)
            await self._own(tx, scope, owned)
            tx.offers.delete(kind.noun, scope, offer_id)
            await self._moved(tx, scope)
        await self.state.atomically(change)

    async def _code_count(self, kind: _Kind, scope: Scope, code: str) -> int:
        return sum(1 for d in (await self._docs(kind, scope)).values()
                   if kind.holds_code(d) and _same_code(d.get("code"), code))

    @staticmethod
    def _page(docs: list[tuple[dict, int]], page_no: int, page_size: int) -> tuple[list[dict], int]:
        if page_size < 1:
            raise InvalidValue(f"page_size must be at least 1, not {page_size}", field="page_size", value=page_size)
        if page_no < 0:
            raise InvalidValue(f"page_no counts from 0, not {page_no}", field="page_no", value=page_no)
        # Newest first: by created_on, then by when the book got it (a frozen clock gives equal created_on).
        ranked = [d for d, _ in sorted(docs, reverse=True, key=lambda p: (
            instant((p[0].get("date_meta") or {}).get("created_on")) or EPOCH, p[1]))]
        start = page_no * page_size
        return ranked[start:start + page_size], len(docs)

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
            tests.append(functools.partial(_scheduled, wanted, lo, hi))
        return tests

    # ------------------------------------------------------------------ coupons
    async def create_coupon(self, scope: Scope, coupon: OfferInput) -> str:
        return await self._create(COUPON, scope, coupon)

    async def coupon(self, scope: Scope, coupon_id: str) -> dict:
        return await self._get(COUPON, scope, coupon_id)

    async def update_coupon(self, scope: Scope, coupon_id: str, coupon: OfferInput) -> dict:
        return await self._update(COUPON, scope, coupon_id, coupon)

    async def delete_coupon(self, scope: Scope, coupon_id: str) -> None:
        await self._delete(COUPON, scope, coupon_id)

    async def coupon_code_count(self, scope: Scope, code: str) -> int:
        return await self._code_count(COUPON, scope, code)

    async def coupons(self, scope: Scope, view=None) -> list[dict]:
        """The application's coupon documents (copies), in arrival order."""
        return list((await self._docs(COUPON, scope, view)).values())

    async def list_coupons(self, scope: Scope, *, page_no: int = 0, page_size: int = 10, is_archived: bool = False,
                           title: str | None = None, is_public: bool | None = None, is_display: bool | None = None,
                           type_slug: str | None = None, code: str | None = None, created_by: str | None = None,
                           reviewed_by: str | None = None, approved_start_time: datetime | None = None,
                           approved_end_time: datetime | None = None, review_start_time: datetime | None = None,
                           review_end_time: datetime | None = None,
                           status: str | None = None) -> tuple[list[dict], int]:
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
        docs = [(d, seq) for d, seq in await self._book(COUPON, scope) if all(t(d) for t in tests)]
        return self._page(docs, page_no, page_size)

    # ------------------------------------------------------------------ promotions
    async def create_promotion(self, scope: Scope, promotion: OfferInput) -> str:
        return await self._create(PROMOTION, scope, promotion)

    async def promotion(self, scope: Scope, promotion_id: str) -> dict:
        return await self._get(PROMOTION, scope, promotion_id)

    async def update_promotion(self, scope: Scope, promotion_id: str, promotion: OfferInput) -> dict:
        return await self._update(PROMOTION, scope, promotion_id, promotion)

    async def delete_promotion(self, scope: Scope, promotion_id: str) -> None:
        await self._delete(PROMOTION, scope, promotion_id)

    async def promotion_code_count(self, scope: Scope, code: str) -> int:
        return await self._code_count(PROMOTION, scope, code)

    async def promotions(self, scope: Scope, view=None) -> list[dict]:
        """The application's promotion documents (copies), in arrival order."""
        return list((await self._docs(PROMOTION, scope, view)).values())

    async def list_promotions(self, scope: Scope, *, page_no: int = 0, page_size: int = 10, q: str | None = None,
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
        if is_active is not None:   # each document read by the offer rules once per version (the index keeps it)
            tests.append(lambda d: self.index.parsed(PROMOTION, d).live_at(now) == is_active)
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
        docs = [(d, seq) for d, seq in await self._book(PROMOTION, scope) if all(t(d) for t in tests)]
        return self._page(docs, page_no, page_size)


class OfferIndex:
    """The offers of an ``OfferBook`` parsed once per document version (the carts' ``OfferSource``, and the
    promotions list's ``is_active``); an application's parsed offers are kept until its offers' revision moves
    (every priced cart asks)."""

    def __init__(self, book: OfferBook) -> None:
        self.book = book
        self._parsed: dict[tuple[str, str], tuple[dict, Offer]] = {}
        self._kept: dict[Scope, tuple[int, ScopeOffers]] = {}

    async def of(self, scope: Scope, view=None) -> ScopeOffers:
        revision = await self.book.revision(scope, view)
        kept = self._kept.get(scope)
        if kept is not None and kept[0] == revision:
            return kept[1]
        coupons = tuple(self.parsed(COUPON, d) for d in await self.book.coupons(scope, view))
        promotions = tuple(self.parsed(PROMOTION, d) for d in await self.book.promotions(scope, view))
        by_code: dict[str, Offer] = {}
        for offer in coupons:
            if COUPON.holds_code(offer.doc) and isinstance(offer.doc.get("code"), str):
                by_code.setdefault(offer.doc["code"].casefold(), offer)
        found = ScopeOffers(promotions, coupons, by_code)
        if len(self._kept) >= _KEPT_SCOPES:   # applications are many only under a flood: start over
            self._kept.clear()
            self._parsed.clear()
        self._kept[scope] = (revision, found)
        return found

    def parsed(self, kind: _Kind, doc: dict) -> Offer:
        """``doc`` as the offer rules read it, read again only when this version of it was not read before."""
        key = (kind.noun, doc.get("_id", ""))
        hit = self._parsed.get(key)
        if hit is None or hit[0] != doc:
            if hit is None and len(self._parsed) >= _KEPT_OFFERS:   # a flood (the list reads without ``of``)
                self._parsed.clear()
            hit = (doc, kind.read(doc))
            self._parsed[key] = hit
        return hit[1]


_KEPT_SCOPES = 1024   # applications whose parsed offers the index keeps
_KEPT_OFFERS = 64 * _KEPT_SCOPES   # parsed offer documents it keeps, whichever applications they are of


def _find(kind: _Kind, book: list[tuple[dict, int]], offer_id: str) -> tuple[dict, int]:
    """The document and arrival number of offer ``offer_id`` in ``book``; NotFound naming the id."""
    found = next(((d, seq) for d, seq in book if d["_id"] == offer_id), None)
    if found is None:
        raise NotFound(f"{kind.noun} {offer_id} not found", field="id", value=offer_id)
    return found


def _by_id(book: list[tuple[dict, int]]) -> dict[str, dict]:
    """Documents by id, in arrival order."""
    return {d["_id"]: d for d, _ in sorted(book, key=lambda p: p[1])}


def _flag(doc: dict, path: str) -> bool:
    """A ``state`` flag, ``True`` when absent (the documented default of is_public and is_display)."""
    value = _nested(doc, path)
    return True if value is None else bool(value)


def _scheduled(status: str, lo: datetime | None, hi: datetime | None, doc: dict) -> bool:
    """In ``status``, scheduled inside lo..hi (``_within``)."""
    return status_of(doc) == status and _within(doc, lo, hi)


def _within(doc: dict, lo: datetime | None, hi: datetime | None) -> bool:
    """The schedule lies inside lo..hi: start at or after ``lo``, end at or before ``hi`` (an open end is not)."""
    schedule = doc.get("_schedule") or {}
    start, end = instant(schedule.get("start")), instant(schedule.get("end"))
    if lo is not None and (start is None or start < lo):
        return False
    if hi is not None and (end is None or end > hi):
        return False
    return True


def page_bounds(page_no: int, page_size: int, total: int) -> tuple[bool, bool]:
    """(is there a page before, is there one after) page ``page_no`` (from 0) of ``page_size`` items of ``total``."""
    return page_no > 0, (page_no + 1) * page_size < total
