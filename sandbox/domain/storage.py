"""The state port's one moving part: records in tables, partitioned by tenant, changed atomically.

Everything the sandbox remembers (carts, stock taken, offers, addresses, shares, cart configurations,
orders, voucher carts, counters) is a *record*, a JSON-like value (dicts, lists, strings, numbers,
booleans, None), stored under ``(table, part, key)``. ``part`` is the tenant (an application, a company,
an EnKash token owner): a table's records of one part are read together and a shared backend keeps a
part's keys together (one Redis Cluster slot per tenant). Typed repositories over it are in
``domain/state.py``; implementations are in ``sandbox/state/``.

Reads hand out copies: changing a record read changes nothing stored. Writes happen only inside
``atomically(fn)``: ``fn`` reads through its ``Tx`` and buffers writes, which are applied together when it
returns, or not at all when it raises. A backend may run ``fn`` more than once (optimistic concurrency), so
``fn`` must do nothing but read and buffer.

Besides records: counters (``next_number``), notes that may be forgotten (``remember``), and bounded logs
(``append``/``tail``): append-only lists of records, newest first, of which only the newest ``capacity`` are
kept (the request journal). Notes and logs are written outside transactions, are not in snapshots, and
``clear`` empties them.

A storage shared by several processes (``SharedStorage``: Redis) also tells which *generation* of the state
it holds (moved by every ``clear`` and ``restore``) and keeps what every process must agree on (the catalog,
the key of derived ids); a process whose generation is behind gets ``StateMoved`` and follows first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

from .errors import InvalidValue

T = TypeVar("T")
FORMAT = "cartwright-state"
VERSION = 1
"""What ``export`` writes: {"format": FORMAT, "version": VERSION, "counters": {name: n},
"tables": {table: {part: {key: record}}}}."""

Record = Any
"""A JSON-like value: dict, list, str, int, float, bool or None (no Decimal, no datetime)."""


class Reader(Protocol):
    """What both the storage and a transaction can read."""

    async def get(self, table: str, part: str, key: str) -> Record | None:
        """The record, or None."""

    async def get_many(self, table: str, part: str, keys: Sequence[str]) -> list[Record | None]:
        """The records of ``keys``, in order (None where there is none)."""

    async def get_each(self, wanted: Sequence[tuple[str, str, str]]) -> list[Record | None]:
        """The records at each ``(table, part, key)`` of one tenant, in order, read together (one round trip
        in a shared store)."""

    async def follow(self, wanted: Sequence[tuple[str, str, str]],
                     table: str) -> tuple[list[Record | None], Any | None]:
        """``get_each(wanted)``, and the record of ``table`` (in the first one's part) that the first record
        names: its key, a pointer (None when the pointer is absent or not a string, or names no record), as
        ``get_encoded`` gives it. Read together: one round trip in a shared store."""

    async def items(self, table: str, part: str) -> dict[str, Record]:
        """Every record of the part, by key."""

    async def count(self, table: str, part: str) -> int:
        """How many records the part holds."""

    async def get_encoded(self, table: str, part: str, key: str) -> Any | None:
        """The record as the storage keeps it (bytes, in a shared store), for a reader that keeps what it
        decoded from it and needs to know whether it changed; ``decode`` turns it into the record."""

    def decode(self, encoded: Any) -> Record:
        """The record ``get_encoded`` gave (a fresh copy)."""

    async def stamp(self, places: Sequence[tuple[str, str]]) -> Hashable | None:
        """A value that changes whenever a record of one of ``places`` ((table, part) pairs of one tenant)
        changes, for a reader that keeps what it derived from them; None when it cannot tell (a transaction
        that has written). In a transaction, a later change to those places makes the transaction conflict."""


class Tx(Reader, Protocol):
    """A transaction: reads (seeing its own writes) and buffered writes."""

    def put(self, table: str, part: str, key: str, record: Record) -> None: ...

    def delete(self, table: str, part: str, key: str) -> None: ...


class Storage(Reader, Protocol):
    """Records in tables, changed only through ``atomically``."""

    async def atomically(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """``fn``'s result, its buffered writes applied together; nothing applied when it raises."""

    async def parts(self, table: str) -> list[str]:
        """The parts of ``table`` that hold records."""

    async def total(self, table: str) -> int:
        """Records of ``table`` in all parts."""

    async def next_number(self, name: str, ordered: bool = True) -> int:
        """The next value of counter ``name`` (1, 2, ...): never repeats, not even across ``clear``;
        taken at once, outside any transaction (a number taken by a change that fails is skipped).
        ``ordered=False``: the number need only be unique, so a shared storage may hand out numbers each process
        reserved ahead (one process gives 1, 2, 3...; several give theirs in blocks, not in the order asked)."""

    async def counter(self, name: str) -> int:
        """The last value ``next_number(name)`` gave (0 before the first)."""

    async def counters(self, names: Sequence[str]) -> list[int]:
        """``counter`` of each of ``names``, in order, read together (one round trip in a shared store)."""

    async def remember(self, table: str, part: str, key: str, record: Record, capacity: int) -> None:
        """Keep a note outside any transaction, in a table of at most ``capacity`` notes (the oldest go):
        for what may be forgotten (the ids of carts shown but not stored)."""

    async def recall(self, table: str, part: str, key: str) -> Record | None:
        """A note kept by ``remember``, if it is still kept."""

    async def append(self, log: str, record: Record, capacity: int) -> None:
        """Add ``record`` at the head of bounded log ``log``, outside any transaction, keeping the newest
        ``capacity`` records (the oldest go). The log owns ``record`` from then on: the caller does not change
        it (so the in-process storage keeps it without a copy). In Redis: ``LPUSH`` then
        ``LTRIM 0 capacity-1``, posted: written before this returns, not waited for (a read sent after that, by
        any process, finds the record)."""

    async def tail(self, log: str, limit: int | None = None) -> list[Record]:
        """The newest ``limit`` records of ``log`` (all of them when None), newest first: copies. In Redis:
        ``LRANGE 0 limit-1``."""

    async def clear_log(self, log: str) -> None:
        """Forget every record of ``log``. In Redis: ``DEL``."""

    async def clear(self) -> None:
        """Forget every record, note and log (counters stay, so ids never come round again)."""

    async def export(self) -> dict:
        """Every table and counter as one JSON document (notes and logs are not kept)."""

    async def restore(self, document: dict) -> None:
        """Replace every table and counter with an ``export``'s document (checked first: a bad one changes
        nothing); notes are forgotten, logs kept."""


class SharedStorage(Storage, Protocol):
    """A storage several processes share (``shared = True``)."""

    shared: bool
    generation: int | None
    """The generation this process follows (None until ``join``); reads that find another raise StateMoved."""

    async def join(self, catalog: dict, ids_key: str) -> tuple[dict, str, int]:
        """The shared catalog identity, ids key and generation; the first process to join names the first two."""

    def watch(self, table: str, place: str, key: str) -> None:
        """Keep one record in each process's memory, checked by its part's version (``relying_on``)."""

    async def read_watched(self) -> tuple[Any, Any | None]:
        """The watched record's part's version and the record (encoded), read together: one round trip."""

    def relying_on(self, version: Any) -> AbstractContextManager:
        """The block (a request) relies on the watched record being at ``version``: the block's first round trip
        also reads the version, and raises RecordMoved when it is another (a write before any read, or an answer
        started before any round trip, checks first: ``checked``)."""

    async def checked(self) -> None:
        """The check of ``relying_on`` made now if the block has made no round trip yet (RecordMoved)."""


async def follow_pointer(reader: Reader, wanted: Sequence[tuple[str, str, str]],
                         table: str) -> tuple[list[Record | None], Any | None]:
    """``Reader.follow`` by ``get_each`` then ``get_encoded`` (where reads cost no round trip)."""
    records = await reader.get_each(wanted)
    pointer = records[0]
    if not isinstance(pointer, str):
        return records, None
    return records, await reader.get_encoded(table, wanted[0][1], pointer)


def checked_document(document: Any) -> tuple[dict, dict]:
    """``(tables, counters)`` of a state document, or InvalidValue naming what is wrong with it."""
    if not isinstance(document, dict):
        raise InvalidValue("state: a state document is a JSON object", field="state")
    if document.get("format") != FORMAT:
        raise InvalidValue(f"format: a state document says \"format\": \"{FORMAT}\"", field="format",
                           value=document.get("format"))
    if document.get("version") != VERSION:
        raise InvalidValue(f"version: this sandbox reads state version {VERSION}, not {document.get('version')!r}",
                           field="version", value=document.get("version"))
    tables, counters = document.get("tables", {}), document.get("counters", {})
    if not isinstance(tables, dict):
        raise InvalidValue("tables: must be an object (table → part → key → record)", field="tables")
    for table, parts in tables.items():
        if not isinstance(parts, dict) or not all(isinstance(r, dict) for r in parts.values()):
            raise InvalidValue(f"tables.{table}: must be an object of parts, each an object of records",
                               field=f"tables.{table}")
    if not isinstance(counters, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counters.values()):
        raise InvalidValue("counters: must be an object of non-negative integers", field="counters")
    return tables, counters
