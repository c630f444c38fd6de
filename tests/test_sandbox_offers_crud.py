"""Coupons and promotions: their CRUD operations through the whole stack, the OfferBook, and the seeded offers."""
import asyncio
import copy
import itertools
import json
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from cartkit import assert_fynd_error
from conftest import FROZEN_NOW, ROOT

from cartwright.sandbox.domain import offers as offer_rules
from cartwright.sandbox.domain.errors import InvalidValue, NotFound, Refused
from cartwright.sandbox.domain.offer_book import OfferBook
from cartwright.sandbox.domain.runtime import Ids
from cartwright.sandbox.fixturegen import DEFAULT_SEED, DEFAULT_SIZE, generate_catalog
from cartwright.sandbox.fixturegen.offers import SCHEDULE_END, SCHEDULE_START, dump_offers, generate_offers
from cartwright.sandbox.web import inputs

OFFERS_FILE = ROOT / "fixtures" / "offers.json"
CATALOG_FILE = ROOT / "fixtures" / "catalog.json"
DEFAULT_COUPONS = {"WELCOME10", "FLAT150", "FREESHIP", "BIGCART5"}
DEFAULT_PROMOTION_TYPES = {"percentage", "bogo", "bundle_price_amount"}
_scopes = itertools.count(1)


@pytest.fixture
def base():
    """A scope no other test has used, so each test starts from the default offers."""
    return f"/service/platform/cart/v1.0/company/1/application/offers-{next(_scopes)}"


def coupon_body(code, **changes):
    body = {"code": code, "type_slug": "percentage", "display_meta": {"title": f"Offer {code}"},
            "rule_definition": {"type": "percentage", "applicable_on": "amount", "calculate_on": "esp"},
            "rule": [{"key": 1, "value": 10, "max": 100}],
            "state": {"is_archived": False, "is_display": True, "is_public": True}}
    body.update(changes)
    return body


def promotion_body(code, **changes):
    body = {"code": code, "application_id": "*", "mode": "promotion", "promo_group": "product",
            "promotion_type": "percentage", "apply_priority": 5, "stackable": True,
            "display_meta": {"name": f"Sale {code}", "offer_text": f"{code} OFF"},
            "discount_rules": [{"discount_type": "percentage", "buy_condition": "( rule#1 )",
                                "item_criteria": {"item_brand": [201]}, "offer": {"discount_percentage": 10}}],
            "buy_rules": {"item_brand": [201]}}
    body.update(changes)
    return body


def create_coupon(client, base, body):
    r = client.post(f"{base}/coupon", json=body)
    assert r.status_code == 201, r.text
    return r.json()["_id"]


def create_promotion(client, base, body):
    r = client.post(f"{base}/promotion", json=body)
    assert r.status_code == 201, r.text
    return r.json()["_id"]


def codes(response):
    assert response.status_code == 200, response.text
    return [d["code"] for d in response.json()["items"]]


# --------------------------------------------------------------------------- coupons over HTTP
def test_fresh_scope_has_the_default_coupons_and_promotions(client, base):
    """A scope never used before lists the seeded coupons and (live) promotions."""
    coupons = client.get(f"{base}/coupon?page_size=50").json()
    assert DEFAULT_COUPONS <= {c["code"] for c in coupons["items"]}
    assert coupons["page"]["item_total"] == len(coupons["items"]) == 5
    fixture = json.loads(OFFERS_FILE.read_text(encoding="utf-8"))
    assert {c["_id"] for c in coupons["items"]} == {c["_id"] for c in fixture["coupons"]}
    promotions = client.get(f"{base}/promotion").json()
    assert {p["promotion_type"] for p in promotions["items"]} == DEFAULT_PROMOTION_TYPES
    assert all(p["_schedule"]["status"] == "approved" for p in promotions["items"])


def test_created_coupon_reads_back_as_a_draft_stamped_by_the_clock(client, base):
    """A created coupon is 201 with its id; reading it returns the body, a draft, dated by the clock."""
    r = client.post(f"{base}/coupon", json=coupon_body("SPRING5", _id="ignored-by-the-sandbox"))
    assert r.status_code == 201, r.text
    assert r.json()["success"] is True and re.fullmatch(r"[0-9a-f]{24}", r.json()["_id"])
    doc = client.get(f"{base}/coupon/{r.json()['_id']}").json()
    assert doc["_id"] == r.json()["_id"] and doc["code"] == "SPRING5"
    assert doc["rule"] == [{"key": 1, "value": 10, "max": 100}]
    assert doc["_schedule"]["status"] == "draft"
    assert doc["date_meta"]["created_on"] == doc["date_meta"]["modified_on"] == FROZEN_NOW.replace("+00:00", "Z")


