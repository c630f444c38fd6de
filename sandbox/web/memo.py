"""Bounded memory for what the web layer remembers about requests.

The compiled operations remember per path and query string the handler arguments a valid URL gives, and
the security middleware per ``Authorization`` header what a passing bearer check put in the request context
(compiled.py). Clients choose those keys, so every such cache is a ``Memo`` drawing on one process-wide ``MemoBudget``:

- a key longer than ``max_key_bytes`` is never remembered (it is worked out every time);
- an entry is charged for its key (three times over: the key, the parsed values kept with it, and their
  containers) plus a fixed overhead, and once the process's memos hold ``max_bytes`` nothing more is
  remembered;
- ``clear_all`` (the admin reset and reseed) empties every memo and gives the budget back.

Capped, not evicted: a memo holding the wrong keys costs speed, never correctness or memory.
"""

from __future__ import annotations

import typing as t
import weakref

ENTRY_OVERHEAD = 512   # bytes charged per entry beyond its key: dict slots, tuples, small objects


class MemoBudget:
    """How many bytes the process's memos may hold together, and the memos drawing on it."""

    def __init__(self, max_bytes: int = 32 * 2 ** 20, max_key_bytes: int = 2048) -> None:
        self.max_bytes = max_bytes
        self.max_key_bytes = max_key_bytes
        self.used = 0
        self._memos: weakref.WeakSet[Memo] = weakref.WeakSet()

    def configure(self, max_bytes: int, max_key_bytes: int) -> None:
        self.max_bytes, self.max_key_bytes = max_bytes, max_key_bytes

    def admit(self, key_bytes: int) -> bool:
        """Charge an entry with a key of ``key_bytes``, if it fits; whether it did."""
        if key_bytes > self.max_key_bytes:
            return False
        cost = 3 * key_bytes + ENTRY_OVERHEAD
        if self.used + cost > self.max_bytes:
            return False
        self.used += cost
        return True

    def clear_all(self) -> None:
        """Forget everything every memo remembers."""
        for memo in list(self._memos):
            memo.clear()
        self.used = 0


BUDGET = MemoBudget()
"""The process's budget (``create_app`` sets its limits from the settings ``cache_max_bytes`` and
``cache_max_key_bytes``; with several apps in one process, the last one built sets them)."""


class Memo(dict):
    """A dict that takes new entries only within its count ``capacity`` and the process's budget."""

    __slots__ = ("capacity", "__weakref__")
    # Identity, not contents: the budget keeps its memos in a weak set.
    __eq__ = object.__eq__
    __hash__ = object.__hash__  # type: ignore[assignment]  # dict is typed unhashable (None); memos hash by id

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity
        BUDGET._memos.add(self)

    def remember(self, key: t.Hashable, value: t.Any, key_bytes: int) -> bool:
        """Keep ``value`` under ``key`` when there is room; whether it was kept."""
        if len(self) < self.capacity and BUDGET.admit(key_bytes):
            self[key] = value
            return True
        return False
