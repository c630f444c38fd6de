"""The kit's ``flows`` phase: the multi-call cart invariants (``FLOW_CHECKS``) and every operation's success path,
on resources the kit makes itself from known-good values, cleaned up at the end.

Schemathesis's phases rarely reach an operation's success path (ids and item ids are opaque to a generator),
so the flows build real resources from known-good values (in process from the sandbox's admin catalog; against
a deployment from ``--cart-item``, ``--coupon`` and ``--area-code``) and call each operation once the way a
client does. Groups, in order:

1. **cart** (a cart of the first item, 2 units): ``check_item_count``, ``check_count_follows_changes`` (the count
   after each add, update and remove), ``check_coupon_round_trip`` (the first coupon that applies),
   ``check_add_remove_round_trip``, ``check_persisted``; the reads that take a cart (validate, serviceability,
   coupons for the cart, payment offers, shipments, a store's address, ...); a price adjustment added, read,
   changed and deleted (``check_adjustment_deleted``); cart meta; a share link read and merged into a second
   cart, which is also changed as an abandoned cart and given to another user; ``check_deleted_is_gone``.
2. **journey** (needs a PIN code: ``--area-code``): an address saved, listed, read, updated and selected,
   shipments read and updated, payment modes (v1, v2); then, only with ``orders`` (``--allow-orders`` against a
   deployment: it places real orders), ``check_checkout`` and the two other checkouts (open-API v1, override);
   the address deleted (``check_address_deleted``).
3. **offers** (only with ``app_writes``: ``--allow-writes`` against a deployment): a draft coupon and a draft
   promotion created, read, updated, their codes checked, deleted (``check_coupon_deleted``,
   ``check_promotion_deleted``); the cart configuration written back as it is (created disabled when there is
   none).

Every answer is held to the spec (Schemathesis's response checks for its operation), every 2xx answer to the
per-response invariants and the fields ``DOCUMENTED_FIELDS`` lists, and a known-good request that is refused is a
``success_path`` failure. Every failure comes back with the curl lines of the requests its check sent. What the
flows create is deleted again; what cannot be (orders, a closed cart the API will not archive, a cart
configuration) is returned as ``leftovers``.
"""

from __future__ import annotations

import json
import shlex
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._checks import (
    RESPONSE_PROBLEMS,
    FlowFailure,
    check_add_remove_round_trip,
    check_address_deleted,
    check_adjustment_deleted,
    check_checkout,
    check_count_follows_changes,
    check_coupon_deleted,
    check_coupon_round_trip,
    check_deleted_is_gone,
    check_item_count,
    check_persisted,
    check_promotion_deleted,
    documented_field_problems,
)

CART_BASE = "/service/platform/cart/v1.0/company/{company_id}/application/{application_id}"
FLOW_USER = "cartwright-conformance"
CONFIG_FIELDS = ("min_cart_value", "max_cart_value", "bulk_coupons", "max_cart_items", "gift_display_text",
                 "delivery_charges", "revenue_engine_coupon", "gift_pricing", "enabled")

# The operation a flow check's failure names, as the operationId the report files it under (longest prefix).
OPERATION_IDS = {
    "GET detail": "getCart", "POST detail": "platformAddItems", "PUT detail": "platformUpdateCart",
    "GET basic": "getItemCount", "POST platform-pos-coupon": "applyCoupon", "DELETE platform-pos-coupon": "removeCoupon",
    "PUT cart_archive": "deleteCart", "DELETE address": "removeAddress", "GET address": "getAddressById",
    "DELETE coupon": "deleteCoupon", "DELETE promotion": "deletePromotion",
    "DELETE price-adjustment": "removePriceAdjustment", "GET price-adjustment": "getPriceAdjustments",
    "POST checkout": "platformCheckoutCartV2", "POST select-address": "selectAddress", "PUT payment": "selectPaymentModeV2",
}
# Schemathesis's response failures, by the check that reports each (the flows call them directly).
FAILURE_CHECKS = {"JsonSchemaError": "response_schema_conformance", "UndefinedStatusCode": "status_code_conformance",
                  "UndefinedContentType": "content_type_conformance", "MalformedMediaType": "content_type_conformance",
                  "MissingHeaders": "response_headers_conformance", "MissingContentType": "content_type_conformance"}