def test_update_replaces_the_coupon_and_keeps_id_and_created_on(client, base):
    """PUT replaces the whole document; _id and created_on stay, the new fields are read back."""
    coupon_id = create_coupon(client, base, coupon_body("SPRING5"))
    before = client.get(f"{base}/coupon/{coupon_id}").json()
    new = coupon_body("SPRING7", display_meta={"title": "Seven"}, rule=[{"key": 1, "value": 7}],
                      _schedule={"status": "review"})
    r = client.put(f"{base}/coupon/{coupon_id}", json=new)
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True, "message": "coupon SPRING7 updated", "_id": coupon_id}
    after = client.get(f"{base}/coupon/{coupon_id}").json()
    assert (after["code"], after["display_meta"], after["rule"]) == ("SPRING7", {"title": "Seven"},
                                                                     [{"key": 1, "value": 7}])
    assert after["_schedule"]["status"] == "review"
    assert after["date_meta"]["created_on"] == before["date_meta"]["created_on"]
    assert "max" not in after["rule"][0]  # replaced, not merged


def test_coupon_list_pages_newest_first(client, base):
    """Pages count from 0, newest first, and the page object says where the page is."""
    for code in ("PAGE1", "PAGE2", "PAGE3"):
        create_coupon(client, base, coupon_body(code))
    first = client.get(f"{base}/coupon?page_no=0&page_size=2").json()
    assert [c["code"] for c in first["items"]] == ["PAGE3", "PAGE2"]
    assert first["page"] == {"item_total": 8, "current": 0, "size": 2, "has_previous": False, "has_next": True,
                             "type": "number"}
    last = client.get(f"{base}/coupon?page_no=2&page_size=3").json()
    assert len(last["items"]) == 2
    assert (last["page"]["has_previous"], last["page"]["has_next"]) == (True, False)
    assert client.get(f"{base}/coupon?page_no=9&page_size=2").json()["items"] == []


def test_coupon_list_filters(client, base):
    """title (any case, part of it), code, status, type_slug, is_public and is_archived each narrow the list."""
    create_coupon(client, base, coupon_body("MONSOON", display_meta={"title": "Monsoon Madness"},
                                            type_slug="absolute",
                                            rule_definition={"type": "absolute", "applicable_on": "amount"},
                                            rule=[{"key": 1, "value": 50}]))
    create_coupon(client, base, coupon_body("HIDDEN", state={"is_public": False, "is_archived": False}))
    create_coupon(client, base, coupon_body("OLDIE", state={"is_archived": True}))
    assert codes(client.get(f"{base}/coupon?title=MADNESS")) == ["MONSOON"]
    assert codes(client.get(f"{base}/coupon?code=welcome10")) == ["WELCOME10"]
    assert set(codes(client.get(f"{base}/coupon?status=draft"))) == {"MONSOON", "HIDDEN"}
    assert set(codes(client.get(f"{base}/coupon?status=approved"))) >= DEFAULT_COUPONS
    assert set(codes(client.get(f"{base}/coupon?type_slug=absolute"))) == {"MONSOON", "FLAT150"}
    assert codes(client.get(f"{base}/coupon?is_public=false")) == ["HIDDEN"]
    assert "OLDIE" not in codes(client.get(f"{base}/coupon?page_size=50"))
    assert codes(client.get(f"{base}/coupon?is_archived=true")) == ["OLDIE"]
    assert_fynd_error(client.get(f"{base}/coupon?status=live"), 400, "status", "live")


def test_coupon_code_exists_tells_the_truth(client, base):
    """The count is 1 for a coupon's code (in any case), 0 for an unused one, and follows creation."""
    def count(code):
        r = client.get(f"{base}/coupon_code_exists?code={code}")
        assert r.status_code == 200, r.text
        return r.json()["count"]

    assert (count("WELCOME10"), count("welcome10"), count("NEWCODE")) == (1, 1, 0)
    create_coupon(client, base, coupon_body("NEWCODE"))
    assert count("NEWCODE") == 1
    assert_fynd_error(client.get(f"{base}/coupon_code_exists"), 400, "code")


