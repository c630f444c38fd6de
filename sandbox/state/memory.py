"""The state port in this process's memory.

Records are kept encoded (``"bytes"``: ``json_codec``'s, the format a shared backend stores too), so every read
decodes a fresh copy and a stored record takes a few hundred bytes; ``"copies"`` keeps them as Python
values, deep-copied in and out (the same behaviour by other means, for the contract tests).

``atomically`` runs its function at once: the function's reads never wait (nothing here does), so on one
event loop nothing runs between them and the commit. The commit applies the buffered writes in order,
logging what each replaced; if one fails, the log is played back and nothing of the transaction stays.
"""

from __future__ import annotations

import copy
import itertools
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, TypeVar

from .. import json_codec
from ..domain.storage import FORMAT, VERSION, Record, checked_document, follow_pointer

T = TypeVar("T")
_DELETED = object()
_EMPTY: dict = {}   # what a missing table or part reads as (never written to)
_MISSING = object()


class _Codec:
    def __init__(self, encoding: Literal["bytes", "copies"]) -> None:
        self.encoding = encoding

    def encode(self, record: Record) -> Any:
        if self.encoding == "copies":
            return copy.deepcopy(record)
        if record is None or isinstance(record, (str, int, float)):
            return record   # immutable: kept as it is (an index entry, a counter), no copy needed
        # Copied out: the bytes orjson returns keep its whole 4 KiB buffer, ten times a cart's record.
        return memoryview(json_codec.encode(record)).tobytes()

    def decode(self, stored: Any) -> Record:
        if self.encoding == "copies":
            return copy.deepcopy(stored)
        if type(stored) is bytes:   # no record is bytes: this is one encoded
            return json_codec.decode(stored)
        return stored


class _Tx:
    """Reads through to the storage (seeing this transaction's own writes); writes are buffered, encoded as
    the storage keeps them (so reading one back is a fresh copy, and the commit only files them)."""

    def __init__(self, storage: MemoryStorage) -> None:
        self._storage = storage
        self._codec = storage._codec
        self.writes: dict[tuple[str, str, str], Any] = {}

    async def get(self, table: str, part: str, key: str) -> Record | None:
        written = self.writes.get((table, part, key), _MISSING)
        if written is _MISSING:
            return await self._storage.get(table, part, key)
        return None if written is _DELETED else self._codec.decode(written)

    async def get_many(self, table: str, part: str, keys: Sequence[str]) -> list[Record | None]:
        return [await self.get(table, part, k) for k in keys]

    async def get_each(self, wanted: Sequence[tuple[str, str, str]]) -> list[Record | None]:
        return [await self.get(*w) for w in wanted]

    async def follow(self, wanted: Sequence[tuple[str, str, str]], table: str) -> tuple[list[Record | None], Any]:
        return await follow_pointer(self, wanted, table)

    async def get_encoded(self, table: str, part: str, key: str) -> Any | None:
        written = self.writes.get((table, part, key), _MISSING)
        if written is _MISSING:
            return await self._storage.get_encoded(table, part, key)
        return None if written is _DELETED else written

    def decode(self, encoded: Any) -> Record:
        return self._codec.decode(encoded)

    async def items(self, table: str, part: str) -> dict[str, Record]:
        found = await self._storage.items(table, part)
        for (t, p, key), written in self.writes.items():
            if t == table and p == part:
                if written is _DELETED:
                    found.pop(key, None)
                else:
                    found[key] = self._codec.decode(written)
        return found

    async def count(self, table: str, part: str) -> int:
        stored = self._storage._part(table, part)
        count = len(stored)
        for (t, p, key), written in self.writes.items():
            if t == table and p == part:
                if written is _DELETED:
                    count -= key in stored
                else:
                    count += key not in stored
        return count

    async def stamp(self, places: Sequence[tuple[str, str]]) -> int | None:
        return None if self.writes else self._storage.version

    def put(self, table: str, part: str, key: str, record: Record) -> None:
        self.writes[(table, part, key)] = self._codec.encode(record)

    def delete(self, table: str, part: str, key: str) -> None:
        self.writes[(table, part, key)] = _DELETED


ENCODING: Literal["bytes", "copies"] = "bytes"
"""The encoding of storages made without one (the test suite runs whole on ``"copies"`` too: see tests/conftest)."""