def operation_id_of(flow_operation: str) -> str:
    matches = [k for k in OPERATION_IDS if flow_operation == k or flow_operation.startswith(k + " ")]
    return OPERATION_IDS[max(matches, key=len)] if matches else "platformAddItems"


@dataclass(frozen=True)
class FlowFinding:
    failure: FlowFailure
    curl: str  # the check's requests, one curl line each
    operation_id: str = ""  # where the report files it (from ``failure.operation`` when empty)

    @property
    def filed_under(self) -> str:
        return self.operation_id or operation_id_of(self.failure.operation)


@dataclass
class FlowsOutcome:
    """What the flows found, what they could not run, what they could not undo, and per operation why no
    request of it can succeed here (so a missing 2xx is not a failure)."""

    findings: list[FlowFinding] = field(default_factory=list)
    not_run: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    leftovers: list[str] = field(default_factory=list)
    explained: dict[str, str] = field(default_factory=dict)
    asked_but_not_run: list[str] = field(default_factory=list)  # things the options asked for that could not run


class FlowClient:
    """An httpx-like client for the kit's own requests. It remembers the requests sent since ``mark()`` as curl
    lines, counts answers per operation (``statuses``), holds every answer to the spec (Schemathesis's response
    checks for its operation, when ``schema`` is given) and every 2xx JSON answer to the per-response invariants
    and the documented fields (``problems``)."""

    def __init__(self, client: Any, curl_base: str, headers: dict[str, str], schema: Any = None):
        self.client, self.curl_base, self.headers, self.schema = client, curl_base.rstrip("/"), headers, schema
        self.sent: list[str] = []
        self.problems: list[FlowFinding] = []
        self.statuses: dict[str, Counter] = {}
        self.requests = 0
        self._operations: dict[tuple[str, str], Any] = {}

    def mark(self) -> None:
        self.sent = []

    def _operation(self, method: str, path: str) -> Any:
        key = (method, path)
        if key not in self._operations:
            found = None
            if self.schema is not None:
                try:
                    found = self.schema.find_operation_by_path(method, path)
                except Exception:  # noqa: BLE001 - an unroutable path is simply not validated
                    found = None
            self._operations[key] = found
        return self._operations[key]

    def curl(self, method: str, url: str, **kwargs: Any) -> str:
        parts = ["curl", "-X", method]
        for name in self.headers:
            parts += ["-H", f"{name}: [Filtered]" if name.lower() == "authorization" else f"{name}: {self.headers[name]}"]
        if "json" in kwargs:
            parts += ["-H", "Content-Type: application/json", "-d", json.dumps(kwargs["json"])]
        return " ".join(shlex.quote(p) for p in parts) + " " + shlex.quote(self.curl_base + url)

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        curl = self.curl(method, url, **kwargs)
        self.sent.append(curl)
        self.requests += 1
        response = self.client.request(method, url, **kwargs)
        path, _, query_text = url.partition("?")
        operation = self._operation(method, path)
        operation_id = operation.definition.raw.get("operationId", "") if operation is not None else ""
        if operation_id:
            self.statuses.setdefault(operation_id, Counter())[response.status_code] += 1
            self._validate(operation, operation_id, response, curl)
        if 200 <= response.status_code < 300:
            try:
                body = response.json()
            except ValueError:
                body = None
            label = f"{method} {path.rstrip('/').rsplit('/', 1)[-1]}"
            if body is not None:
                for name, finder in RESPONSE_PROBLEMS.items():  # the per-response invariants, on every answer
                    for message in finder(body):
                        self.problems.append(FlowFinding(FlowFailure(name, label, message), curl, operation_id))
                query = dict(p.partition("=")[::2] for p in query_text.split("&") if p)
                for message in documented_field_problems(operation_id, body, query):
                    self.problems.append(FlowFinding(FlowFailure("documented_fields_present", label, message), curl,
                                                     operation_id))
        return response

    def _validate(self, operation: Any, operation_id: str, response: Any, curl: str) -> None:
        try:
            operation.validate_response(response)
        except Exception as exc:  # noqa: BLE001 - a FailureGroup, or one failure
            for failure in getattr(exc, "exceptions", None) or [exc]:
                check = FAILURE_CHECKS.get(type(failure).__name__, "response_conformance")
                message = (getattr(failure, "message", None) or str(failure)).strip()
                self.problems.append(FlowFinding(FlowFailure(check, f"{operation.method.upper()} {operation.path}",
                                                             message, {"status": response.status_code}), curl,
                                                 operation_id))