def test_coupon_codes_are_unique_ignoring_case_but_archived_ones_free_theirs(client, base):
    """A second live coupon with a used code is 400 naming code; an archived one may reuse it."""
    assert_fynd_error(client.post(f"{base}/coupon", json=coupon_body("welcome10")), 400, "code", "welcome10")
    create_coupon(client, base, coupon_body("WELCOME10", state={"is_archived": True}))
    other = create_coupon(client, base, coupon_body("OTHER"))
    assert_fynd_error(client.put(f"{base}/coupon/{other}", json=coupon_body("Flat150")), 400, "code")


def test_only_a_draft_coupon_can_be_deleted(client, base):
    """Deleting an approved coupon is 400 naming its status; a draft is deleted, then 404."""
    approved = next(c for c in client.get(f"{base}/coupon").json()["items"] if c["code"] == "WELCOME10")
    assert_fynd_error(client.delete(f"{base}/coupon/{approved['_id']}"), 400, "approved", "draft")
    draft = create_coupon(client, base, coupon_body("GONE"))
    r = client.delete(f"{base}/coupon/{draft}")
    assert r.status_code == 200 and r.json()["success"] is True, r.text
    assert_fynd_error(client.get(f"{base}/coupon/{draft}"), 404, draft)
    assert_fynd_error(client.delete(f"{base}/coupon/{draft}"), 404, draft)


def test_unknown_coupon_id_is_404_everywhere(client, base):
    """Reading, updating and deleting an unknown coupon id are 404 in the Fynd shape, naming the id."""
    missing = "0" * 24
    assert_fynd_error(client.get(f"{base}/coupon/{missing}"), 404, missing)
    assert_fynd_error(client.put(f"{base}/coupon/{missing}", json=coupon_body("X1")), 404, missing)
    assert_fynd_error(client.delete(f"{base}/coupon/{missing}"), 404, missing)


def test_bad_paging_and_status_are_400(client, base):
    """page_size below 1, a negative page_no and an unknown status are refused by name."""
    assert_fynd_error(client.get(f"{base}/coupon?page_size=0"), 400, "page_size")
    assert_fynd_error(client.get(f"{base}/promotion?page_size=-3"), 400, "page_size")
    assert_fynd_error(client.get(f"{base}/coupon?page_no=-1"), 400, "page_no")
    bad = coupon_body("BADSTATUS", _schedule={"status": "live"})
    assert_fynd_error(client.post(f"{base}/coupon", json=bad), 400, "_schedule.status", "live")
    assert_fynd_error(client.get(f"{base}/coupon?review_start_time=yesterday"), 400, "review_start_time")


def test_unsupported_coupon_kind_is_refused_by_the_offer_rules(client, base):
    """A coupon whose rule_definition.type the sandbox cannot compute is 400 naming that field."""
    body = coupon_body("TELEPORT", rule_definition={"type": "teleport", "applicable_on": "amount"})
    assert_fynd_error(client.post(f"{base}/coupon", json=body), 400, "rule_definition.type")
    assert client.get(f"{base}/coupon_code_exists?code=TELEPORT").json()["count"] == 0


def test_scopes_are_isolated(client, base):
    """Offers made or changed in one application are not seen in another, which keeps its defaults."""
    other = base.replace("/application/", "/application/other-")
    coupon_id = create_coupon(client, base, coupon_body("MINE"))
    promotion_id = create_promotion(client, base, promotion_body("MINEPROMO"))
    assert client.get(f"{other}/coupon_code_exists?code=MINE").json()["count"] == 0
    assert_fynd_error(client.get(f"{other}/coupon/{coupon_id}"), 404)
    assert_fynd_error(client.get(f"{other}/promotion/{promotion_id}"), 404)
    welcome = next(c for c in client.get(f"{base}/coupon").json()["items"] if c["code"] == "WELCOME10")
    client.put(f"{base}/coupon/{welcome['_id']}", json={**welcome, "display_meta": {"title": "changed"}})
    theirs = client.get(f"{other}/coupon/{welcome['_id']}").json()
    assert theirs["display_meta"]["title"] != "changed"


