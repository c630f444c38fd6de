"""Leaving no mess: what a run changed in its application, put back where the API allows it.

Before a run that may write application-wide settings (in process, or ``--allow-writes``), ``snapshot`` reads
them through the API: the cart configuration, every coupon (archived or not) and every promotion (live or
not). ``restore`` compares them with the snapshot and puts each difference back:

- a coupon or promotion the run created is moved to draft and deleted (only drafts can be deleted); one
  that cannot be is archived (coupon) or unpublished and paused (promotion) and listed;
- one the run changed gets its old document back (``PUT`` replaces the whole document); the dates the server
  stamps on a write (``date_meta.modified_on``, and ``approved_on``/``rejected_on`` when the status moves back)
  then record the restore: they are not compared, and not listed;
- one the run deleted is created again from its old document (under a new id, listed);
- the cart configuration gets its old document back; when the application had none, the API has no delete,
  so the one the run created is switched off (``{"enabled": false}``, which acts like none) and listed.

``archive_carts`` and ``delete_addresses`` remove the carts and addresses generated requests created.
Everything that could not be undone comes back as a list of sentences (the report's "Left behind").
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ._flows import CONFIG_FIELDS

PAGE = 50
MAX_PAGES = 40  # 2,000 documents: more is not an application a conformance run should be rewriting


@dataclass
class AppState:
    """The application-wide documents, by id, as the API answered them."""

    config: dict | None = None  # None: GET cart_configuration answered 404 (no configuration)
    coupons: dict[str, dict] = field(default_factory=dict)
    promotions: dict[str, dict] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # what could not be read (nothing is restored from it)


def _pages(client: Any, url: str, what: str, problems: list[str]) -> dict[str, dict] | None:
    docs: dict[str, dict] = {}
    for page in range(MAX_PAGES):
        r = client.request("GET", f"{url}&page_no={page}&page_size={PAGE}")
        if r.status_code != 200:
            problems.append(f"{what}: could not be listed (HTTP {r.status_code})")
            return None
        body = r.json()
        for doc in body.get("items") or []:
            if isinstance(doc, dict) and isinstance(doc.get("_id"), str):
                docs[doc["_id"]] = doc
        if not (body.get("page") or {}).get("has_next"):
            return docs
    problems.append(f"{what}: more than {MAX_PAGES * PAGE}; not restored")
    return None


def snapshot(client: Any, base: str) -> AppState:
    """The application's cart configuration, coupons and promotions (``client`` is httpx-like)."""
    state = AppState()
    r = client.request("GET", f"{base}/cart_configuration")
    if r.status_code == 200:
        state.config = r.json()
    elif r.status_code != 404:
        state.problems.append(f"cart configuration: could not be read (HTTP {r.status_code})")
    for flag, what in (("false", "coupons"), ("true", "archived coupons")):
        docs = _pages(client, f"{base}/coupon?is_archived={flag}", what, state.problems)
        state.coupons.update(docs or {})
    for flag, what in (("true", "live promotions"), ("false", "other promotions")):
        docs = _pages(client, f"{base}/promotion?is_active={flag}", what, state.problems)
        state.promotions.update(docs or {})
    return state


STAMPS = ("modified_on", "approved_on", "rejected_on")  # `date_meta` dates the server sets on a write


def _comparable(doc: dict) -> dict:
    """A document without the dates the server stamps when it is written (``date_meta`` ``STAMPS``: writing the
    old document back stamps them anew)."""
    doc = copy.deepcopy(doc)
    if isinstance(doc.get("date_meta"), dict):
        for stamp in STAMPS:
            doc["date_meta"].pop(stamp, None)
    return doc


def _body(doc: dict) -> dict:
    """A stored document as a create or update body (the id is the URL's)."""
    return {k: v for k, v in doc.items() if k != "_id"}


def _config_doc(doc: dict | None) -> dict | None:
    return None if doc is None else {k: doc[k] for k in CONFIG_FIELDS if k in doc}


def differences(before: AppState, after: AppState) -> list[str]:
    """What differs between two snapshots, one sentence each (empty: the same)."""
    out = []
    if _config_doc(before.config) != _config_doc(after.config):
        out.append(f"cart configuration: {_config_doc(before.config)} -> {_config_doc(after.config)}")
    for kind, old, new in (("coupon", before.coupons, after.coupons), ("promotion", before.promotions,
                                                                        after.promotions)):
        for i in sorted(new.keys() - old.keys()):
            out.append(f"{kind} {new[i].get('code')!r} ({i}) was created")
        for i in sorted(old.keys() - new.keys()):
            out.append(f"{kind} {old[i].get('code')!r} ({i}) was deleted")
        for i in sorted(old.keys() & new.keys()):
            if _comparable(old[i]) != _comparable(new[i]):
                out.append(f"{kind} {old[i].get('code')!r} ({i}) was changed")
    return out