# --------------------------------------------------------------------------- known-good values
def catalog_items(client: Any, limit: int = 12, min_stock: int = 4) -> list[dict]:
    """Up to ``limit`` add-to-cart items, each an in-stock size of a different product, from the sandbox's
    admin catalog (``GET /_cartwright/catalog``); empty when the target has none."""
    r = client.request("GET", "/_cartwright/catalog")
    items: list[dict] = []
    if r.status_code != 200:
        return items
    for p in r.json().get("products", []):
        size = next((s["size"] for s in p["sizes"] if any(a["stock"] >= min_stock for a in s["articles"])), None)
        if size is not None:
            items.append({"item_id": p["item_id"], "item_size": size})
        if len(items) == limit:
            break
    return items


def catalog_pincode(client: Any) -> str | None:
    """A PIN code the sandbox serves, with cash on delivery, from its admin catalog; None elsewhere."""
    r = client.request("GET", "/_cartwright/catalog")
    if r.status_code != 200:
        return None
    pins = [p for p in r.json().get("pincodes", []) if p.get("serviceable")]
    pins.sort(key=lambda p: not p.get("cod"))
    return pins[0]["pincode"] if pins else None


def admin_stock(client: Any, company_id: str | None) -> Callable[[list[str]], dict[str, int] | None]:
    """A stock reader over the sandbox's admin catalog: article id → units the company can still sell (None when
    the target has no admin catalog: the documents give no way to read stock)."""
    query = f"?company_id={company_id}" if company_id else ""

    def read(article_ids: list[str]) -> dict[str, int] | None:
        r = client.request("GET", f"/_cartwright/catalog{query}")
        if r.status_code != 200:
            return None
        stock = {a["article_id"]: a["stock"] for p in r.json().get("products", []) for s in p["sizes"]
                 for a in s["articles"]}
        return {a: stock[a] for a in article_ids if a in stock}
    return read


def coupon_codes(client: Any, base: str) -> list[str]:
    """The coupon codes ``getCoupons`` lists (its first page of 50)."""
    r = client.request("GET", f"{base}/coupon?page_size=50")
    if r.status_code != 200:
        return []
    return [i["code"] for i in r.json().get("items", []) if isinstance(i.get("code"), str)]


def parse_cart_item(text: str) -> dict:
    """``ITEM_ID:SIZE[:STORE_ID]`` as an add-to-cart item."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0].strip().isdigit() or not parts[1].strip():
        raise ValueError(f"--cart-item must look like ITEM_ID:SIZE[:STORE_ID], got {text!r}")
    item: dict[str, Any] = {"item_id": int(parts[0]), "item_size": parts[1].strip()}
    if len(parts) == 3:
        if not parts[2].strip().isdigit():
            raise ValueError(f"--cart-item store id must be a number, got {parts[2]!r}")
        item["store_id"] = int(parts[2])
    return item


def find_coupon(client: Any, base: str, cart_id: str, codes: list[str]) -> str | None:
    """The first code that applies to the cart (it is removed again), or None."""
    for code in codes:
        r = client.request("POST", f"{base}/platform-pos-coupon?id={cart_id}", json={"coupon_code": code})
        if 200 <= r.status_code < 300:
            client.request("DELETE", f"{base}/platform-pos-coupon?uid={cart_id}")
            return code
    return None


def draft_code(seed: str) -> str:
    """The code of the flows' draft coupon and promotion: letters and digits from ``seed`` (the target and the
    run's seed: the same seed sends the same requests, another run does not meet a draft a crashed one left)."""
    return "CWK" + format(zlib.crc32(seed.encode()) & 0xFFFFFF, "06X")


def draft_coupon(code: str) -> dict:
    """A coupon in draft (it never acts on a cart): 5% off, at most ₹100."""
    return {"code": code, "type_slug": "percentage", "coupon_type": "single", "coupon_counts": 1,
            "_schedule": {"status": "draft", "start": "2026-01-01T00:00:00Z", "end": "2030-12-31T23:59:59Z"},
            "rule_definition": {"type": "percentage", "applicable_on": "amount", "calculate_on": "esp",
                                "currency_code": "INR", "auto_apply": False, "is_exact": False},
            "rule": [{"key": 1, "value": 5, "max": 100}],
            "display_meta": {"title": "cartwright conformance draft"},
            "ownership": {"payable_category": "seller", "payable_by": "seller"},
            "author": {"created_by": "cartwright"}, "state": {"is_archived": False, "is_display": False,
                                                              "is_public": False},
            "validation": {"anonymous": True, "app_id": []}, "validity": {"priority": 1},
            "action": {"txn_mode": "coupon"}, "identifiers": {}, "restrictions": {}, "tags": []}