# --------------------------------------------------------------------------- promotions over HTTP
def test_promotion_create_read_update(client, base):
    """A created promotion is 201 with the stored document; PUT replaces it and approving stamps approved_on."""
    r = client.post(f"{base}/promotion", json=promotion_body("FESTIVE"))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["code"] == "FESTIVE" and created["_schedule"]["status"] == "draft"
    assert client.get(f"{base}/promotion/{created['_id']}").json() == created
    r = client.put(f"{base}/promotion/{created['_id']}",
                   json=promotion_body("FESTIVE", apply_priority=2, _schedule={"status": "approved"}))
    assert r.status_code == 200, r.text
    updated = client.get(f"{base}/promotion/{created['_id']}").json()
    assert updated == r.json()
    assert (updated["apply_priority"], updated["_schedule"]["status"]) == (2, "approved")
    assert updated["date_meta"]["approved_on"]
    assert updated["date_meta"]["created_on"] == created["date_meta"]["created_on"]


def test_promotion_list_shows_live_ones_by_default(client, base):
    """is_active defaults to true: drafts and approved-but-not-yet-started promotions appear only with false."""
    draft = create_promotion(client, base, promotion_body("DRAFTY"))
    later = create_promotion(client, base, promotion_body(
        "LATER", _schedule={"status": "approved", "start": "2027-06-01T00:00:00Z"}))
    live = [p["_id"] for p in client.get(f"{base}/promotion").json()["items"]]
    assert len(live) == 3 and draft not in live and later not in live
    inactive = [p["_id"] for p in client.get(f"{base}/promotion?is_active=false").json()["items"]]
    assert inactive == [later, draft]


def test_promotion_list_filters(client, base):
    """q (name, offer text or code, any case), promotion_type, promotion_id and status narrow the list."""
    pid = create_promotion(client, base, promotion_body("DIWALI", display_meta={"name": "Festival of Lights",
                                                                               "offer_text": "Big savings"}))
    every = "is_active=false"
    assert codes(client.get(f"{base}/promotion?{every}&q=LIGHTS")) == ["DIWALI"]
    assert codes(client.get(f"{base}/promotion?{every}&q=savings")) == ["DIWALI"]
    assert codes(client.get(f"{base}/promotion?{every}&q=diwali")) == ["DIWALI"]
    assert codes(client.get(f"{base}/promotion?{every}&promotion_id={pid}")) == ["DIWALI"]
    assert codes(client.get(f"{base}/promotion?{every}&status=draft")) == ["DIWALI"]
    assert [p["promotion_type"] for p in client.get(f"{base}/promotion?promotion_type=bogo").json()["items"]] \
        == ["bogo"]
    page = client.get(f"{base}/promotion?page_size=2").json()["page"]
    assert (page["item_total"], page["has_next"]) == (3, True)


def test_promotion_code_exists_and_draft_only_delete(client, base):
    """Promotion codes are counted truthfully; only a draft promotion can be deleted."""
    live = client.get(f"{base}/promotion").json()["items"][0]
    assert client.get(f"{base}/promotion_code_exists?code={live['code'].lower()}").json() == \
        {"success": True, "count": 1}
    assert client.get(f"{base}/promotion_code_exists?code=NOSUCH").json()["count"] == 0
    assert_fynd_error(client.get(f"{base}/promotion_code_exists"), 400, "code")
    assert_fynd_error(client.delete(f"{base}/promotion/{live['_id']}"), 400, "approved")
    assert_fynd_error(client.post(f"{base}/promotion", json=promotion_body(live["code"])), 400, "code")
    draft = create_promotion(client, base, promotion_body("SHORTLIVED"))
    assert client.delete(f"{base}/promotion/{draft}").status_code == 200
    assert_fynd_error(client.get(f"{base}/promotion/{draft}"), 404, draft)
    assert client.get(f"{base}/promotion_code_exists?code=SHORTLIVED").json()["count"] == 0


def test_unsupported_promotion_type_is_refused(client, base):
    """A promotion of a type the sandbox cannot compute is 400 naming promotion_type."""
    body = promotion_body("ODD", promotion_type="mystery")
    body["discount_rules"][0]["discount_type"] = "mystery"
    assert_fynd_error(client.post(f"{base}/promotion", json=body), 400, "promotion_type")


def test_an_update_reads_the_offers_once(client, base, monkeypatch):
    """A coupon or promotion update reads its application's offers once: the lookup and the checks share the read."""
    from cartwright.sandbox.domain import state

    coupon_id = create_coupon(client, base, coupon_body("ONCE"))
    promotion_id = create_promotion(client, base, promotion_body("ONCEPROMO"))
    reads = []
    docs = state.Offers.docs

    async def counted(self, kind, scope):
        reads.append(kind)
        return await docs(self, kind, scope)
    monkeypatch.setattr(state.Offers, "docs", counted)
    assert client.put(f"{base}/coupon/{coupon_id}", json=coupon_body("ONCE2")).status_code == 200
    assert client.put(f"{base}/promotion/{promotion_id}", json=promotion_body("ONCEPROMO2")).status_code == 200
    assert reads == ["coupon", "promotion"]


