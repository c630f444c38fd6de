"""The kit's ``flows`` phase: the multi-call cart invariants (``FLOW_CHECKS``) on one real cart.

Schemathesis's phases rarely build a cart holding real items (item ids are opaque to a generator), so
the invariants that need several calls run here on a cart made from known-good items: in process from
the sandbox's admin catalog, against a deployment from ``--cart-item``. The order keeps the cart
usable until the last step, which deletes it:

1. ``POST detail`` with the first item (2 units): the cart;
2. ``check_item_count``; 3. ``check_coupon_round_trip`` with the first coupon that applies;
4. ``check_add_remove_round_trip`` and 5. ``check_persisted`` with the second item;
6. ``check_item_count`` again; 7. ``check_deleted_is_gone``.

Every 2xx answer on the way is also held to the per-response invariants (``breakup_adds_up``,
``display_matches_raw``, ``enkash_totals``).

Every failure comes back with the curl lines of the requests its check sent.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from ._checks import (
    RESPONSE_PROBLEMS,
    FlowFailure,
    check_add_remove_round_trip,
    check_coupon_round_trip,
    check_deleted_is_gone,
    check_item_count,
    check_persisted,
)

CART_BASE = "/service/platform/cart/v1.0/company/{company_id}/application/{application_id}"
FLOW_USER = "cartwright-conformance"

# The operation a flow failure names, as the operationId the report files it under.
OPERATION_IDS = {
    "GET detail": "getCart", "POST detail": "platformAddItems", "PUT detail update_item": "platformUpdateCart",
    "PUT detail": "platformUpdateCart",
    "GET basic": "getItemCount", "DELETE platform-pos-coupon": "removeCoupon", "PUT cart_archive": "deleteCart",
}


def operation_id_of(flow_operation: str) -> str:
    if flow_operation.startswith("POST platform-pos-coupon"):
        return "applyCoupon"
    return OPERATION_IDS.get(flow_operation, "platformAddItems")


@dataclass(frozen=True)
class FlowFinding:
    failure: FlowFailure
    curl: str  # the check's requests, one curl line each


class RecordingClient:
    """An httpx-like client that remembers the requests sent since the last ``mark()``, as curl lines, and
    holds every 2xx JSON answer to the per-response cart invariants (``problems``)."""

    def __init__(self, client: Any, curl_base: str, headers: dict[str, str]):
        self.client, self.curl_base, self.headers = client, curl_base.rstrip("/"), headers
        self.sent: list[str] = []
        self.problems: list[FlowFinding] = []
        self.requests = 0

    def mark(self) -> None:
        self.sent = []

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        parts = ["curl", "-X", method]
        for name in self.headers:
            parts += ["-H", f"{name}: [Filtered]" if name.lower() == "authorization" else f"{name}: {self.headers[name]}"]
        if "json" in kwargs:
            parts += ["-H", "Content-Type: application/json", "-d", json.dumps(kwargs["json"])]
        curl = " ".join(shlex.quote(p) for p in parts) + " " + shlex.quote(self.curl_base + url)
        self.sent.append(curl)
        self.requests += 1
        response = self.client.request(method, url, **kwargs)
        if 200 <= response.status_code < 300:
            try:
                body = response.json()
            except ValueError:
                body = None
            operation = f"{method} {url.split('?', 1)[0].rstrip('/').rsplit('/', 1)[-1]}"
            for name, finder in RESPONSE_PROBLEMS.items():  # the per-response invariants, on every answer
                for message in finder(body) if body is not None else ():
                    self.problems.append(FlowFinding(FlowFailure(name, operation, message), curl))
        return response


def find_coupon(client: Any, base: str, cart_id: str, codes: list[str]) -> str | None:
    """The first code that applies to the cart (it is removed again), or None."""
    for code in codes:
        r = client.request("POST", f"{base}/platform-pos-coupon?id={cart_id}", json={"coupon_code": code})
        if 200 <= r.status_code < 300:
            client.request("DELETE", f"{base}/platform-pos-coupon?uid={cart_id}")
            return code
    return None


def run_flows(client: RecordingClient, base: str, items: list[dict], coupons: list[str],
              say=lambda line: None) -> tuple[list[FlowFinding], list[str]]:
    """Run the flow checks on a new cart; returns (findings, notes on what could not run)."""
    findings: list[FlowFinding] = []
    notes: list[str] = []

    def run(check, *args) -> None:
        client.mark()
        found = check(client, base, *args)
        findings.extend(FlowFinding(f, "\n".join(client.sent)) for f in found)
        say(f"flows: {check.__name__}: " + ("ok" if not found else f"FAILED ({len(found)})"))

    client.mark()
    r = client.request("POST", f"{base}/detail?b=true",
                       json={"user_id": FLOW_USER, "items": [{**items[0], "quantity": 2}]})
    cart = (r.json() or {}).get("cart") if 200 <= r.status_code < 300 else None
    cart_id = cart.get("id") if isinstance(cart, dict) else None
    if not cart_id:
        failure = FlowFailure("flow_cart", "POST detail", f"could not create a cart with {items[0]}: "
                              f"HTTP {r.status_code}: {r.text[:200]}", {"status": r.status_code})
        return [FlowFinding(failure, "\n".join(client.sent)), *client.problems], notes
    run(check_item_count, cart_id)
    code = find_coupon(client, base, cart_id, coupons)
    if code is None:
        notes.append("coupon_round_trip not run: no coupon applies to the flow cart"
                     + ("" if coupons else " (none known: give --coupon)"))
    else:
        run(check_coupon_round_trip, cart_id, code)
    second = {**items[1 if len(items) > 1 else 0], "quantity": 1}
    run(check_add_remove_round_trip, cart_id, second)
    run(check_persisted, cart_id, second)
    run(check_item_count, cart_id)
    run(check_deleted_is_gone, cart_id)
    return findings + client.problems, notes


def catalog_items(client: Any, limit: int = 12) -> list[dict]:
    """Up to ``limit`` add-to-cart items, each an in-stock size of a different product, from the sandbox's
    admin catalog (``GET /_cartwright/catalog``); empty when the target has none."""
    r = client.request("GET", "/_cartwright/catalog")
    items: list[dict] = []
    if r.status_code != 200:
        return items
    for p in r.json().get("products", []):
        size = next((s["size"] for s in p["sizes"] if any(a["stock"] >= 4 for a in s["articles"])), None)
        if size is not None:
            items.append({"item_id": p["item_id"], "item_size": size})
        if len(items) == limit:
            break
    return items


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
