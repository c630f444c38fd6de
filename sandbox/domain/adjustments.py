"""Price adjustments: charges or discounts that an integrator puts on a cart, whole or per article."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from .cart import Cart, CartService, Scope
from .errors import InvalidValue, NotFound
from .fields import decimal, when
from .inputs import AdjustmentInput
from .money import ZERO, money

if TYPE_CHECKING:
    from .runtime import Clock, Ids
    from .state import Changes, SandboxState

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



MAX_PER_CART = 100   # price adjustments one cart may carry


class Adjustments:
    """Adding, changing and removing adjustments; they live on their cart (and the state indexes them)."""

    def __init__(self, carts: CartService, state: SandboxState, ids: Ids, clock: Clock) -> None:
        self.carts = carts
        self.state = state
        self.ids = ids
        self.clock = clock

    async def add(self, scope: Scope, given: AdjustmentInput) -> Cart:
        async def change(tx: Changes) -> Cart:
            cart = await self._cart(scope, given.cart_id, tx)
            if len(cart.adjustments) >= MAX_PER_CART:
                raise InvalidValue(f"cart_id: cart {cart.id} carries {MAX_PER_CART} price adjustments, the most one"
                                   f" cart may", field="cart_id", value=cart.id)
            previous = replace(cart, adjustments=list(cart.adjustments))
            adjustment = await self._checked(cart, given, self.ids.object_id(), exclude=None, view=tx)
            cart.adjustments.append(adjustment)
            await self._save(tx, cart, previous)
            return cart
        return await self.state.atomically(change)

    async def update(self, scope: Scope, adjustment_id: str, given: AdjustmentInput) -> Cart:
        async def change(tx: Changes) -> Cart:
            cart, old = await self._find(scope, adjustment_id, tx)
            if given.cart_id != cart.id:
                raise InvalidValue(f"cart_id: adjustment {adjustment_id} belongs to cart {cart.id}, not "
                                   f"{given.cart_id!r}", field="cart_id", value=given.cart_id)
            previous = replace(cart, adjustments=list(cart.adjustments))
            new = await self._checked(cart, given, adjustment_id, exclude=old, view=tx)
            cart.adjustments = [new if a.id == adjustment_id else a for a in cart.adjustments]
            await self._save(tx, cart, previous)
            return cart
        return await self.state.atomically(change)

    async def remove(self, scope: Scope, adjustment_id: str) -> None:
        async def change(tx: Changes) -> None:
            cart, _ = await self._find(scope, adjustment_id, tx)
            previous = replace(cart, adjustments=list(cart.adjustments))
            cart.adjustments = [a for a in cart.adjustments if a.id != adjustment_id]
            await self._save(tx, cart, previous)
        await self.state.atomically(change)

    async def of_cart(self, scope: Scope, cart_id: str) -> Cart:
        return await self.carts.find(scope, cart_id)

    async def _cart(self, scope: Scope, cart_id: str | None, view) -> Cart:
        try:
            return await self.carts.find(scope, cart_id, view=view)
        except NotFound as exc:
            raise NotFound(f"cart_id: {exc.message}", field="cart_id", value=cart_id) from None

    async def _find(self, scope: Scope, adjustment_id: str, view) -> tuple[Cart, Adjustment]:
        cart_id = await view.carts.of_adjustment(scope, adjustment_id)
        cart = await view.carts.get(scope, cart_id) if cart_id else None
        found = next((a for a in cart.adjustments if a.id == adjustment_id), None) if cart else None
        if cart is None or found is None:
            raise NotFound(f"id: no price adjustment {adjustment_id}", field="id", value=adjustment_id)
        return cart, found

    async def _checked(self, cart: Cart, given: AdjustmentInput, adjustment_id: str, exclude: Adjustment | None,
                       view) -> Adjustment:
        kind = given.type
        if kind not in ADJUSTMENT_TYPES:
            raise InvalidValue(f"type must be one of {', '.join(ADJUSTMENT_TYPES)}, not {kind!r}", field="type",
                               value=kind)
        value = _amount(given.value, "value")
        if value <= 0:
            raise InvalidValue(f"value must be above 0, not {given.value}", field="value", value=given.value)
        in_cart = {line.article_id for line in cart.lines}
        for i, part in enumerate(given.articles):
            if part.article_id not in in_cart:
                raise NotFound(f"article_ids[{i}].article_id: article {part.article_id!r} is not in cart "
                               f"{cart.id}", field=f"article_ids[{i}].article_id", value=part.article_id)
        parts = given.articles
        if given.article_level_distribution and parts and all(part.shared for part in parts):
            spread = sum((_amount(p.value, f"article_ids[{i}].value") for i, p in enumerate(parts)), ZERO)
            if spread != value:
                raise InvalidValue(f"article_ids: the article values add up to {spread}, not the value {value}",
                                   field="article_ids", value=str(spread))
        expires = when(given.apply_expiry, "apply_expiry")
        adjustment = Adjustment(adjustment_id, cart.id, kind, value, expires, dict(given.doc))
        if kind == "discount":
            others = [a for a in cart.adjustments if exclude is None or a.id != exclude.id]
            priced = self.carts.price(cart, await self.carts.context(cart.scope, view), adjustments=others)
            room = priced.breakup.vog
            if value > room:
                raise InvalidValue(f"value: a discount of {value} is more than the cart's {room} after its other "
                                   f"reductions", field="value", value=str(value))
        return adjustment

    async def _save(self, tx: Changes, cart: Cart, previous: Cart) -> None:
        self.carts.writable(cart)
        cart.last_modified = self.clock.now()
        await self.carts.store(tx, cart, previous)


def _amount(value: object, where: str) -> Decimal:
    """``value`` in money; a null one is refused (the request schemas require a number; this does not rely on it)."""
    number = decimal(value, where)
    if number is None:
        raise InvalidValue(f"{where} must be a number, not None", field=where, value=value)
    return money(number)