def test_is_active_reads_the_promotions_kept_parsed(client, base, monkeypatch):
    """getPromotions?is_active filters on the offers the book keeps parsed: only a changed promotion is read again."""
    from cartwright.sandbox.domain.offer_book import PROMOTION

    read = PROMOTION.read
    parsed = []
    monkeypatch.setattr(PROMOTION, "read", lambda doc: parsed.append(doc.get("code")) or read(doc))
    assert len(codes(client.get(f"{base}/promotion?is_active=true"))) == 3   # a scope never seen: all read
    parsed.clear()
    assert codes(client.get(f"{base}/promotion?is_active=false")) == []
    assert len(codes(client.get(f"{base}/promotion?is_active=true"))) == 3
    assert parsed == []
    create_promotion(client, base, promotion_body("KEPT", _schedule={"status": "approved"}))
    parsed.clear()
    assert "KEPT" in codes(client.get(f"{base}/promotion?is_active=true"))
    assert parsed == ["KEPT"]


def test_empty_date_times_are_refused(client, base):
    """An empty date-time list filter is a 400 naming it, not an absent filter (an empty schedule bound: see
    test_book_refuses_a_schedule_it_cannot_read)."""
    assert_fynd_error(client.get(f"{base}/coupon?review_end_time="), 400, "review_end_time")
    assert_fynd_error(client.get(f"{base}/coupon?review_start_time="), 400, "review_start_time")


# --------------------------------------------------------------------------- promo-coupons config
def test_promo_coupon_config_lists_the_supported_kinds(client, base):
    """One entry per supported coupon and promotion type, filtered by entity_type and is_hidden."""
    body = client.get(f"{base}/promo-coupons").json()
    assert [(e["entity_type"], e["type"]) for e in body["items"]] == \
        [("coupon", t) for t in offer_rules.COUPON_TYPES] + [("promotion", t) for t in offer_rules.PROMOTION_TYPES]
    assert body["entity_type"] == "coupon" and body["type"] == offer_rules.COUPON_TYPES[0]
    promos = client.get(f"{base}/promo-coupons?entity_type=promotion").json()["items"]
    assert [e["type"] for e in promos] == list(offer_rules.PROMOTION_TYPES)
    assert all(e["title"] and e["entity_slug"].startswith("promotion-") for e in promos)
    assert client.get(f"{base}/promo-coupons?is_hidden=true").json() == {"items": []}
    assert_fynd_error(client.get(f"{base}/promo-coupons?entity_type=voucher"), 400, "voucher")


# --------------------------------------------------------------------------- OfferBook without HTTP
class Clock:
    def __init__(self, now="2026-11-22T10:00:00+00:00"):
        self.at = datetime.fromisoformat(now)

    def now(self):
        return self.at


SCOPE = ("1", "app")


class Book:
    """An ``OfferBook`` over a fresh in-memory state, its coroutines run to completion (for plain tests)."""

    def __init__(self, defaults):
        from cartwright.sandbox.domain.state import SandboxState
        from cartwright.sandbox.state import MemoryStorage

        self.book = OfferBook(SandboxState(MemoryStorage()), Clock(), Ids(0), defaults["coupons"],
                              defaults["promotions"])
        self.clock = self.book.clock

    def __getattr__(self, name):
        method = getattr(self.book, name)
        if name.startswith(("create_", "update_")):   # a document, as a request body would give it
            read = inputs.coupon if name.endswith("coupon") else inputs.promotion
            return lambda *args: asyncio.run(method(*args[:-1], read(args[-1])))
        return lambda *args, **kwargs: asyncio.run(method(*args, **kwargs))

    def coupon_by_code(self, scope, code):
        return next(d for d in self.coupons(scope) if d["code"].casefold() == code.casefold())


@pytest.fixture
def book():
    return Book(json.loads(OFFERS_FILE.read_text(encoding="utf-8")))


def test_book_defaults_are_deep_copies_per_scope():
    """Changing a default list, a document read by id or another scope leaves a scope's offers as they were."""
    defaults = json.loads(OFFERS_FILE.read_text(encoding="utf-8"))
    book = Book(defaults)
    defaults["coupons"][0]["code"] = "MUTATED"
    first = book.coupons(SCOPE)
    book.coupon(SCOPE, first[0]["_id"])["code"] = "ALSO-MUTATED"
    book.update_coupon(("1", "other"), first[0]["_id"], coupon_body("ELSEWHERE"))
    assert {c["code"] for c in book.coupons(SCOPE)} >= DEFAULT_COUPONS


