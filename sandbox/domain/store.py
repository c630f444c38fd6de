"""Where carts live. The domain talks to ``CartStore``; ``MemoryStore`` is the in-process one.

A shared backend (Redis, a database) would implement the same methods.
"""

from __future__ import annotations

from typing import Iterator, Protocol

from .cart import Cart, Scope


class CartStore(Protocol):
    def get(self, scope: Scope, cart_id: str) -> Cart | None: ...
    def active_for_user(self, scope: Scope, user_id: str, buy_now: bool) -> Cart | None: ...
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

    def __init__(self) -> None:
        self._carts: dict[Scope, dict[str, Cart]] = {}
        self._active: dict[tuple[Scope, str, bool], str] = {}
        self._taken: dict[tuple[str, str], int] = {}   # (company, article) → units its checkouts took

    def get(self, scope: Scope, cart_id: str) -> Cart | None:
        return self._carts.get(scope, {}).get(cart_id)

    def active_for_user(self, scope: Scope, user_id: str, buy_now: bool) -> Cart | None:
        cart = self.get(scope, self._active.get((scope, user_id, buy_now), ""))
        # A cart moved to another user stays mapped here until replaced; it is no longer this user's.
        return cart if cart is not None and cart.user_id == user_id else None

    def save(self, cart: Cart) -> None:
        self._carts.setdefault(cart.scope, {})[cart.id] = cart
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
