"""The state port's contract, as tests any ``Storage`` implementation must pass.

Each test takes a ``storage`` fixture (a fresh, empty storage) and runs a coroutine on it. The modules that
run the contract (test_state_contract.py for the in-memory storages; the Redis module for Redis) import
these tests and provide the fixture.
"""
import asyncio

import pytest

from cartwright.sandbox.domain.errors import InvalidValue


def run(coro):
    return asyncio.run(coro)


class _Boom(Exception):
    """Raised by a test inside a transaction."""


async def _put(storage, table, part, key, record):
    async def fn(tx):
        tx.put(table, part, key, record)
    await storage.atomically(fn)


def test_a_put_record_reads_back_equal(storage):
    """A record written in a transaction reads back equal, alone and among its part's records."""
    async def scenario():
        record = {"a": [1, 2.5, "x", None, True], "b": {"c": -3}, "big": 2 ** 70}
        await _put(storage, "t", "p", "k", record)
        assert await storage.get("t", "p", "k") == record
        assert await storage.get_many("t", "p", ["k", "nope"]) == [record, None]
        assert await storage.items("t", "p") == {"k": record}
        assert (await storage.count("t", "p"), await storage.total("t"), await storage.parts("t")) == (1, 1, ["p"])
        assert await storage.get("t", "other", "k") is None and await storage.get("other", "p", "k") is None
    run(scenario())


def test_reads_hand_out_copies(storage):
    """Changing a record read (or the one written) changes nothing stored."""
    async def scenario():
        record = {"list": [1], "map": {"x": 1}}
        await _put(storage, "t", "p", "k", record)
        record["list"].append(2)
        first = await storage.get("t", "p", "k")
        first["map"]["x"] = 99
        (await storage.items("t", "p"))["k"]["list"].append(3)
        assert await storage.get("t", "p", "k") == {"list": [1], "map": {"x": 1}}
    run(scenario())


def test_a_transaction_that_raises_changes_nothing(storage):
    """Writes buffered by a transaction that raises are never applied."""
    async def scenario():
        await _put(storage, "t", "p", "keep", 1)

        async def fn(tx):
            tx.put("t", "p", "new", 2)
            tx.delete("t", "p", "keep")
            raise _Boom()

        with pytest.raises(_Boom):
            await storage.atomically(fn)
        assert await storage.items("t", "p") == {"keep": 1}
    run(scenario())


def test_a_transaction_sees_its_own_writes(storage):
    """Inside a transaction, reads see the transaction's own puts and deletes; outside, not until it ends."""
    async def scenario():
        await _put(storage, "t", "p", "a", 1)
        seen = {}

        async def fn(tx):
            tx.put("t", "p", "b", 2)
            tx.delete("t", "p", "a")
            seen["inside"] = (await tx.get("t", "p", "b"), await tx.get("t", "p", "a"), await tx.items("t", "p"),
                              await tx.count("t", "p"), await tx.get_many("t", "p", ["a", "b"]))
            seen["outside"] = await storage.items("t", "p")
            return "result"

        assert await storage.atomically(fn) == "result"
        assert seen["inside"] == (2, None, {"b": 2}, 1, [None, 2])
        assert seen["outside"] == {"a": 1}
        assert await storage.items("t", "p") == {"b": 2}
    run(scenario())


def test_a_transaction_reads_copies_of_its_own_writes(storage):
    """A record written in a transaction and read back there is a copy: changing it changes nothing written."""
    async def scenario():
        async def fn(tx):
            record = {"n": [1]}
            tx.put("t", "p", "k", record)
            (await tx.get("t", "p", "k"))["n"].append(2)
        await storage.atomically(fn)
        assert await storage.get("t", "p", "k") == {"n": [1]}
    run(scenario())


def test_deleting_the_last_record_empties_the_part(storage):
    """A part whose records are all deleted is no longer listed and counts nothing."""
    async def scenario():
        await _put(storage, "t", "p", "k", 1)

        async def fn(tx):
            tx.delete("t", "p", "k")
        await storage.atomically(fn)
        assert (await storage.parts("t"), await storage.count("t", "p"), await storage.total("t")) == ([], 0, 0)
    run(scenario())


def test_counters_count_up_and_survive_clear(storage):
    """next_number counts 1, 2, ... per name, and clear (which forgets every record) never rewinds it."""
    async def scenario():
        assert [await storage.next_number("a") for _ in range(3)] == [1, 2, 3]
        assert await storage.next_number("b") == 1
        await _put(storage, "t", "p", "k", 1)
        await storage.clear()
        assert await storage.items("t", "p") == {} and await storage.total("t") == 0
        assert await storage.next_number("a") == 4
    run(scenario())


def test_counters_are_read_together_in_order(storage):
    """counters gives each name's last number, in the order asked (0 for one never taken, a name asked twice twice),
    and nothing for no names."""
    async def scenario():
        for name, times in (("a", 2), ("b", 5)):
            for _ in range(times):
                await storage.next_number(name)
        assert await storage.counters(["b", "never", "a", "b"]) == [5, 0, 2, 5]
        assert await storage.counters([]) == []
    run(scenario())


def test_notes_are_bounded_and_forgettable(storage):
    """remember keeps at most ``capacity`` notes per table, the oldest forgotten first; clear forgets them."""
    async def scenario():
        for n in range(5):
            await storage.remember("notes", "p", f"k{n}", [n], capacity=3)
        assert [await storage.recall("notes", "p", f"k{n}") for n in range(5)] == [None, None, [2], [3], [4]]
        await storage.clear()
        assert await storage.recall("notes", "p", "k4") is None
    run(scenario())