def test_book_update_keeps_created_on_and_stamps_status_changes(book):
    """Updates move modified_on with the clock, keep created_on, and stamp approved_on on approval."""
    coupon_id = book.create_coupon(SCOPE, coupon_body("TICK"))
    book.clock.at += timedelta(hours=1)
    doc = book.update_coupon(SCOPE, coupon_id, coupon_body("TICK", _schedule={"status": "approved"}))
    assert doc["date_meta"]["created_on"] == "2026-11-22T10:00:00Z"
    assert doc["date_meta"]["modified_on"] == doc["date_meta"]["approved_on"] == "2026-11-22T11:00:00Z"
    book.clock.at += timedelta(hours=1)
    again = book.update_coupon(SCOPE, coupon_id, coupon_body("TICK", _schedule={"status": "approved"}))
    assert again["date_meta"]["approved_on"] == "2026-11-22T11:00:00Z"  # kept, and not re-stamped
    assert again["date_meta"]["modified_on"] == "2026-11-22T12:00:00Z"


def test_book_refusals_carry_the_field(book):
    """Unknown ids, non-drafts, bad status, backwards schedules and duplicate codes name their field."""
    with pytest.raises(NotFound) as e:
        book.coupon(SCOPE, "nope")
    assert (e.value.field, e.value.value) == ("id", "nope")
    welcome = book.coupon_by_code(SCOPE, "welcome10")
    with pytest.raises(Refused) as e:
        book.delete_coupon(SCOPE, welcome["_id"])
    assert e.value.field == "_schedule.status" and "approved" in e.value.message
    with pytest.raises(InvalidValue) as e:
        book.create_promotion(SCOPE, promotion_body("P", _schedule={"status": "published"}))
    assert e.value.field == "_schedule.status"
    with pytest.raises(InvalidValue) as e:
        book.create_coupon(SCOPE, coupon_body("BACKWARDS", _schedule={"start": "2027-01-01T00:00:00Z",
                                                                      "end": "2026-01-01T00:00:00Z"}))
    assert e.value.field == "_schedule.end"
    with pytest.raises(InvalidValue) as e:
        book.create_coupon(SCOPE, coupon_body("Welcome10"))
    assert e.value.field == "code"
    with pytest.raises(InvalidValue) as e:
        book.list_promotions(SCOPE, page_size=0)
    assert e.value.field == "page_size"


def test_book_refuses_a_body_for_its_first_fault_in_one_order(book):
    """Unknown id, then the offer rules in their order (kind before schedule), then status, then code."""
    def field(create, *args):
        with pytest.raises((InvalidValue, NotFound)) as e:
            create(SCOPE, *args)
        return e.value.field

    faulty = coupon_body("Welcome10", rule_definition={"type": "teleport"}, _schedule={"start": "soon",
                                                                                          "status": "live"})
    assert field(book.update_coupon, "0" * 24, faulty) == "id"
    assert field(book.create_coupon, faulty) == "rule_definition.type"
    assert field(book.create_coupon, coupon_body("Welcome10", _schedule={"start": "soon", "status": "live"})) \
        == "_schedule.start"
    assert field(book.create_coupon, coupon_body("Welcome10", _schedule={"status": "live"})) == "_schedule.status"
    assert field(book.create_coupon, coupon_body("Welcome10")) == "code"
    assert field(book.create_promotion, promotion_body("P", promotion_type="mystery", _schedule={"end": "x"})) \
        == "promotion_type"


def test_book_refuses_a_schedule_it_cannot_read(book):
    """A _schedule that is not an object, or a bound that is empty or not a date-time, is refused naming it."""
    for schedule, named in (("soon", "_schedule"), ([1], "_schedule"), ({"start": ""}, "_schedule.start"),
                            ({"end": ""}, "_schedule.end"), ({"end": "2027-13-01"}, "_schedule.end")):
        for create, body in ((book.create_coupon, coupon_body("S", _schedule=schedule)),
                             (book.create_promotion, promotion_body("S", _schedule=schedule))):
            with pytest.raises(InvalidValue) as e:
                create(SCOPE, body)
            assert e.value.field == named, (schedule, e.value)
    assert book.coupon_code_count(SCOPE, "S") == book.promotion_code_count(SCOPE, "S") == 0


