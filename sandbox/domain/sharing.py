"""Shared carts: a stable token per cart, its items read back, merged into or replacing another cart.

A share is a link to the cart, not a copy: reading the token shows the shared cart as it is now.
Sharing the same cart again gives the same token. Tokens come from the seeded id generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from .cart import Cart, CartService, ChangeResult, ItemRequest, Scope
from .errors import InvalidValue, LimitReached, NotFound, Refused

if TYPE_CHECKING:
    from .runtime import Clock, Ids
    from .state import Changes, SandboxState

MERGE = "merge"
REPLACE = "replace"
ACTIONS = (MERGE, REPLACE)
TOKEN_LENGTH = 10
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass
class Share:
    token: str
    scope: Scope
    cart_id: str              # the shared cart's id
    user_id: str | None       # the shared cart's user when it was shared
    created_on: datetime
    meta: dict = field(default_factory=dict)


class Sharing:
    """The share tokens of one sandbox (in the state's ``shares``), over its carts."""

    def __init__(self, carts: CartService, state: SandboxState, ids: Ids, clock: Clock) -> None:
        self.carts = carts
        self.state = state
        self.ids = ids
        self.clock = clock

    async def share(self, scope: Scope, cart_id: str | None, meta: dict | None = None) -> Share:
        """The cart's share (made on first use; the same one, token and meta, every time after)."""
        if not cart_id:
            raise InvalidValue("id (the cart to share) is required", field="id")

        async def change(tx: Changes) -> Share:
            cart = await self.carts.get(scope, cart_id, tx)
            if cart is None:
                # The operation documents no 404: an unknown cart is a bad request naming `id`.
                raise InvalidValue(f"id: no cart {cart_id} to share", field="id", value=cart_id)
            existing = await tx.shares.of_cart(scope, cart_id)
            if existing is not None:
                return existing
            cap = self.state.caps.records_per_application
            if cap and await tx.shares.count(scope) >= cap:
                raise LimitReached(f"records_per_application: application {scope[1]} holds {cap} shared carts, the"
                                   f" most it may", field="records_per_application", value=cap)
            share = Share(await self._fresh_token(scope, tx), scope, cart_id, cart.user_id, self.clock.now(),
                          dict(meta or {}))
            tx.shares.put(share)
            return share
        return await self.state.atomically(change)

    async def _fresh_token(self, scope: Scope, view) -> str:
        while True:
            n = int(self.ids.object_id(), 16)
            digits = []
            for _ in range(TOKEN_LENGTH):
                n, d = divmod(n, len(_ALPHABET))
                digits.append(_ALPHABET[d])
            token = "".join(digits)
            if await view.shares.by_token(scope, token) is None:
                return token

    async def read(self, scope: Scope, token: str, view=None) -> tuple[Share, Cart]:
        """The share named by ``token`` and the shared cart as it is now."""
        share = await (self.state if view is None else view).shares.by_token(scope, token)
        if share is None:
            raise NotFound(f"token: no shared cart {token!r}", field="token", value=token)
        cart = await self.carts.get(scope, share.cart_id, view)
        if cart is None:
            raise NotFound(f"token: the cart shared as {token!r} no longer exists", field="token", value=token)
        return share, cart

    async def apply(self, scope: Scope, token: str, action: str, cart_id: str | None) -> tuple[Share, ChangeResult]:
        """Merge the shared items into cart ``cart_id`` (quantities add up) or replace its items with them.

        Items that cannot be added are reported in the result (as adding items does); when none can,
        the first error is raised and the cart is left as it was.
        """
        async def change(tx: Changes) -> tuple[Share, ChangeResult]:
            share, source = await self.read(scope, token, tx)
            if action not in ACTIONS:
                raise InvalidValue(f"action must be one of {', '.join(ACTIONS)}, not {action!r}", field="action",
                                   value=action)
            if not cart_id:
                raise InvalidValue("cart_id (the cart that takes the shared items) is required", field="cart_id")
            target = await self.carts.get(scope, cart_id, tx)
            if target is None:
                raise NotFound(f"cart_id: no cart {cart_id}", field="cart_id", value=cart_id)
            if target.id == source.id:
                raise InvalidValue(f"cart_id: cart {cart_id} is the shared cart itself", field="cart_id",
                                   value=cart_id)
            if not source.lines:
                raise InvalidValue(f"token: the cart shared as {token!r} has no items", field="token", value=token)
            try:
                self.carts.writable(target)
            except Refused as exc:
                raise Refused(f"cart_id: {exc.message}", field="cart_id", value=cart_id) from None
            items = [ItemRequest(where=f"shared items[{i}]", item_id=line.item_id, size=line.size,
                                 quantity=line.quantity, article_id=line.article_id,
                                 extras={"meta": dict(line.meta), "extra_meta": dict(line.extra_meta),
                                         "custom_json": dict(line.custom_json),
                                         "parent_item_identifiers": dict(line.parent_item_identifiers),
                                         "product_group_tags": list(line.product_group_tags),
                                         "display": line.display})
                     for i, line in enumerate(source.lines)]
            return share, await self.carts.add_items(tx, target, items, replace_lines=action != MERGE)
        return await self.state.atomically(change)
