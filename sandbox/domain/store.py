"""Where carts live. The domain talks to ``CartStore``; ``MemoryStore`` is the in-process one.

A shared backend (Redis, a database) would implement the same methods.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Iterator, Protocol

from .cart import Cart, Scope


class CartStore(Protocol):
    def get(self, scope: Scope, cart_id: str) -> Cart | None: ...
    def active_for_user(self, scope: Scope, user_id: str, buy_now: bool) -> Cart | None: ...
    def generation(self, scope: Scope, user_id: str, buy_now: bool) -> int:
        """How many carts have been stored as new for the user (what their next cart's id derives from)."""
    def note_fresh(self, scope: Scope, cart_id: str, owner: tuple[str, bool, int]) -> None:
        """Remember, for a while, that a read showed ``cart_id`` as the fresh cart of ``owner``
        (user, buy_now, generation): bounded, forgettable, not a cart."""
    def fresh(self, scope: Scope, cart_id: str) -> tuple[str, bool, int] | None:
        """The owner noted for a fresh cart id, if still remembered."""
    def save(self, cart: Cart) -> None: ...
    def remove(self, cart: Cart) -> None: ...
    def carts(self, scope: Scope) -> Iterator[Cart]: ...
    def scopes(self) -> list[Scope]: ...
    def clear(self) -> None: ...
    def taken(self, company: str, article_id: str) -> int: ...
    def take(self, company: str, article_id: str, quantity: int) -> None: ...
    def release(self, cart: Cart) -> None: ...


class MemoryStore:
    """Carts in dictionaries. Safe on one event loop: no method awaits."""

    def __init__(self, fresh_carts_remembered: int = 10_000) -> None:
        self._fresh: OrderedDict[tuple[Scope, str], tuple[str, bool, int]] = OrderedDict()
        self._fresh_capacity = fresh_carts_remembered
        self._carts: dict[Scope, dict[str, Cart]] = {}
        self._active: dict[tuple[Scope, str, bool], str] = {}
        self._taken: dict[tuple[str, str], int] = {}   # (company, article) → units its checkouts took
        self._generations: dict[tuple[Scope, str, bool], int] = {}   # carts stored as new, per user

    def get(self, scope: Scope, cart_id: str) -> Cart | None:
        return self._carts.get(scope, {}).get(cart_id)

    def active_for_user(self, scope: Scope, user_id: str, buy_now: bool) -> Cart | None:
        cart = self.get(scope, self._active.get((scope, user_id, buy_now), ""))
        # A cart moved to another user stays mapped here until replaced; it is no longer this user's.
        return cart if cart is not None and cart.user_id == user_id else None

    def generation(self, scope: Scope, user_id: str, buy_now: bool) -> int:
        return self._generations.get((scope, user_id, buy_now), 0)

    def note_fresh(self, scope: Scope, cart_id: str, owner: tuple[str, bool, int]) -> None:
        key = (scope, cart_id)
        self._fresh[key] = owner
        self._fresh.move_to_end(key)
        while len(self._fresh) > self._fresh_capacity:
            self._fresh.popitem(last=False)

    def fresh(self, scope: Scope, cart_id: str) -> tuple[str, bool, int] | None:
        return self._fresh.get((scope, cart_id))

    def save(self, cart: Cart) -> None:
        carts = self._carts.setdefault(cart.scope, {})
        if cart.user_id is not None and cart.id not in carts:
            key = (cart.scope, cart.user_id, cart.buy_now)
            self._generations[key] = self._generations.get(key, 0) + 1
        carts[cart.id] = cart
        if cart.user_id is not None:
            self._active[(cart.scope, cart.user_id, cart.buy_now)] = cart.id

    def remove(self, cart: Cart) -> None:
        self._carts.get(cart.scope, {}).pop(cart.id, None)
        key = (cart.scope, cart.user_id, cart.buy_now)
        if self._active.get(key) == cart.id:
            del self._active[key]

    def carts(self, scope: Scope) -> Iterator[Cart]:
        return iter(list(self._carts.get(scope, {}).values()))

    def scopes(self) -> list[Scope]:
        return list(self._carts)

    def clear(self) -> None:
        self._carts.clear()
        self._active.clear()
        self._taken.clear()
        self._generations.clear()
        self._fresh.clear()

    def taken(self, company: str, article_id: str) -> int:
        return self._taken.get((company, article_id), 0)

    def take(self, company: str, article_id: str, quantity: int) -> None:
        key = (company, article_id)
        self._taken[key] = self._taken.get(key, 0) + quantity

    def release(self, cart: Cart) -> None:
        """The cart stops being its user's active cart (it stays readable by id)."""
        key = (cart.scope, cart.user_id, cart.buy_now)
        if self._active.get(key) == cart.id:
            del self._active[key]