def test_book_update_may_keep_its_own_code(book):
    """Updating a coupon with its own code is not a duplicate; a code updated away is free again."""
    coupon_id = book.create_coupon(SCOPE, coupon_body("KEEP"))
    book.update_coupon(SCOPE, coupon_id, coupon_body("keep"))
    book.update_coupon(SCOPE, coupon_id, coupon_body("MOVED"))
    assert (book.coupon_code_count(SCOPE, "KEEP"), book.coupon_code_count(SCOPE, "moved")) == (0, 1)


def test_book_schedule_range_filters(book):
    """approved_/review_ start and end times keep offers in that status whose schedule lies inside the range."""
    def at(text):
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)

    book.create_coupon(SCOPE, coupon_body("JUNE", _schedule={"status": "approved", "start": "2027-06-01T00:00:00Z",
                                                             "end": "2027-06-30T00:00:00Z"}))
    book.create_coupon(SCOPE, coupon_body("REVIEWED", _schedule={"status": "review",
                                                                 "start": "2027-06-02T00:00:00Z"}))
    docs, total = book.list_coupons(SCOPE, approved_start_time=at("2027-05-01"), approved_end_time=at("2027-07-01"))
    assert [d["code"] for d in docs] == ["JUNE"] and total == 1
    docs, _ = book.list_coupons(SCOPE, approved_start_time=at("2025-01-01"))
    assert {d["code"] for d in docs} == DEFAULT_COUPONS | {"JUNE", next(
        c["code"] for c in book.coupons(SCOPE) if c.get("identifiers", {}).get("brand_id"))}
    docs, _ = book.list_coupons(SCOPE, review_start_time=at("2027-06-01"))
    assert [d["code"] for d in docs] == ["REVIEWED"]
    docs, _ = book.list_coupons(SCOPE, review_start_time=at("2027-06-01"), review_end_time=at("2027-07-01"))
    assert docs == []  # its schedule has no end, so it does not lie inside the range


def test_is_live_follows_status_and_window():
    """An offer is live only when approved, not unpublished, and the moment is inside its start..end."""
    def live(schedule: dict, now: datetime) -> bool:
        doc = {"promotion_type": "percentage", "discount_rules": [{"offer": {"discount_percentage": 10}}],
               "_schedule": schedule}
        return offer_rules.promotion_from_doc(doc).live_at(now)

    window = {"status": "approved", "start": "2026-01-01T00:00:00Z", "end": "2026-12-31T00:00:00Z"}
    inside = datetime(2026, 6, 1, tzinfo=timezone.utc)
    assert live(window, inside)
    assert not live(window, datetime(2027, 1, 1, tzinfo=timezone.utc))
    assert not live({**window, "status": "paused"}, inside)
    assert not live({**window, "published": False}, inside)
    assert live({"status": "approved"}, inside)
    assert not live({}, inside)


