"""Faults a client asks for: fault-injection rules, and named business faults forced on one request.

**Rules** (``FaultRule``) are kept in the state and apply to every request of an operation (or of all of them):
a latency (fixed, or drawn from a range), then an error status or a dropped connection, each time with a
probability, optionally only for the first ``times`` requests they match. Draws are deterministic: they follow
from the sandbox's seed, the rule's id and how many requests the rule has matched (``draw``), so the same
requests meet the same faults, whichever worker serves them.

**Business faults** (``BUSINESS_FAULTS``) are what ``Prefer: fault=NAME`` asks for: for that one request the
domain behaves as if the world had changed (every article sold out, every PIN code unserviceable, every coupon
expired, prices moved, the payment declined) and answers through its own paths and errors. The faults that
change the world are read once, by ``CartService.context``, into the pricing context as data (stock taken,
coupons, ``repriced``, ``unserviceable``) that pricing and the PIN code check (``CartService.pincode``) apply;
``payment-declined`` is read where the payment is taken. A forced request changes nothing:
``SandboxState.atomically`` runs its changes as a dry run (``DidNotArise`` when they would have been made), so a
fault that does not arise in a request is refused rather than silently ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Collection, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import InvalidValue, Refused

OUT_OF_STOCK, UNSERVICEABLE, COUPON_EXPIRED, PAYMENT_DECLINED, PRICE_CHANGED = (
    "out-of-stock", "unserviceable", "coupon-expired", "payment-declined", "price-changed")
PRICE_CHANGE = Decimal("1.10")
"""``price-changed``: every article's marked and selling prices are this many times the catalog's."""


@dataclass(frozen=True)
class BusinessFault:
    name: str
    description: str
    operations: tuple[str, ...]   # where the fault shows: a refusal, or a read showing it


_CHECKOUTS = ("platformCheckoutCartV2", "checkoutCart", "overrideCart")
BUSINESS_FAULTS: dict[str, BusinessFault] = {f.name: f for f in (
    BusinessFault(OUT_OF_STOCK, "every article is sold out (the company's stock reads as all taken): adds, "
                  "quantity increases and checkouts are refused, carts and quotes show their lines unavailable",
                  ("platformAddItems", "addItems", "platformUpdateCart", "updateCart", "updateCartWithSharedItems",
                   "getCart", "fetchAndValidateCartItems", "checkCartServiceability", *_CHECKOUTS)),
    BusinessFault(UNSERVICEABLE, "no PIN code is served: serviceability and delivery answers say so (a cart shows "
                  "no delivery promise), selecting an address or payment mode for one and checking out to one are "
                  "refused",
                  ("getCart", "checkCartServiceability", "getAvailableDeliveryModes", "getShipments", "selectAddress",
                   "selectPaymentMode", "selectPaymentModeV2", "platformCheckoutCartV2", "checkoutCart")),
    BusinessFault(COUPON_EXPIRED, "every coupon expired yesterday: applying one is refused, a cart holding one "
                  "shows it no longer applied, coupon lists show none applicable",
                  ("applyCoupon", "getAppCoupons", "getCart", "validateCouponForPayment")),
    BusinessFault(PAYMENT_DECLINED, "the payment is declined once every other check of a checkout has passed",
                  _CHECKOUTS),
    BusinessFault(PRICE_CHANGED, "every article's prices are 10% above the catalog's: a checkout naming the "
                  "old prices or amounts is refused, carts and quotes show the new prices",
                  ("checkoutCart", "platformCheckoutCartV2", "selectPaymentModeV2", "getCart",
                   "fetchAndValidateCartItems", "checkCartServiceability")),
)}

FORCED: ContextVar[str | None] = ContextVar("cartwright_forced_fault", default=None)
"""The business fault the request being served forces, if any (``FORCED.get()``: read on every request)."""


def forced(name: str) -> bool:
    """Whether the request being served forces business fault ``name``."""
    return FORCED.get() == name


@contextlib.contextmanager
def force(name: str) -> Iterator[None]:
    """Force business fault ``name`` (one of ``BUSINESS_FAULTS``: the caller checked) for what runs in the block
    (the request being served)."""
    token = FORCED.set(name)
    try:
        yield
    finally:
        FORCED.reset(token)


class PaymentDeclined(Refused):
    """The payment of a checkout was declined (only ever forced: the sandbox takes every payment)."""


class DidNotArise(Refused):
    """A forced business fault did not arise in a request that would have changed the state (nothing changed)."""


def did_not_arise(name: str) -> DidNotArise:
    return DidNotArise(f"Prefer: fault={name} does not arise in this request ({BUSINESS_FAULTS[name].description});"
                       f" it would have succeeded, and nothing was changed", field="Prefer", value=name)


# ---------------------------------------------------------------------- rules
MAX_LATENCY_MS = 60_000


@dataclass(frozen=True)
class FaultRule:
    id: str
    operation_id: str                      # "*": every operation of the API
    latency_ms: tuple[int, int] | None     # (low, high): uniform in the range; low == high: fixed
    status: int | None                     # an error answer with this status
    drop: bool                             # the connection is dropped, nothing answered
    probability: float                     # of firing on a request it matches
    times: int | None                      # only the first ``times`` requests it matches

    def matches(self, operation_id: str) -> bool:
        return self.operation_id == "*" or self.operation_id == operation_id


def new_rule(rule_id: str, body: dict, operations: Collection[str] | None) -> FaultRule:
    """A rule from an admin request's body (``operation_id``, ``latency_ms``, ``status``, ``drop``,
    ``probability``, ``times``), or InvalidValue naming the field that is wrong (``operations``: the API's
    operation ids, None: not checked here)."""
    operation_id = body.get("operation_id", "*")
    if not isinstance(operation_id, str):
        raise InvalidValue(f"operation_id: {operation_id!r} is not an operation id", field="operation_id",
                           value=operation_id)
    if operation_id != "*" and operations is not None and operation_id not in operations:
        raise InvalidValue(f"operation_id: the API has no operation {operation_id!r} (\"*\": every operation)",
                           field="operation_id", value=operation_id)
    latency = body.get("latency_ms")
    if latency is not None:
        latency = _latency(latency)
    status, drop = body.get("status"), bool(body.get("drop", False))
    if status is not None and drop:
        raise InvalidValue("status, drop: a rule answers an error status or drops the connection, not both",
                           field="drop", value=drop)
    if latency is None and status is None and not drop:
        raise InvalidValue("latency_ms, status, drop: a rule needs at least one of them", field="status")
    if status is not None and not (_whole(status) and 400 <= status <= 599):
        raise InvalidValue(f"status: {status!r} is not an error status (400 to 599)", field="status", value=status)
    probability, times = body.get("probability", 1.0), body.get("times")
    if not (isinstance(probability, (int, float)) and not isinstance(probability, bool) and 0 <= probability <= 1):
        raise InvalidValue(f"probability: {probability!r} is not between 0 and 1", field="probability",
                           value=probability)
    if times is not None and not (_whole(times) and times >= 1):
        raise InvalidValue(f"times: {times!r} is not a number of requests (1 or more)", field="times", value=times)
    return FaultRule(rule_id, operation_id, latency, status, drop, float(probability), times)


def start_rules(bodies: Sequence[dict], operations: Collection[str] | None = None) -> tuple[FaultRule, ...]:
    """The rules of the ``fault_rules`` setting, numbered ``start-1``, ``start-2``... (InvalidValue names the
    rule and its field that is wrong)."""
    rules = []
    for i, body in enumerate(bodies):
        try:
            rules.append(new_rule(f"start-{i + 1}", body, operations))
        except InvalidValue as exc:
            raise InvalidValue(f"fault_rules[{i}].{exc.message}", field=f"fault_rules[{i}].{exc.field}",
                               value=exc.value) from None
    return tuple(rules)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _latency(value: object) -> tuple[int, int]:
    """``latency_ms``: a number of milliseconds, or ``[low, high]``."""
    bounds = [value, value] if _whole(value) else value
    if not (isinstance(bounds, list) and len(bounds) == 2 and all(_whole(b) for b in bounds)
            and 0 <= bounds[0] <= bounds[1] <= MAX_LATENCY_MS):
        raise InvalidValue(f"latency_ms: {value!r} is not a number of milliseconds, or a [low, high] range, "
                           f"between 0 and {MAX_LATENCY_MS}", field="latency_ms", value=value)
    return bounds[0], bounds[1]


@dataclass(frozen=True)
class Firing:
    """What one rule did to one request."""

    rule: str
    latency_ms: int = 0
    status: int | None = None
    drop: bool = False

    def record(self) -> dict:
        found: dict[str, Any] = {"rule": self.rule}
        if self.latency_ms:
            found["latency_ms"] = self.latency_ms
        if self.status is not None:
            found["status"] = self.status
        if self.drop:
            found["drop"] = True
        return found


def draw(seed: int, rule_id: str, match: int) -> tuple[float, float]:
    """Two numbers in [0, 1) for a rule's ``match``-th request: whether it fires, and where in its latency range."""
    digest = hashlib.blake2b(f"{seed}\x1f{rule_id}\x1f{match}".encode(), digest_size=16).digest()
    return int.from_bytes(digest[:8]) / 2 ** 64, int.from_bytes(digest[8:]) / 2 ** 64


def firing(rule: FaultRule, seed: int, match: int) -> Firing | None:
    """What ``rule`` does to the ``match``-th request it matches (1, 2, ...), if it fires."""
    if rule.times is not None and match > rule.times:
        return None
    fires, where = draw(seed, rule.id, match)
    if fires >= rule.probability:
        return None
    latency = 0
    if rule.latency_ms is not None:
        low, high = rule.latency_ms
        latency = low + int(where * (high - low + 1)) if high > low else low
    return Firing(rule.id, latency, rule.status, rule.drop)