def test_export_and_restore_round_trip(storage):
    """An export restored into the storage gives back every record, and counters never go back."""
    async def scenario():
        await _put(storage, "t", "p", "k", {"x": [1, 2]})
        await _put(storage, "u", "q", "k", "v")
        await storage.next_number("ids")
        document = await storage.export()
        assert document["format"] == "cartwright-state" and document["version"] == 1
        await _put(storage, "t", "p", "later", 1)
        await storage.next_number("ids")
        await storage.restore(document)
        assert await storage.items("t", "p") == {"k": {"x": [1, 2]}}
        assert await storage.get("u", "q", "k") == "v"
        assert await storage.next_number("ids") == 3
    run(scenario())


@pytest.mark.parametrize("document", [
    [], {"format": "other", "version": 1}, {"format": "cartwright-state", "version": 99},
    {"format": "cartwright-state", "version": 1, "tables": []},
    {"format": "cartwright-state", "version": 1, "tables": {"t": {"p": []}}},
    {"format": "cartwright-state", "version": 1, "counters": {"ids": -1}},
])
def test_a_bad_snapshot_is_refused_and_changes_nothing(storage, document):
    """restore refuses a document that is not a state snapshot, naming what is wrong, and keeps the state."""
    async def scenario():
        await _put(storage, "t", "p", "k", 1)
        with pytest.raises(InvalidValue):
            await storage.restore(document)
        assert await storage.items("t", "p") == {"k": 1}
    run(scenario())


def test_logs_keep_the_newest_records_newest_first(storage):
    """append keeps at most ``capacity`` records per log, the oldest forgotten first; tail gives the newest first."""
    async def scenario():
        for n in range(5):
            await storage.append("log", {"n": n}, capacity=3)
        await storage.append("other", "x", capacity=3)
        assert await storage.tail("log") == [{"n": 4}, {"n": 3}, {"n": 2}]
        assert await storage.tail("log", 2) == [{"n": 4}, {"n": 3}]
        assert await storage.tail("log", 0) == [] and await storage.tail("nothing") == []
        await storage.append("log", {"n": 5}, capacity=2)   # a smaller capacity keeps the newest
        assert await storage.tail("log") == [{"n": 5}, {"n": 4}]
        assert await storage.tail("other") == ["x"]
    run(scenario())


def test_logs_hand_out_copies_and_stay_out_of_snapshots(storage):
    """A log record read and changed changes nothing kept; logs are not exported, and restore leaves them."""
    async def scenario():
        await storage.append("log", {"list": [1]}, capacity=10)
        (await storage.tail("log"))[0]["list"].append(3)
        assert await storage.tail("log") == [{"list": [1]}]
        document = await storage.export()
        assert "log" not in str(document["tables"])
        await storage.restore(document)
        assert await storage.tail("log") == [{"list": [1]}]
    run(scenario())


def test_logs_are_cleared_alone_or_with_everything(storage):
    """clear_log forgets one log and no other; clear forgets every log."""
    async def scenario():
        await storage.append("a", 1, capacity=10)
        await storage.append("b", 2, capacity=10)
        await storage.clear_log("a")
        assert (await storage.tail("a"), await storage.tail("b")) == ([], [2])
        await storage.clear()
        assert await storage.tail("b") == []
    run(scenario())


def test_follow_reads_a_pointer_and_the_record_it_names(storage):
    """follow gives the records wanted and, encoded, the record of the table the first one names (None when
    that one is absent, not a string, or names nothing); inside a transaction it sees the transaction's writes."""
    async def scenario():
        await _put(storage, "active", "p", "u", "c1")
        await _put(storage, "active", "p", "number", 7)
        await _put(storage, "carts", "p", "c1", {"id": "c1", "lines": [1]})
        await _put(storage, "gen", "p", "u", 3)
        records, encoded = await storage.follow((("active", "p", "u"), ("gen", "p", "u")), "carts")
        assert records == ["c1", 3] and storage.decode(encoded) == {"id": "c1", "lines": [1]}
        assert await storage.follow((("active", "p", "nobody"), ("gen", "p", "u")), "carts") == ([None, 3], None)
        assert await storage.follow((("active", "p", "number"),), "carts") == ([7], None)
        await _put(storage, "active", "p", "gone", "c2")
        assert await storage.follow((("active", "p", "gone"),), "carts") == (["c2"], None)
        assert (await storage.follow((("active", "other", "u"),), "carts")) == ([None], None)

        async def fn(tx):
            before = await tx.follow((("active", "p", "u"),), "carts")
            tx.put("carts", "p", "c2", {"id": "c2"})
            tx.put("active", "p", "u", "c2")
            after = await tx.follow((("active", "p", "u"),), "carts")
            tx.delete("carts", "p", "c2")
            deleted = await tx.follow((("active", "p", "u"),), "carts")
            return before, after, deleted

        before, after, deleted = await storage.atomically(fn)
        assert before[0] == ["c1"] and storage.decode(before[1]) == {"id": "c1", "lines": [1]}
        assert after[0] == ["c2"] and storage.decode(after[1]) == {"id": "c2"}
        assert deleted == (["c2"], None)
    run(scenario())


def test_numbers_that_need_only_be_unique_never_repeat(storage):
    """next_number(ordered=False) gives numbers that never repeat, across clear and after a restore whose
    counters are ahead of them; one process alone gets 1, 2, 3..."""
    async def scenario():
        first = [await storage.next_number("n", ordered=False) for _ in range(3)]
        assert first == [1, 2, 3]
        await storage.clear()
        assert await storage.next_number("n", ordered=False) > 3
        document = await storage.export()
        document["counters"]["n"] = 1000
        await storage.restore(document)
        assert await storage.next_number("n", ordered=False) == 1001
    run(scenario())