class MemoryStorage:
    """``Storage`` in dictionaries: table → part → key → encoded record."""

    def __init__(self, encoding: Literal["bytes", "copies"] | None = None) -> None:
        self._codec = _Codec(encoding or ENCODING)
        self._tables: dict[str, dict[str, dict[str, Any]]] = {}
        self._counters: dict[str, int] = {}
        self._notes: dict[str, OrderedDict[tuple[str, str], Any]] = {}
        self._logs: dict[str, deque] = {}
        self.version = 0   # moves with every change: whoever keeps a copy (a state file) knows when it is stale

    # ------------------------------------------------------------------ reading
    def _part(self, table: str, part: str) -> dict[str, Any]:
        return self._tables.get(table, _EMPTY).get(part, _EMPTY)

    async def get(self, table: str, part: str, key: str) -> Record | None:
        stored = self._part(table, part).get(key)
        return None if stored is None else self._codec.decode(stored)

    async def get_encoded(self, table: str, part: str, key: str) -> Any | None:
        return self._part(table, part).get(key)

    def decode(self, encoded: Any) -> Record:
        return self._codec.decode(encoded)

    async def get_many(self, table: str, part: str, keys: Sequence[str]) -> list[Record | None]:
        stored, decode = self._part(table, part), self._codec.decode
        return [None if (s := stored.get(k)) is None else decode(s) for k in keys]

    async def get_each(self, wanted: Sequence[tuple[str, str, str]]) -> list[Record | None]:
        decode = self._codec.decode
        return [None if (s := self._part(t, p).get(k)) is None else decode(s) for t, p, k in wanted]

    async def follow(self, wanted: Sequence[tuple[str, str, str]], table: str) -> tuple[list[Record | None], Any]:
        return await follow_pointer(self, wanted, table)

    async def items(self, table: str, part: str) -> dict[str, Record]:
        decode = self._codec.decode
        return {k: decode(v) for k, v in self._part(table, part).items()}

    async def count(self, table: str, part: str) -> int:
        return len(self._part(table, part))

    async def stamp(self, places: Sequence[tuple[str, str]]) -> int:
        """The storage's version (it moves with any change: coarser than asked, never stale)."""
        return self.version

    async def parts(self, table: str) -> list[str]:
        return [p for p, records in self._tables.get(table, {}).items() if records]

    async def total(self, table: str) -> int:
        return sum(len(records) for records in self._tables.get(table, {}).values())

    # ------------------------------------------------------------------ changing
    async def atomically(self, fn: Callable[[_Tx], Awaitable[T]]) -> T:
        tx = _Tx(self)
        result = await fn(tx)
        if tx.writes:
            self._commit(tx.writes)
            self.version += 1
        return result

    def _commit(self, writes: dict[tuple[str, str, str], Any]) -> None:
        undo: list[tuple[dict, str, Any]] = []
        try:
            for (table, part, key), record in writes.items():
                self._apply(table, part, key, record, undo)
        except BaseException:
            for records, key, old in reversed(undo):
                if old is _MISSING:
                    records.pop(key, None)
                else:
                    records[key] = old
            raise

    def _apply(self, table: str, part: str, key: str, encoded: Any, undo: list) -> None:
        """One buffered write, encoded already (tests fail this on purpose to show a commit is all or nothing)."""
        records = self._tables.setdefault(table, {}).setdefault(part, {})
        undo.append((records, key, records.get(key, _MISSING)))
        if encoded is _DELETED:
            records.pop(key, None)
        else:
            records[key] = encoded

    async def next_number(self, name: str, ordered: bool = True) -> int:
        self._counters[name] = self._counters.get(name, 0) + 1
        return self._counters[name]

    async def counter(self, name: str) -> int:
        return self._counters.get(name, 0)

    async def counters(self, names: Sequence[str]) -> list[int]:
        return [self._counters.get(name, 0) for name in names]

    async def remember(self, table: str, part: str, key: str, record: Record, capacity: int) -> None:
        notes = self._notes.setdefault(table, OrderedDict())
        notes[(part, key)] = self._codec.encode(record)
        notes.move_to_end((part, key))
        while len(notes) > capacity:
            notes.popitem(last=False)

    async def recall(self, table: str, part: str, key: str) -> Record | None:
        notes = self._notes.get(table)
        stored = None if notes is None else notes.get((part, key))
        return None if stored is None else self._codec.decode(stored)

    async def append(self, log: str, record: Record, capacity: int) -> None:
        # Kept as it is given (the log owns it; encoding it cost most of a journal entry), copied when read.
        # Not a change of the state's version: a log is not in snapshots, and what was derived from the
        # records (prices) stays good.
        kept = self._logs.get(log)
        if kept is None or kept.maxlen != capacity:
            kept = self._logs[log] = deque(itertools.islice(kept or (), capacity), maxlen=capacity)
        kept.appendleft(record if self._codec.encoding == "bytes" else copy.deepcopy(record))

    async def tail(self, log: str, limit: int | None = None) -> list[Record]:
        kept = self._logs.get(log, ())
        encode, decode = self._codec.encode, self._codec.decode
        return [decode(encode(r)) for r in (kept if limit is None else itertools.islice(kept, max(limit, 0)))]

    async def clear_log(self, log: str) -> None:
        self._logs.pop(log, None)

    async def clear(self) -> None:
        self._tables.clear()
        self._notes.clear()
        self._logs.clear()
        self.version += 1

    # ------------------------------------------------------------------ snapshots
    async def export(self) -> dict:
        decode = self._codec.decode
        tables = {table: {part: {k: decode(v) for k, v in records.items()} for part, records in parts.items()
                          if records}
                  for table, parts in self._tables.items()}
        return {"format": FORMAT, "version": VERSION, "counters": dict(self._counters),
                "tables": {table: parts for table, parts in tables.items() if parts}}

    async def restore(self, document: dict) -> None:
        tables, counters = checked_document(document)
        encode = self._codec.encode
        self._tables = {table: {part: {k: encode(v) for k, v in records.items()} for part, records in parts.items()}
                        for table, parts in tables.items()}
        self._notes.clear()
        self.version += 1
        # Counters never go back: a snapshot older than the numbers handed out since does not rewind them.
        for name, value in counters.items():
            self._counters[name] = max(self._counters.get(name, 0), value)
