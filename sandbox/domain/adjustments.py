"""Price adjustments: charges or discounts that an integrator puts on a cart, whole or per article."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from .cart import Cart, CartService, Scope
from .errors import InvalidValue, NotFound
from .money import ZERO, money
from .offers import _decimal, _when

ADJUSTMENT_TYPES = ("charge", "discount")


@dataclass
class Adjustment:
    id: str
    cart_id: str
    type: str
    value: Decimal
    expires: datetime | None
    doc: dict = field(default_factory=dict)   # the request as given, echoed back

    def active_at(self, now: datetime) -> bool:
        return self.expires is None or now <= self.expires



class Adjustments:
    """Adding, changing and removing adjustments; they live on their cart."""

    def __init__(self, carts: CartService) -> None:
        self.carts = carts

    def add(self, scope: Scope, doc: dict[str, Any]) -> Cart:
        cart = self._cart(scope, doc)
        adjustment = self._checked(cart, doc, self.carts.ids.object_id(), exclude=None)
        cart.adjustments.append(adjustment)
        self._save(cart)
        return cart

    def update(self, scope: Scope, adjustment_id: str, doc: dict[str, Any]) -> Cart:
        cart, old = self._find(scope, adjustment_id)
        if doc.get("cart_id") != cart.id:
            raise InvalidValue(f"cart_id: adjustment {adjustment_id} belongs to cart {cart.id}, not "
                               f"{doc.get('cart_id')!r}", field="cart_id", value=doc.get("cart_id"))
        new = self._checked(cart, doc, adjustment_id, exclude=old)
        cart.adjustments[cart.adjustments.index(old)] = new
        self._save(cart)
        return cart

    def remove(self, scope: Scope, adjustment_id: str) -> None:
        cart, old = self._find(scope, adjustment_id)
        cart.adjustments.remove(old)
        self._save(cart)

    def of_cart(self, scope: Scope, cart_id: str) -> Cart:
        return self.carts.find(scope, cart_id)

    def _cart(self, scope: Scope, doc: dict) -> Cart:
        try:
            return self.carts.find(scope, doc.get("cart_id"))
        except NotFound as exc:
            raise NotFound(f"cart_id: {exc.message}", field="cart_id", value=doc.get("cart_id")) from None

    def _find(self, scope: Scope, adjustment_id: str) -> tuple[Cart, Adjustment]:
        for cart in self.carts.store.carts(scope):
            for a in cart.adjustments:
                if a.id == adjustment_id:
                    return cart, a
        raise NotFound(f"id: no price adjustment {adjustment_id}", field="id", value=adjustment_id)

    def _checked(self, cart: Cart, doc: dict, adjustment_id: str, exclude: Adjustment | None) -> Adjustment:
        kind = doc.get("type")
        if kind not in ADJUSTMENT_TYPES:
            raise InvalidValue(f"type must be one of {', '.join(ADJUSTMENT_TYPES)}, not {kind!r}", field="type",
                               value=kind)
        value = money(_decimal(doc.get("value"), "value"))
        if value <= 0:
            raise InvalidValue(f"value must be above 0, not {doc.get('value')}", field="value", value=doc.get("value"))
        in_cart = {line.article_id for line in cart.lines}
        parts = doc.get("article_ids") or []
        for i, part in enumerate(parts):
            if part.get("article_id") not in in_cart:
                raise NotFound(f"article_ids[{i}].article_id: article {part.get('article_id')!r} is not in cart "
                               f"{cart.id}", field=f"article_ids[{i}].article_id", value=part.get("article_id"))
        if doc.get("article_level_distribution") and parts and all("value" in p for p in parts):
            spread = sum((money(_decimal(p["value"], f"article_ids[{i}].value")) for i, p in enumerate(parts)), ZERO)
            if spread != value:
                raise InvalidValue(f"article_ids: the article values add up to {spread}, not the value {value}",
                                   field="article_ids", value=str(spread))
        expires = _when(doc.get("apply_expiry"), "apply_expiry")
        adjustment = Adjustment(adjustment_id, cart.id, kind, value, expires, dict(doc))
        if kind == "discount":
            others = [a for a in cart.adjustments if a is not exclude]
            priced = self.carts.priced(cart, adjustments=others)
            room = priced.breakup.vog
            if value > room:
                raise InvalidValue(f"value: a discount of {value} is more than the cart's {room} after its other "
                                   f"reductions", field="value", value=str(value))
        return adjustment

    def _save(self, cart: Cart) -> None:
        self.carts.writable(cart)
        cart.last_modified = self.carts.clock.now()
        self.carts.store.save(cart)