def _offers(client: Any, base: str, kind: str, old: dict[str, dict], new: dict[str, dict]) -> list[str]:
    left: list[str] = []
    for i in sorted(new.keys() - old.keys()):  # created by the run: to draft, then delete
        doc, code = new[i], new[i].get("code")
        draft = {**_body(doc), "_schedule": {**(doc.get("_schedule") or {}), "status": "draft"}}
        client.request("PUT", f"{base}/{kind}/{i}", json=draft)
        r = client.request("DELETE", f"{base}/{kind}/{i}")
        if 200 <= r.status_code < 300:
            continue
        if kind == "coupon":
            off = {**draft, "state": {**(doc.get("state") or {}), "is_archived": True}}
        else:
            off = {**draft, "_schedule": {**draft["_schedule"], "status": "paused", "published": False}}
        client.request("PUT", f"{base}/{kind}/{i}", json=off)
        left.append(f"{kind} {code!r} ({i}) created by the run could not be deleted (HTTP {r.status_code}): "
                    f"left {'archived' if kind == 'coupon' else 'paused and unpublished'}")
    for i in sorted(old.keys() - new.keys()):  # deleted by the run: create it again
        r = client.request("POST", f"{base}/{kind}", json=_body(old[i]))
        made = r.json().get("_id") if 200 <= r.status_code < 300 and isinstance(r.json(), dict) else None
        left.append(f"{kind} {old[i].get('code')!r} ({i}) was deleted by the run; "
                    + (f"created again as {made}" if made else f"creating it again failed (HTTP {r.status_code})"
                       if not 200 <= r.status_code < 300 else "created again (under a new id)"))
    for i in sorted(old.keys() & new.keys()):  # changed by the run: its old document back
        if _comparable(old[i]) == _comparable(new[i]):
            continue
        r = client.request("PUT", f"{base}/{kind}/{i}", json=_body(old[i]))
        if not 200 <= r.status_code < 300:
            left.append(f"{kind} {old[i].get('code')!r} ({i}) was changed by the run and could not be put back "
                        f"(HTTP {r.status_code})")
    return left


def restore(client: Any, base: str, before: AppState) -> list[str]:
    """Put the application's configuration, coupons and promotions back as ``before`` had them; returns what
    could not be undone (empty: the API now answers as before, ``modified_on`` aside)."""
    after = snapshot(client, base)
    left = [f"not restored: {p}" for p in before.problems + after.problems]
    if not (before.problems or after.problems):
        left += _offers(client, base, "coupon", before.coupons, after.coupons)
        left += _offers(client, base, "promotion", before.promotions, after.promotions)
    old, new = _config_doc(before.config), _config_doc(after.config)
    config_id = (after.config or {}).get("_id")
    if old != new and config_id:
        r = client.request("PUT", f"{base}/cart_configuration/{config_id}", json=old if old is not None else
                           {"enabled": False})
        if not 200 <= r.status_code < 300:
            left.append(f"cart configuration {config_id} was changed by the run and could not be put back "
                        f"(HTTP {r.status_code})")
    if before.config is None and after.config is not None:
        left.append(f"cart configuration {config_id}: the application had none; the run created one and the API "
                    f"cannot delete it, so it is left switched off ({{\"enabled\": false}}, which acts like none)")
    return left


def archive_carts(client: Any, base: str, cart_ids: Iterable[str], keep: set[str]) -> list[str]:
    """Archive ``cart_ids`` (carts generated requests created) except those in ``keep`` (open before the run)."""
    left, failed = [], []
    for cart_id in sorted(set(cart_ids) - keep):
        r = client.request("PUT", f"{base}/cart_archive?id={cart_id}", json={"cart_id_list": [cart_id]})
        if not (200 <= r.status_code < 300 or r.status_code == 404):  # 404: already gone
            failed.append(f"{cart_id} (HTTP {r.status_code})")
    if failed:
        left.append(f"{len(failed)} cart(s) created by generated requests could not be archived: "
                    + ", ".join(failed[:10]) + (" ..." if len(failed) > 10 else ""))
    return left


def delete_addresses(client: Any, base: str, address_ids: Iterable[str]) -> list[str]:
    """Delete the addresses generated requests saved."""
    failed = []
    for address_id in sorted(set(address_ids)):
        r = client.request("DELETE", f"{base}/address/{address_id}")
        if not (200 <= r.status_code < 300 or r.status_code == 404):
            failed.append(f"{address_id} (HTTP {r.status_code})")
    return [f"{len(failed)} address(es) saved by generated requests could not be deleted: " + ", ".join(failed)] \
        if failed else []


def open_carts(client: Any, base: str) -> set[str] | None:
    """The ids of the application's open carts (``getCartList``); None when they cannot be listed."""
    r = client.request("GET", f"{base}/cart-list")
    if r.status_code != 200:
        return None
    return {c["cart_id"] for c in r.json().get("data") or [] if isinstance(c, dict) and c.get("cart_id")}