# --------------------------------------------------------------------------- the seeded offers
@pytest.fixture(scope="module")
def default_catalog():
    return json.loads(CATALOG_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seeded(default_catalog):
    return generate_offers(default_catalog, DEFAULT_SEED)


def test_offers_fixture_matches_the_generator():
    """fixtures/offers.json is exactly the generator's output for the default catalog and seed."""
    expected = dump_offers(generate_offers(generate_catalog(DEFAULT_SEED, DEFAULT_SIZE), DEFAULT_SEED))
    assert OFFERS_FILE.exists(), "fixtures/offers.json is missing: run `make catalog`"
    assert OFFERS_FILE.read_text(encoding="utf-8") == expected, \
        "fixtures/offers.json is out of date with sandbox/fixturegen/offers.py: run `make catalog`"


def test_check_command_fails_on_stale_offers(tmp_path):
    """`--check` also compares the offers file and exits 1 when it differs."""
    catalog, offers = tmp_path / "catalog.json", tmp_path / "offers.json"
    catalog.write_bytes(CATALOG_FILE.read_bytes())
    offers.write_text("{}\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "cartwright.sandbox.fixturegen", "--check", "--out", str(catalog),
                             "--offers-out", str(offers)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "offers.json: differs" in result.stderr, result.stderr


def test_seeded_offers_follow_the_conventions(seeded):
    """Every seeded offer is approved over 2026–2030, has a unique 24-hex id and an upper-case code, and computes."""
    docs = seeded["coupons"] + seeded["promotions"]
    assert len({d["_id"] for d in docs}) == len(docs) == 8
    for d in docs:
        assert re.fullmatch(r"[0-9a-f]{24}", d["_id"]) and d["code"] == d["code"].upper()
        assert d["_schedule"] == {"start": SCHEDULE_START, "end": SCHEDULE_END, "status": "approved"}
    for c in seeded["coupons"]:
        offer_rules.validate_coupon(c)
    for p in seeded["promotions"]:
        offer_rules.validate_promotion(p)
    by_code = {c["code"]: c for c in seeded["coupons"]}
    assert by_code["WELCOME10"]["rule"] == [{"key": 1, "value": 10, "max": 200}]
    assert by_code["WELCOME10"]["restrictions"]["price_range"]["min"] == 499
    assert (by_code["FLAT150"]["rule_definition"]["type"], by_code["FLAT150"]["rule"]) == (
        "absolute", [{"key": 1, "value": 150}])
    assert by_code["FREESHIP"]["rule_definition"]["type"] == "shipping_price"
    assert [c["code"] for c in seeded["coupons"] if c["rule_definition"]["auto_apply"]] == ["BIGCART5"]
    assert by_code["BIGCART5"]["restrictions"]["price_range"]["min"] == 4999


def test_seeded_targets_have_stock(seeded, default_catalog):
    """The brand, category and item the seeded offers target all have stock; the bundle price undercuts 2 units."""
    products = {p["uid"]: p for p in default_catalog["products"]}
    stocked = [a for a in default_catalog["articles"] if a["stock"] > 0]
    demo = max(default_catalog["articles"], key=lambda a: a["stock"])
    percentage, bogo, bundle = seeded["promotions"]
    assert percentage["buy_rules"] == {"item_brand": [products[demo["item_id"]]["brand_uid"]]}
    [category] = bogo["discount_rules"][0]["item_criteria"]["item_category"]
    assert sum(a["stock"] for a in stocked if category in products[a["item_id"]]["category_uids"]) >= 3
    [item] = bundle["discount_rules"][0]["item_criteria"]["item_id"]
    cheapest = min(a["effective"] for a in stocked if a["item_id"] == item and a["stock"] >= 2)
    price = bundle["discount_rules"][0]["offer"]["discount_price"]
    assert 0 < price < 2 * cheapest and price % 10 == 0
    brand_coupon = next(c for c in seeded["coupons"] if c.get("identifiers", {}).get("brand_id"))
    [brand] = brand_coupon["identifiers"]["brand_id"]
    assert any(products[a["item_id"]]["brand_uid"] == brand for a in stocked)


def test_seeded_offers_depend_only_on_catalog_and_seed(default_catalog):
    """Same catalog and seed: the same text; another seed: other ids, same offers otherwise."""
    a = generate_offers(copy.deepcopy(default_catalog), 1)
    assert dump_offers(a) == dump_offers(generate_offers(copy.deepcopy(default_catalog), 1))
    b = generate_offers(default_catalog, 2)
    strip = [{k: v for k, v in d.items() if k != "_id"} for d in a["coupons"] + a["promotions"]]
    assert strip == [{k: v for k, v in d.items() if k != "_id"} for d in b["coupons"] + b["promotions"]]
    assert a["coupons"][0]["_id"] != b["coupons"][0]["_id"]


def test_withdrawn_offers_are_not_live():
    """An archived coupon or an unpublished promotion is not live even when approved and in its window."""
    inside = datetime(2026, 6, 1, tzinfo=timezone.utc)
    approved = {"status": "approved", "start": "2026-01-01T00:00:00Z"}
    coupon = {"code": "C", "rule_definition": {"type": "percentage"}, "rule": [{"key": 1, "value": 10}]}
    promotion = {"promotion_type": "percentage", "discount_rules": [{"offer": {"discount_percentage": 10}}]}
    assert not offer_rules.coupon_from_doc({**coupon, "_schedule": approved, "state": {"is_archived": True}}
                                           ).live_at(inside)
    assert offer_rules.coupon_from_doc({**coupon, "_schedule": approved, "state": {"is_archived": False}}
                                       ).live_at(inside)
    assert not offer_rules.promotion_from_doc({**promotion, "_schedule": {**approved, "published": False}}
                                              ).live_at(inside)
    assert offer_rules.promotion_from_doc({**promotion, "_schedule": {**approved, "published": True}}
                                          ).live_at(inside)
