"""Cart configuration ("cart meta config"): one document per application, and the limits it sets.

Every application has one from the start, the default (``default_doc``: what the sandbox does with no
configuration), until one is created or the default is updated. The document holds the documented
``CartMetaConfig`` fields. While it is enabled (``enabled`` absent
or true) it acts on carts:
- ``max_cart_items`` (units) and ``max_cart_value`` (value of goods, ``vog``): a change that takes a
  cart further over either is refused (``CartService.set_lines`` asks ``limit_refusal``);
- ``min_cart_value`` (and the two maxima again) are checked at checkout (``checkout_problems``);
- ``delivery_charges`` replaces the ``delivery_rules`` setting for the application
  (``enabled: false`` there = free delivery).
0 (or absent) means no limit. ``gift_pricing``, ``gift_display_text``, ``bulk_coupons`` and
``revenue_engine_coupon`` are stored and returned only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .errors import InvalidValue, NotFound, Refused
from .inputs import CartConfigInput
from .pricing import DeliveryRule

if TYPE_CHECKING:
    from .cart import Scope
    from .runtime import Clock, Ids
    from .state import Changes, SandboxState

FIELDS = ("min_cart_value", "max_cart_value", "bulk_coupons", "max_cart_items", "gift_display_text",
          "delivery_charges", "revenue_engine_coupon", "gift_pricing", "enabled")
NON_NEGATIVE = ("min_cart_value", "max_cart_value", "max_cart_items", "gift_pricing")
INT32_MAX = 2**31 - 1
FLOAT_MAX = 3.4e38   # format: float


@dataclass
class CartConfig:
    id: str
    scope: Scope
    doc: dict
    created_on: datetime
    modified_on: datetime

    @property
    def enabled(self) -> bool:
        return self.doc.get("enabled") is not False


def _in_range(name: str, value: Any, integer: bool = True) -> None:
    if value is None:
        return
    top = INT32_MAX if integer else FLOAT_MAX
    if not 0 <= value <= top:   # int32 (float for gift_pricing) in the documents; never negative
        raise InvalidValue(f"{name} must be from 0 to {top}, not {value}", field=name, value=value)


def _checked(config: CartConfigInput) -> dict:
    """The document to store for ``config``, after checking it (nothing is stored when a field is wrong)."""
    limits: dict[str, float | None] = {name: getattr(config, name) for name in NON_NEGATIVE}
    for name in NON_NEGATIVE:
        _in_range(name, limits[name], integer=name != "gift_pricing")
    low, high = limits["min_cart_value"] or 0, limits["max_cart_value"] or 0
    if high and low > high:
        raise InvalidValue(f"max_cart_value ({high}) must not be below min_cart_value ({low})",
                           field="max_cart_value", value=high)
    doc = dict(config.doc)
    delivery = config.delivery_charges
    if delivery is not None:
        charges = []
        for i, rule in enumerate(delivery.charges):
            for key, value in (("threshold", rule.threshold), ("charges", rule.charges)):
                if value is None:
                    raise InvalidValue(f"delivery_charges.charges[{i}].{key} is required",
                                       field=f"delivery_charges.charges[{i}].{key}")
                _in_range(f"delivery_charges.charges[{i}].{key}", value)
            charges.append({"threshold": rule.threshold, "charges": rule.charges})
        doc["delivery_charges"] = {**({"enabled": delivery.enabled} if delivery.enabled is not None else {}),
                                   "charges": charges}
    return doc


def _plain(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def default_doc(delivery_rules: tuple[DeliveryRule, ...]) -> dict:
    """The documented fields of the default configuration: enabled, no limits, nothing extra, and the delivery
    charges ``delivery_rules`` (the setting) gives."""
    return {"min_cart_value": 0, "max_cart_value": 0, "bulk_coupons": False, "max_cart_items": 0,
            "gift_display_text": "",
            "delivery_charges": {"enabled": bool(delivery_rules),
                                 "charges": [{"threshold": _plain(r.threshold), "charges": _plain(r.charge)}
                                             for r in delivery_rules]},
            "revenue_engine_coupon": False, "gift_pricing": 0, "enabled": True}


def delivery_rules_of(doc: dict) -> tuple[DeliveryRule, ...] | None:
    """The delivery rules an enabled configuration sets, or None when the ``delivery_rules`` setting applies."""
    delivery = doc.get("delivery_charges")
    if delivery is None:
        return None
    if delivery.get("enabled") is False:
        return ()
    return tuple(sorted((DeliveryRule(Decimal(c["threshold"]), Decimal(c["charges"]))
                         for c in delivery["charges"]), key=lambda r: r.threshold))


def limit_refusal(doc: dict, units_before: int, units_after: int, value_before: Callable[[], Decimal],
                  value_after: Callable[[], Decimal]) -> Refused | None:
    """Why a change taking a cart from ``units_before`` to ``units_after`` units (and from one value of goods
    to another, computed only when a maximum asks) goes further over a configured maximum; None when it
    does not."""
    most = doc.get("max_cart_items") or 0
    if most and units_after > most and units_after > units_before:
        return Refused(f"max_cart_items: the cart would hold {units_after} items; at most {most} are allowed",
                       field="max_cart_items", value=units_after)
    top = doc.get("max_cart_value") or 0
    if top:
        value = value_after()
        if value > top and value > value_before():
            return Refused(f"max_cart_value: the cart's value would be {value}; at most {top} is allowed",
                           field="max_cart_value", value=value)
    return None


def checkout_problems(doc: dict | None, value: Decimal, units: int) -> list[Refused]:
    """Why an enabled configuration stops a cart of ``value`` (goods) and ``units`` from being checked out."""
    if not doc:
        return []
    problems = []
    low, high, most = doc.get("min_cart_value") or 0, doc.get("max_cart_value") or 0, doc.get("max_cart_items") or 0
    if low and value < low:
        problems.append(Refused(f"min_cart_value: the cart's value {value} is below the minimum {low} to check out",
                                field="min_cart_value", value=value))
    if high and value > high:
        problems.append(Refused(f"max_cart_value: the cart's value {value} is above the maximum {high} to check"
                                f" out", field="max_cart_value", value=value))
    if most and units > most:
        problems.append(Refused(f"max_cart_items: the cart holds {units} items; at most {most} can be checked"
                                f" out", field="max_cart_items", value=units))
    return problems


class CartConfigs:
    """Each application's cart configuration (a ``ConfigSource`` for the cart core)."""

    def __init__(self, state: SandboxState, ids: Ids, clock: Clock, delivery_rules: tuple[DeliveryRule, ...]) -> None:
        self.state = state
        self.ids = ids
        self.clock = clock
        self.delivery_rules = delivery_rules

    # ------------------------------------------------------------------ the documents
    async def get(self, scope: Scope) -> CartConfig:
        """The application's configuration: the one written to it, else its default (not stored: reading
        stores nothing)."""
        config = await self.state.cart_configs.get(scope)
        return config if config is not None else self.default(scope)

    def default(self, scope: Scope) -> CartConfig:
        """The configuration every application starts with: the one the sandbox's behaviour implies (no limits,
        the ``delivery_rules`` setting's charges), under an id derived from the application."""
        now = self.clock.now()
        return CartConfig(self.ids.derived_id("cart-config", *scope), scope, default_doc(self.delivery_rules), now, now)

    async def create(self, scope: Scope, config_input: CartConfigInput) -> CartConfig:
        """The application's configuration, replacing its default (keeping the default's id); once one is
        written, a second create is refused (update it)."""
        doc = _checked(config_input)

        async def change(tx: Changes) -> CartConfig:
            existing = await tx.cart_configs.get(scope)
            if existing is not None:
                raise Refused(f"application {scope[1]} has a cart configuration already (cart_meta_id "
                              f"{existing.id}); update it", field="cart_meta_id", value=existing.id)
            now = self.clock.now()
            config = CartConfig(self.default(scope).id, scope, doc, now, now)
            tx.cart_configs.put(config)
            return config
        return await self.state.atomically(change)

    async def update(self, scope: Scope, config_id: str, config_input: CartConfigInput) -> CartConfig:
        """Replace the configuration's document (fields left out are gone); the default is updated like a
        written one (it is then written)."""
        doc = _checked(config_input)

        async def change(tx: Changes) -> CartConfig:
            config = await tx.cart_configs.get(scope)
            if config is None and config_id == self.default(scope).id:
                config = self.default(scope)
            if config is None or config.id != config_id:
                raise NotFound(f"cart_meta_id: no cart configuration {config_id} in application {scope[1]}",
                               field="cart_meta_id", value=config_id)
            config.doc = doc
            config.modified_on = self.clock.now()
            tx.cart_configs.put(config)
            return config
        return await self.state.atomically(change)

    async def active(self, scope: Scope, view=None) -> dict | None:
        """The application's written configuration document while it is enabled (the default, unwritten,
        changes nothing the sandbox does)."""
        config = await (self.state if view is None else view).cart_configs.get(scope)
        return config.doc if config is not None and config.enabled else None
