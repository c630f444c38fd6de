"""Abandoned carts: carts with items, not checked out, untouched for ``after`` (setting
``abandoned_after_minutes``); listed with the documented filters and paginated by page or by last id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .cart import Cart, CartService, ChangeResult, ItemRequest, LineUpdate, PricedCart, Scope
from .errors import InvalidValue, NotFound

if TYPE_CHECKING:
    from .runtime import Clock
    from .state import Changes, SandboxState

SORTS = ("created_on", "last_modified")
INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class AbandonedPage:
    carts: tuple[tuple[Cart, PricedCart], ...]
    item_total: int        # carts matching the filters, on all pages
    current: int           # page number (counting from 0) of the page's first cart
    size: int
    has_previous: bool
    has_next: bool
    next_id: str | None    # the last cart of the page, to pass as last_id, when there is a next page
    by_cursor: bool        # the page was chosen by last_id


class AbandonedCarts:
    """The abandoned carts of one sandbox's applications."""

    def __init__(self, carts: CartService, state: SandboxState, clock: Clock, after: timedelta) -> None:
        if after < timedelta(0):
            raise InvalidValue(f"abandoned_after_minutes must be at least 0, not {after}",
                               field="abandoned_after_minutes", value=after)
        self.carts = carts
        self.state = state
        self.clock = clock
        self.after = after

    def is_abandoned(self, cart: Cart, now: datetime | None = None) -> bool:
        now = now or self.clock.now()
        return bool(cart.lines) and cart.order_id is None and now - cart.last_modified >= self.after

    async def is_active(self, cart: Cart) -> bool:
        """Whether ``cart`` is its user's active cart (compared by id: reads hand out copies)."""
        if cart.user_id is None:
            return False
        active = await self.state.carts.active(cart.scope, cart.user_id, cart.buy_now)
        return active is not None and active.id == cart.id

    async def list(self, scope: Scope, page_no: int = 0, page_size: int = 10, from_date: datetime | None = None,
             to_date: datetime | None = None, anonymous: bool | None = None, last_id: str | None = None,
             sort_on: str | None = None) -> AbandonedPage:
        """Abandoned carts created in ``from_date``..``to_date``, newest first on ``sort_on``, one page."""
        column = sort_on or "created_on"
        if column not in SORTS:
            raise InvalidValue(f"sort_on must be one of {', '.join(SORTS)}, not {column!r}", field="sort_on",
                               value=column)
        for name, value, low in (("page_no", page_no, 0), ("page_size", page_size, 1)):
            if not low <= value <= INT32_MAX:   # both are int32 in the documents
                raise InvalidValue(f"{name} must be from {low} to {INT32_MAX}, not {value}", field=name, value=value)
        now = self.clock.now()
        chosen = [c for c in await self.carts.all(scope)
                  if self.is_abandoned(c, now)
                  and (from_date is None or c.created_on >= from_date)
                  and (to_date is None or c.created_on <= to_date)
                  and (anonymous is None or (c.user_id is None) == anonymous)]

        def key(c: Cart):
            return getattr(c, column), c.cart_id

        chosen.sort(key=key, reverse=True)
        if last_id:
            last = await self.carts.get(scope, last_id)
            if last is None:
                raise NotFound(f"last_id: no cart {last_id}", field="last_id", value=last_id)
            start = sum(1 for c in chosen if key(c) >= key(last))
        else:
            start = page_no * page_size
        page = chosen[start:start + page_size]
        has_next = start + page_size < len(chosen)
        ctx = await self.carts.context(scope)
        return AbandonedPage(tuple((c, self.carts.price(c, ctx)) for c in page), len(chosen), start // page_size,
                             page_size, start > 0, has_next, page[-1].id if has_next and page else None,
                             bool(last_id))

    # ------------------------------------------------------------------ one cart
    async def cart(self, scope: Scope, cart_id: str, field: str = "cart_id", view=None) -> Cart:
        """Any cart of the application by id (abandoned or not: touching it makes it not abandoned)."""
        if not cart_id:
            raise InvalidValue(f"{field} (cart id) is required", field=field)
        cart = await self.carts.get(scope, cart_id, view)
        if cart is None:
            raise NotFound(f"{field}: no cart {cart_id}", field=field, value=cart_id)
        return cart

    async def add(self, scope: Scope, cart_id: str, items: Sequence[ItemRequest],
                  new_cart: bool = False) -> ChangeResult:
        """Add items to the cart (as add-to-cart does); ``new_cart`` starts a new cart for its user instead."""
        async def change(tx: Changes) -> ChangeResult:
            cart = await self.cart(scope, cart_id, view=tx)
            if new_cart:   # stored only once items are added to it: a refusal leaves the user's active cart
                cart = await self.carts.cart_to_add_to(scope, None, cart.user_id, False, new_cart=True, view=tx)
            return await self.carts.add_items(tx, cart, items)
        return await self.state.atomically(change)

    async def update(self, scope: Scope, cart_id: str, operation: str,
                     updates: Sequence[LineUpdate]) -> ChangeResult:
        """Change or remove the cart's lines (as update-cart does): all or nothing."""
        async def change(tx: Changes) -> ChangeResult:
            return await self.carts.update_items(tx, await self.cart(scope, cart_id, view=tx), operation, updates)
        return await self.state.atomically(change)
