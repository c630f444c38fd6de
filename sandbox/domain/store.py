"""Where carts live. The domain talks to ``CartStore``; ``MemoryStore`` is the in-process one.

A shared backend (Redis, a database) would implement the same methods.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import ContextManager, Iterator, Protocol

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
    def order_for(self, digest: str) -> str | None: ...
    def record_order(self, digest: str, order_id: str) -> None: ...
    def transaction(self) -> ContextManager[None]:
        """A block whose changes all stay, or (when it raises) none do."""


_MISSING = object()


class MemoryStore:
    """Carts in dictionaries. Safe on one event loop: no method awaits.

    Inside ``transaction()`` every change is logged with what it replaced; if the block raises, the log is
    played back and the store is exactly as before the block (see ``transaction``).
    """

    def __init__(self, fresh_carts_remembered: int = 10_000) -> None:
        self._fresh: OrderedDict[tuple[Scope, str], tuple[str, bool, int]] = OrderedDict()
        self._fresh_capacity = fresh_carts_remembered
        self._carts: dict[Scope, dict[str, Cart]] = {}
        self._active: dict[tuple[Scope, str, bool], str] = {}
        self._taken: dict[tuple[str, str], int] = {}   # (company, article) → units its checkouts took
        self._generations: dict[tuple[Scope, str, bool], int] = {}   # carts stored as new, per user
        self._orders: dict[str, str] = {}   # request digest → order id (the open-API checkout's orders)
        self._undo: list[tuple[dict, object, object]] | None = None

    # ------------------------------------------------------------------ all or nothing
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Changes made in the block all stay, or (when it raises) none do. Nested blocks join the outer one."""
        if self._undo is not None:
            yield
            return
        self._undo = []
        try:
            yield
        except BaseException:
            for mapping, key, old in reversed(self._undo):
                if old is _MISSING:
                    mapping.pop(key, None)
                else:
                    mapping[key] = old
            raise
        finally:
            self._undo = None

    def _set(self, mapping: dict, key, value) -> None:
        if self._undo is not None:
            self._undo.append((mapping, key, mapping.get(key, _MISSING)))
        mapping[key] = value

    def _pop(self, mapping: dict, key) -> None:
        if key in mapping:
            if self._undo is not None:
                self._undo.append((mapping, key, mapping[key]))
            del mapping[key]

    # ------------------------------------------------------------------ carts
    def get(self, scope: Scope, cart_id: str) -> Cart | None:
        return self._carts.get(scope, {}).get(cart_id)

    def active_for_user(self, scope: Scope, user_id: str, buy_now: bool) -> Cart | None:
        cart = self.get(scope, self._active.get((scope, user_id, buy_now), ""))
        # A cart moved to another user stays mapped here until replaced; it is no longer this user's.
        return cart if cart is not None and cart.user_id == user_id else None

    def generation(self, scope: Scope, user_id: str, buy_now: bool) -> int:
        return self._generations.get((scope, user_id, buy_now), 0)

    def note_fresh(self, scope: Scope, cart_id: str, owner: tuple[str, bool, int]) -> None:
        # Not logged: a note of what a read showed, not a change (and nothing a rollback must undo).
        key = (scope, cart_id)
        self._fresh[key] = owner
        self._fresh.move_to_end(key)
        while len(self._fresh) > self._fresh_capacity:
            self._fresh.popitem(last=False)

    def fresh(self, scope: Scope, cart_id: str) -> tuple[str, bool, int] | None:
        return self._fresh.get((scope, cart_id))

    def save(self, cart: Cart) -> None:
        carts = self._carts.get(cart.scope)
        if carts is None:
            carts = {}
            self._set(self._carts, cart.scope, carts)
        if cart.user_id is not None and cart.id not in carts:
            key = (cart.scope, cart.user_id, cart.buy_now)
            self._set(self._generations, key, self._generations.get(key, 0) + 1)
        self._set(carts, cart.id, cart)
        if cart.user_id is not None:
            self._set(self._active, (cart.scope, cart.user_id, cart.buy_now), cart.id)

    def remove(self, cart: Cart) -> None:
        self._pop(self._carts.get(cart.scope, {}), cart.id)
        self.release(cart)

    def carts(self, scope: Scope) -> Iterator[Cart]:
        return iter(list(self._carts.get(scope, {}).values()))

    def scopes(self) -> list[Scope]:
        return list(self._carts)

    def clear(self) -> None:
        for mapping in (self._carts, self._active, self._taken, self._generations, self._fresh, self._orders):
            mapping.clear()

    def release(self, cart: Cart) -> None:
        """The cart stops being its user's active cart (it stays readable by id)."""
        key = (cart.scope, cart.user_id, cart.buy_now)
        if self._active.get(key) == cart.id:
            self._pop(self._active, key)

    # ------------------------------------------------------------------ stock and orders
    def taken(self, company: str, article_id: str) -> int:
        return self._taken.get((company, article_id), 0)

    def take(self, company: str, article_id: str, quantity: int) -> None:
        key = (company, article_id)
        self._set(self._taken, key, self._taken.get(key, 0) + quantity)

    def order_for(self, digest: str) -> str | None:
        """The order an identical open-API checkout placed before, if any."""
        return self._orders.get(digest)

    def record_order(self, digest: str, order_id: str) -> None:
        self._set(self._orders, digest, order_id)
