"""Cart configuration ("cart meta config"): one document per application, and the limits it sets.

Every application has one from the start, the default (``default_doc``: what the sandbox does with no
configuration), until one is created or the default is updated. The document holds the documented
``CartMetaConfig`` fields. While it is enabled (``enabled`` absent
or true) it acts on carts:
- ``max_cart_items`` (units) and ``max_cart_value`` (value of goods, ``vog``): a change that takes a
  cart further over either is refused (``CartService`` asks ``check`` before it commits);
- ``min_cart_value`` (and the two maxima again) are checked at checkout (``checkout_problems``);
- ``delivery_charges`` replaces the ``delivery_rules`` setting for the application
  (``enabled: false`` there = free delivery).
0 (or absent) means no limit. ``gift_pricing``, ``gift_display_text``, ``bulk_coupons`` and
``revenue_engine_coupon`` are stored and returned only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from .cart import Cart, CartLine, CartService, Scope
from .errors import InvalidValue, NotFound, Refused
from .pricing import DeliveryRule

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


def _checked(body: dict[str, Any]) -> dict:
    """The documented fields of ``body``, after checking them (nothing is stored when one is wrong)."""
    doc = {k: body[k] for k in FIELDS if k in body and body[k] is not None}
    for name in NON_NEGATIVE:
        _in_range(name, doc.get(name), integer=name != "gift_pricing")
    low, high = doc.get("min_cart_value") or 0, doc.get("max_cart_value") or 0
    if high and low > high:
        raise InvalidValue(f"max_cart_value ({high}) must not be below min_cart_value ({low})",
                           field="max_cart_value", value=high)
    delivery = doc.get("delivery_charges")
    if delivery is not None:
        charges = []
        for i, rule in enumerate(delivery.get("charges") or []):
            for key in ("threshold", "charges"):
                if rule.get(key) is None:
                    raise InvalidValue(f"delivery_charges.charges[{i}].{key} is required",
                                       field=f"delivery_charges.charges[{i}].{key}")
                _in_range(f"delivery_charges.charges[{i}].{key}", rule[key])
            charges.append({"threshold": rule["threshold"], "charges": rule["charges"]})
        doc["delivery_charges"] = {**({"enabled": delivery["enabled"]} if "enabled" in delivery else {}),
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


class CartConfigs:
    """Each application's cart configuration, and the limits ``CartService`` and checkout consult."""

    def __init__(self, carts: CartService) -> None:
        self.carts = carts
        self._configs: dict[Scope, CartConfig] = {}

    # ------------------------------------------------------------------ the documents
    def get(self, scope: Scope) -> CartConfig:
        """The application's configuration: the one written to it, else its default (not stored: reading
        stores nothing)."""
        config = self._configs.get(scope)
        return config if config is not None else self.default(scope)

    def default(self, scope: Scope) -> CartConfig:
        """The configuration every application starts with: the one the sandbox's behaviour implies (no limits,
        the ``delivery_rules`` setting's charges), under an id derived from the application."""
        now = self.carts.clock.now()
        return CartConfig(self.carts.ids.derived_id("cart-config", *scope), scope, default_doc(self.carts.delivery_rules),
                          now, now)

    def create(self, scope: Scope, body: dict[str, Any]) -> CartConfig:
        """The application's configuration, replacing its default (keeping the default's id); once one is
        written, a second create is refused (update it)."""
        existing = self._configs.get(scope)
        if existing is not None:
            raise Refused(f"application {scope[1]} has a cart configuration already (cart_meta_id {existing.id});"
                          f" update it", field="cart_meta_id", value=existing.id)
        doc = _checked(body)
        now = self.carts.clock.now()
        config = CartConfig(self.default(scope).id, scope, doc, now, now)
        self._configs[scope] = config
        return config

    def update(self, scope: Scope, config_id: str, body: dict[str, Any]) -> CartConfig:
        """Replace the configuration's document (fields left out are gone); the default is updated like a
        written one (it is then written)."""
        config = self._configs.get(scope)
        if config is None and config_id == self.default(scope).id:
            doc = _checked(body)
            config = self._configs[scope] = self.default(scope)
            config.doc = doc
            return config
        if config is None or config.id != config_id:
            raise NotFound(f"cart_meta_id: no cart configuration {config_id} in application {scope[1]}",
                           field="cart_meta_id", value=config_id)
        config.doc = _checked(body)
        config.modified_on = self.carts.clock.now()
        return config

    def active(self, scope: Scope) -> dict | None:
        """The application's configuration document while it is enabled."""
        config = self._configs.get(scope)
        return config.doc if config is not None and config.enabled else None

    # ------------------------------------------------------------------ hooks of CartService
    def delivery_rules(self, scope: Scope) -> tuple[DeliveryRule, ...] | None:
        """The application's delivery rules, or None when the ``delivery_rules`` setting applies."""
        doc = self.active(scope)
        delivery = doc.get("delivery_charges") if doc else None
        if delivery is None:
            return None
        if delivery.get("enabled") is False:
            return ()
        return tuple(sorted((DeliveryRule(Decimal(c["threshold"]), Decimal(c["charges"]))
                             for c in delivery["charges"]), key=lambda r: r.threshold))

    def check(self, before: Cart, lines: list[CartLine]) -> None:
        """Refuse a change that takes the cart (``before`` → holding ``lines``) further over a configured maximum."""
        doc = self.active(before.scope)
        if not doc:
            return
        after = replace(before, lines=lines)
        most = doc.get("max_cart_items") or 0
        units = self.carts.count(after)
        if most and units > most and units > self.carts.count(before):
            raise Refused(f"max_cart_items: the cart would hold {units} items; at most {most} are allowed",
                          field="max_cart_items", value=units)
        top = doc.get("max_cart_value") or 0
        if top:
            value = self.carts.priced(after).breakup.vog
            if value > top and value > self.carts.priced(before).breakup.vog:
                raise Refused(f"max_cart_value: the cart's value would be {value}; at most {top} is allowed",
                              field="max_cart_value", value=value)

    # ------------------------------------------------------------------ for checkout
    def checkout_problems(self, cart: Cart) -> list[Refused]:
        """Why the configuration stops ``cart`` from being checked out (empty: it does not)."""
        doc = self.active(cart.scope)
        if not doc:
            return []
        problems = []
        value = self.carts.priced(cart).breakup.vog
        low, high, most = doc.get("min_cart_value") or 0, doc.get("max_cart_value") or 0, doc.get("max_cart_items") or 0
        if low and value < low:
            problems.append(Refused(f"min_cart_value: the cart's value {value} is below the minimum {low} to check out",
                                    field="min_cart_value", value=value))
        if high and value > high:
            problems.append(Refused(f"max_cart_value: the cart's value {value} is above the maximum {high} to check"
                                    f" out", field="max_cart_value", value=value))
        units = self.carts.count(cart)
        if most and units > most:
            problems.append(Refused(f"max_cart_items: the cart holds {units} items; at most {most} can be checked"
                                    f" out", field="max_cart_items", value=units))
        return problems