def draft_promotion(code: str, application_id: str, item_id: int) -> dict:
    """A promotion in draft (it never acts on a cart): 5% off one item."""
    return {"code": code, "promo_group": "product", "mode": "promotion", "promotion_type": "percentage",
            "application_id": application_id, "apply_priority": 1, "stackable": True, "currency": "INR",
            "calculate_on": "esp",
            "_schedule": {"status": "draft", "start": "2026-01-01T00:00:00Z", "end": "2030-12-31T23:59:59Z"},
            "display_meta": {"name": "cartwright conformance draft", "offer_text": "5% OFF"},
            "discount_rules": [{"discount_type": "percentage", "buy_condition": "( rule#1 )",
                                "item_criteria": {"item_id": [item_id]}, "offer": {"discount_percentage": 5}}],
            "buy_rules": {"item_id": [item_id]}, "ownership": {"payable_category": "seller", "payable_by": "seller"},
            "author": {"created_by": "cartwright"}, "restrictions": {"anonymous_users": True}, "tags": []}


# --------------------------------------------------------------------------- the phase
@dataclass
class Flows:
    """One run of the flows phase over ``client`` (a ``FlowClient``) at ``base`` (``…/company/{c}/application/{a}``).

    ``orders``: the checkouts may run (they place orders); ``app_writes``: coupons, promotions and the cart
    configuration may be written; ``stock``: reads stock by article id (None: no stock check);
    ``coupons_given``/``area_code_given``: the options named them, so not finding a use for them fails."""

    client: FlowClient
    base: str
    items: list[dict]
    coupons: list[str]
    say: Callable[[str], None] = lambda line: None
    area_code: str | None = None
    payment_mode: str = "COD"
    orders: bool = True
    app_writes: bool = True
    stock: Callable[[list[str]], dict[str, int] | None] | None = None
    application_id: str = ""
    seed: int = 0  # the run's seed: it names the drafts
    coupons_given: bool = False
    selected: frozenset[str] | None = None  # the operations the run tests (None: all); the flows call no other
    outcome: FlowsOutcome = field(default_factory=FlowsOutcome)

    def wants(self, *operation_ids: str) -> bool:
        return self.selected is None or all(o in self.selected for o in operation_ids)

    # ------------------------------------------------------------------ helpers
    def check(self, check: Callable, *args: Any) -> list[FlowFailure]:
        self.client.mark()
        found = check(self.client, self.base, *args)
        self.outcome.findings.extend(FlowFinding(f, "\n".join(self.client.sent)) for f in found)
        self.say(f"flows: {check.__name__}: " + ("ok" if not found else f"FAILED ({len(found)})"))
        return found

    def call(self, operation_id: str, method: str, url: str, **kwargs: Any) -> Any:
        """A known-good request: its body when it answers 2xx; otherwise a ``success_path`` failure and None.
        Not sent (None) when the run does not test ``operation_id``."""
        if not self.wants(operation_id):
            return None
        self.client.mark()
        r = self.client.request(method, url, **kwargs)
        if 200 <= r.status_code < 300:
            try:
                return r.json()
            except ValueError:
                return {}
        failure = FlowFailure("success_path", f"{method} {url.split('?')[0].rsplit('/', 1)[-1]}",
                              f"a request built from known-good values was refused: HTTP {r.status_code}: "
                              f"{r.text[:300]}", {"status": r.status_code})
        self.outcome.findings.append(FlowFinding(failure, "\n".join(self.client.sent), operation_id))
        return None

    def new_cart(self, user: str, item: dict, quantity: int) -> str | None:
        body = self.call("platformAddItems", "POST", f"{self.base}/detail?b=true",
                         json={"user_id": user, "items": [{**item, "quantity": quantity}]})
        cart = (body or {}).get("cart") if isinstance(body, dict) else None
        return cart.get("id") if isinstance(cart, dict) else None

    def archive(self, cart_id: str, what: str) -> None:
        r = self.client.request("PUT", f"{self.base}/cart_archive?id={cart_id}", json={"cart_id_list": [cart_id]})
        if not 200 <= r.status_code < 300:
            self.outcome.leftovers.append(f"cart {cart_id} ({what}) could not be archived: HTTP {r.status_code}")

    def not_run(self, what: str, why: str) -> None:
        self.outcome.not_run.append((what, why))
        self.say(f"flows: {what}: not run ({why})")

    # ------------------------------------------------------------------ the groups
    def run(self) -> FlowsOutcome:
        if len(self.items) < 2:
            self.items = self.items * 2
        cart_id = self.cart_group()
        if cart_id is not None:
            self.journey_group()
            self.offers_group()
        return self.outcome

    def cart_group(self) -> str | None:
        """The cart checks on a cart of the first item, the reads, adjustments, meta and shares; the cart's id
        (archived by then), or None when no cart could be made."""
        base, first, second = self.base, self.items[0], self.items[1]
        self.client.mark()
        r = self.client.request("POST", f"{base}/detail?b=true",
                                json={"user_id": FLOW_USER, "items": [{**first, "quantity": 2}]})
        try:
            body = r.json() if 200 <= r.status_code < 300 else None
        except ValueError:
            body = None
        cart = body.get("cart") if isinstance(body, dict) else None
        cart_id = cart.get("id") if isinstance(cart, dict) else None
        if not cart_id:
            failure = FlowFailure("flow_cart", "POST detail", f"could not create a cart (give --cart-item ITEM_ID:SIZE "
                                  f"for items the target sells and has in stock) with {first}: HTTP "
                                  f"{r.status_code}: {r.text[:200]}", {"status": r.status_code})
            self.outcome.findings.append(FlowFinding(failure, "\n".join(self.client.sent)))
            return None
        self.check(check_item_count, cart_id)
        self.check(check_count_follows_changes, cart_id, second)
        code = find_coupon(self.client, base, cart_id, self.coupons)
        if code is None:
            why = "no coupon applies to the flow cart" + ("" if self.coupons else " (none known: give --coupon)")
            self.not_run("check_coupon_round_trip", why)
            if self.coupons_given:
                self.outcome.asked_but_not_run.append(f"--coupon {', '.join(self.coupons)}: {why}")
            self.call("removeCoupon", "DELETE", f"{base}/platform-pos-coupon?uid={cart_id}")
        else:
            self.check(check_coupon_round_trip, cart_id, code)
        self.check(check_add_remove_round_trip, cart_id, {**second, "quantity": 1})
        self.check(check_persisted, cart_id, {**second, "quantity": 1})
        self.check(check_item_count, cart_id)
        detail = self.call("getCart", "GET", f"{base}/detail?id={cart_id}&b=true") or {}
        line = next(iter(detail.get("items") or []), None) or {}
        article = line.get("article") or {}
        self.reads(cart_id, first, article)
        self.adjustments(cart_id, article.get("uid"))
        self.call("updateCartMeta", "PUT", f"{base}/meta?id={cart_id}", json={"comment": "cartwright conformance"})
        self.shares(cart_id, first, second)
        self.check(check_deleted_is_gone, cart_id)
        return cart_id

    def reads(self, cart_id: str, item: dict, article: dict) -> None:
        """The operations that read something about a cart, a product or the application, once each."""
        base = self.base
        quote = [{"product_id": str(item["item_id"]), "size": item["item_size"], "quantity": 1}]
        self.call("fetchAndValidateCartItems", "POST", f"{base}/cart/validate", json={"cart_items": quote})
        if self.area_code:  # serviceability needs somewhere to deliver to
            self.call("checkCartServiceability", "POST", f"{base}/cart/serviceability",
                      json={"cart_items": quote, "shipping_address": {"area_code": self.area_code}})
        self.call("getAppCoupons", "GET", f"{base}/platform-pos-coupon?id={cart_id}")
        self.call("validateCouponForPayment", "GET",
                  f"{base}/payment/validate/?id={cart_id}&payment_mode={self.payment_mode}")
        self.call("getPromotionPaymentOffers", "GET", f"{base}/available-payment-offers?id={cart_id}")
        self.call("getPromotionOffers", "GET", f"{base}/available-promotions")
        self.call("getPromosCouponConfig", "GET", f"{base}/promo-coupons")
        self.call("getCoupons", "GET", f"{base}/coupon")
        self.call("getPromotions", "GET", f"{base}/promotion")
        self.call("getCartList", "GET", f"{base}/cart-list")
        self.call("getAbandonedCart", "GET", f"{base}/abandoned/carts")
        self.call("getShipments", "GET", f"{base}/shipment?id={cart_id}")
        if self.area_code:
            self.call("getAvailableDeliveryModes", "GET", f"{base}/available-delivery-mode?area_code={self.area_code}"
                      f"&id={cart_id}")
        store = (article.get("store") or {}).get("uid")
        if store is not None:
            self.call("getStoreAddressByUid", "GET", f"{base}/store-address?store_uid={store}")

    def adjustments(self, cart_id: str, article_id: str | None) -> None:
        base = self.base
        doc = {"cart_id": cart_id, "type": "discount", "value": 1, "message": "cartwright conformance",
               "article_level_distribution": False, "is_authenticated": True,
               "collection": {"refund_by": "seller", "collected_by": "seller"},
               "article_ids": [{"article_id": article_id}] if article_id else []}
        added = self.call("addPriceAdjustment", "POST", f"{base}/price-adjustment", json=doc)
        adjustment = next(iter((added or {}).get("data") or []), None) if isinstance(added, dict) else None
        adjustment_id = adjustment.get("id") if isinstance(adjustment, dict) else None
        self.call("getPriceAdjustments", "GET", f"{base}/price-adjustment?cart_id={cart_id}")
        if not adjustment_id or not self.wants("removePriceAdjustment"):
            return
        self.call("updatePriceAdjustment", "PUT", f"{base}/price-adjustment/{adjustment_id}", json={**doc, "value": 2})
        self.check(check_adjustment_deleted, adjustment_id, cart_id)

    def shares(self, cart_id: str, first: dict, second: dict) -> None:
        """Share the cart, read the share, merge it into a second cart; change that one as an abandoned cart and
        give it to another user; archive it."""
        base = self.base
        share = self.call("getCartShareLink", "POST", f"{base}/share-cart", json={"id": cart_id, "meta": {}})
        token = share.get("token") if isinstance(share, dict) else None
        other = self.new_cart(f"{FLOW_USER}-2", second, 1)
        if other is None:
            return
        if token:
            self.call("getCartSharedItems", "GET", f"{base}/share-cart/{token}")
            self.call("updateCartWithSharedItems", "POST", f"{base}/share-cart/{token}/merge?cart_id={other}")
        added = self.call("addItems", "POST", f"{base}/abandoned/carts/{other}?b=true",
                          json={"items": [{**first, "quantity": 1}]})
        lines = [it for it in ((added or {}).get("cart") or {}).get("items") or []] if isinstance(added, dict) else []
        if lines:
            line = lines[0]
            self.call("updateCart", "PUT", f"{base}/abandoned/carts/{other}",
                      json={"operation": "update_item", "items": [{"identifiers": line["identifiers"],
                                                                   "quantity": line["quantity"]}]})
        self.call("getAbandonedCartDetails", "GET", f"{base}/abandoned/cart/detail?id={other}")
        self.call("updateCartUser", "PUT", f"{base}/update-user?id={other}", json={"user_id": f"{FLOW_USER}-3"})
        self.archive(other, "the flows' second cart")

    def journey_group(self) -> None:
        """An address, shipments, payment modes and, with ``orders``, the checkouts; the address deleted."""
        if not self.wants("addAddress"):
            return
        if not self.area_code:
            self.not_run("addresses and checkout", "no PIN code to deliver to: give --area-code PIN")
            return
        base, first, second = self.base, self.items[0], self.items[1]
        user = f"{FLOW_USER}-checkout"
        cart_id = self.new_cart(user, first, 2)
        address = {"user_id": user, "area_code": self.area_code, "name": "Cartwright Conformance",
                   "address": "1 Conformance Road", "phone": "9999999999", "email": "kit@example.com",
                   "address_type": "home", "country_code": "IN"}
        saved = self.call("addAddress", "POST", f"{base}/address", json=address)
        address_id = saved.get("id") if isinstance(saved, dict) else None
        if cart_id is None or not address_id:
            if address_id:
                self.check(check_address_deleted, address_id)
            if cart_id:
                self.archive(cart_id, "the checkout cart")
            return
        self.call("getAddresses", "GET", f"{base}/address?user_id={user}")
        self.call("getAddressById", "GET", f"{base}/address/{address_id}?user_id={user}")
        self.call("updateAddress", "PUT", f"{base}/address/{address_id}",
                  json={**address, "landmark": "near the conformance kit"})
        self.call("selectAddress", "POST", f"{base}/select-address?cart_id={cart_id}&b=true",
                  json={"id": address_id, "cart_id": cart_id})
        self.call("getShipments", "GET", f"{base}/shipment?id={cart_id}&address_id={address_id}")
        cart = self.call("getCart", "GET", f"{base}/detail?id={cart_id}") or {}
        line = next(iter(cart.get("items") or []), None) or {}
        article_uid = (line.get("article") or {}).get("uid")
        if article_uid:
            self.call("updateShipments", "PUT", f"{base}/shipment?id={cart_id}",
                      json={"shipments": [{"article_uid": article_uid, "shipment_type": "single_shipment",
                                           "quantity": line.get("quantity", 2)}]})
        else:
            self.not_run("updateShipments", "the cart's line names no article uid")
        self.call("selectPaymentMode", "PUT", f"{base}/payment?id={cart_id}",
                  json={"payment_mode": self.payment_mode, "address_id": address_id})
        if self.orders and self.wants("platformCheckoutCartV2"):
            self.check(check_checkout, cart_id, user, address_id, self.payment_mode, first, self.stock)
            if self.stock is None:
                self.not_run("check_checkout: stock taken", "the target shows no stock (the documents give no stock "
                             "read; the sandbox's admin catalog does)")
            self.outcome.leftovers.append(f"an order for cart {cart_id} (the checkout flow's; orders cannot be "
                                          f"cancelled through the API)")
            self.other_checkouts(user, second)
        else:
            self.call("selectPaymentModeV2", "PUT", f"{base.replace('/v1.0/', '/v2.0/')}/payment?id={cart_id}",
                      json={"address_id": address_id, "payment_methods": [{"mode": self.payment_mode,
                                                                           "payment_meta": {}}]})
            if not self.orders:
                self.not_run("check_checkout and the other checkouts", "they place real orders: pass --allow-orders")
        self.archive(cart_id, "the checkout cart")
        self.check(check_address_deleted, address_id)

    def other_checkouts(self, user: str, item: dict) -> None:
        """The open-API checkout (items in the body, at today's prices) and the override checkout (a cart ordered
        with the items and prices given): one real order each."""
        base = self.base
        quote_items = [{"product_id": str(item["item_id"]), "size": item["item_size"], "quantity": 1}]
        quote = self.call("checkCartServiceability", "POST", f"{base}/cart/serviceability",
                          json={"cart_items": quote_items, "shipping_address": {"area_code": self.area_code}}) or {}
        total = ((quote.get("breakup_values") or {}).get("raw") or {}).get("total")
        line = next(iter(quote.get("items") or []), None) or {}
        unit = ((line.get("price_per_unit") or {}).get("base") or {})
        if total is not None and unit.get("effective") is not None:
            address = {"area_code": self.area_code}
            paid = [{"mode": self.payment_mode, "amount": total}]
            self.call("checkoutCart", "POST", f"{base}/cart/checkout", json={
                "cart_value": total, "cashback_applied": 0, "billing_address": address, "shipping_address": address,
                "coupon_code": "", "coupon_value": 0, "delivery_charges": 0, "cod_charges": 0,
                "payment_methods": paid, "cart_items": [{
                    "product_id": item["item_id"], "size": item["item_size"], "quantity": 1,
                    "price_effective": unit["effective"], "price_marked": unit.get("marked", unit["effective"]),
                    "amount_paid": total, "discount": 0, "cod_charges": 0, "delivery_charges": 0,
                    "cashback_applied": 0, "coupon_effective_discount": 0, "payment_methods": paid}]})
            self.outcome.leftovers.append("an order placed by the open-API checkout (checkoutCart)")
        cart_id = self.new_cart(f"{user}-override", item, 1) if self.wants("overrideCart") else None
        if cart_id is None:
            return
        price = unit.get("effective") or 1
        self.call("overrideCart", "POST", f"{base}/checkout/over-ride", json={
            "cart_id": cart_id, "payment_mode": self.payment_mode, "merchant_code": "CARTWRIGHT",
            "payment_identifier": "cartwright", "currency_code": "INR", "aggregator": "cartwright",
            "order_type": "HomeDelivery", "cart_items": [{
                "item_id": item["item_id"], "size": item["item_size"], "quantity": 1, "price_marked": price,
                "price_effective": price, "amount_paid": price, "discount": 0}]})
        self.outcome.leftovers.append(f"an order for cart {cart_id} (override checkout)")
        self.archive(cart_id, "the override checkout's cart")

    def offers_group(self) -> None:
        """Draft offers' lifecycles and the cart configuration written back as it is."""
        if not self.wants("createCoupon") and not self.wants("createPromotion") and not self.wants(
                "fetchCartMetaConfig"):
            return
        if not self.app_writes:
            self.not_run("coupon, promotion and cart configuration writes",
                         "they change application-wide settings: pass --allow-writes")
            return
        base = self.base
        code = draft_code(f"{base} {self.seed}")
        created = self.call("createCoupon", "POST", f"{base}/coupon", json=draft_coupon(code))
        coupon_id = created.get("_id") if isinstance(created, dict) else None
        if coupon_id and self.wants("deleteCoupon"):
            self.call("getCouponById", "GET", f"{base}/coupon/{coupon_id}")
            self.call("updateCoupon", "PUT", f"{base}/coupon/{coupon_id}",
                      json={**draft_coupon(code), "display_meta": {"title": "cartwright conformance draft (updated)"}})
            self.call("getCouponCodeExists", "GET", f"{base}/coupon_code_exists?code={code}")
            self.check(check_coupon_deleted, coupon_id)
        elif created is not None:
            self.outcome.leftovers.append(f"draft coupon {code}: created, but not deleted (no _id in the answer, or "
                                          f"deleteCoupon is not among the operations tested)")
        promotion = draft_promotion(code, self.application_id, self.items[0]["item_id"])
        created = self.call("createPromotion", "POST", f"{base}/promotion", json=promotion)
        promotion_id = created.get("_id") if isinstance(created, dict) else None
        if created is not None and not promotion_id:  # the documented create answer has no _id: find it by code
            listed = self.call("getPromotions", "GET", f"{base}/promotion?is_active=false&q={code}") or {}
            promotion_id = next((p.get("_id") for p in listed.get("items") or [] if p.get("code") == code), None)
        if promotion_id and self.wants("deletePromotion"):
            self.call("getPromotionById", "GET", f"{base}/promotion/{promotion_id}")
            self.call("updatePromotion", "PUT", f"{base}/promotion/{promotion_id}",
                      json={**promotion, "display_meta": {"name": "cartwright conformance draft (updated)"}})
            self.call("getPromotionCodeExists", "GET", f"{base}/promotion_code_exists?code={code}")
            self.check(check_promotion_deleted, promotion_id)
        elif created is not None:
            self.outcome.leftovers.append(f"draft promotion {code}: created, but not deleted (not found again, or "
                                          f"deletePromotion is not among the operations tested)")
        if self.wants("fetchCartMetaConfig"):
            self.configuration()

    def configuration(self) -> None:
        """Read the cart configuration and write it back unchanged; with none, create one switched off (the
        closest the API comes to none: it has no delete)."""
        base = self.base
        self.client.mark()
        r = self.client.request("GET", f"{base}/cart_configuration")
        if r.status_code == 404:
            if not self.wants("createCartMetaConfig"):
                return
            if self.call("createCartMetaConfig", "POST", f"{base}/cart_configuration", json={"enabled": False}) is None:
                return
            r = self.client.request("GET", f"{base}/cart_configuration")
        elif 200 <= r.status_code < 300:
            self.outcome.explained["createCartMetaConfig"] = (
                "the application has a cart configuration already and keeps one (a second create is refused)")
        if not 200 <= r.status_code < 300:
            self.call("fetchCartMetaConfig", "GET", f"{base}/cart_configuration")
            return
        config = r.json() if isinstance(r.json(), dict) else {}
        config_id = config.get("_id")
        if not config_id:
            self.not_run("updateCartMetaConfig", "the configuration's answer has no _id to address it by")
            return
        self.call("updateCartMetaConfig", "PUT", f"{base}/cart_configuration/{config_id}",
                  json={k: config[k] for k in CONFIG_FIELDS if k in config})
