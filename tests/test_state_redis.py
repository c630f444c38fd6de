"""The state port's contract (tests/state_contract.py) on Redis, and what a shared storage adds: transactions
that stay atomic under concurrency, conflicts only where records are shared, and one round trip per read."""
import asyncio

import pytest
import redis as sync_redis

from rediskit import free_port, fresh_prefix, redis_server
from cartwright.sandbox.domain.errors import StateUnavailable
from cartwright.sandbox.state.redis import RedisStorage
from state_contract import *  # noqa: F401,F403 - the contract's tests run here
from state_contract import _put, run


@pytest.fixture
def storage(redis_url):
    """A fresh, empty Redis storage (a key prefix of its own on the test run's Redis)."""
    return RedisStorage(redis_url, prefix=fresh_prefix())


def twin(storage):
    """Another storage on the same Redis and prefix: what another process sees."""
    return RedisStorage(storage.url, prefix=storage.prefix)


def noted_writes(pool, *methods: str) -> list[str]:
    """Notes each call of the connection pool's ``methods`` (its writes to Redis) by name, in order, in the list
    answered; the calls still go through."""
    writes: list[str] = []

    def noting(name):
        original = getattr(pool, name)

        async def noted(*args, **kwargs):
            writes.append(name)
            return await original(*args, **kwargs)
        return noted

    for name in methods:
        setattr(pool, name, noting(name))
    return writes


def test_concurrent_changes_to_one_record_lose_none(storage):
    """32 transactions from two processes incrementing one record at once: every increment counts (some ran
    again after meeting another's change)."""
    runs = []

    async def increment(tx):
        runs.append(1)
        tx.put("t", "p", "n", (await tx.get("t", "p", "n") or 0) + 1)

    async def scenario():
        other = twin(storage)
        await asyncio.gather(*(s.atomically(increment) for s in [storage, other] * 16))
        return await storage.get("t", "p", "n")

    assert run(scenario()) == 32
    assert len(runs) > 32


def test_changes_to_other_records_of_a_part_never_conflict(storage):
    """32 concurrent transactions, each reading and writing its own record of one part (and counting the part,
    as a cap check does), each run once: no transaction waits on another's records."""
    runs = []

    def own(key):
        async def change(tx):
            runs.append(key)
            await tx.count("carts", "c\x1fapp")
            tx.put("carts", "c\x1fapp", key, {"was": await tx.get("carts", "c\x1fapp", key)})
        return change

    async def scenario():
        other = twin(storage)
        await asyncio.gather(*(s.atomically(own(f"k{i}")) for i, s in enumerate([storage, other] * 16)))
        return await storage.count("carts", "c\x1fapp")

    assert run(scenario()) == 32
    assert len(runs) == 32


def test_a_whole_part_read_conflicts_with_a_write_to_that_part(storage):
    """A transaction that read a whole part runs again when another process writes any record of it before the
    commit (a checkout reading the stock taken, while another checkout takes some)."""
    runs = []

    async def scenario():
        other = twin(storage)

        async def checkout(tx):
            runs.append(1)
            taken = await tx.items("stock", "c")
            if len(runs) == 1:   # another checkout commits in between, the first time
                await _put(other, "stock", "c", "a2", 1)
            tx.put("stock", "c", "a1", sum(taken.values()) + 1)

        await storage.atomically(checkout)
        return await storage.items("stock", "c")

    assert run(scenario()) == {"a1": 2, "a2": 1}
    assert len(runs) == 2


def test_a_stamp_moves_with_its_places_only(storage):
    """A stamp changes when a record of one of its places is written (by any process), not when another part
    is; a transaction that read a stamp runs again when one of its places changes before the commit."""
    places = (("offers", "c\x1fapp"), ("stock", "c"))
    runs = []

    async def scenario():
        other = twin(storage)
        first = await storage.stamp(places)
        await _put(other, "carts", "c\x1fapp", "k", 1)
        unmoved = await storage.stamp(places)
        await _put(other, "stock", "c", "a", 1)
        moved = await storage.stamp(places)

        async def priced(tx):
            runs.append(await tx.stamp(places))
            if len(runs) == 1:
                await _put(other, "offers", "c\x1fapp", "o", 1)
            tx.put("carts", "c\x1fapp", "k", 2)

        await storage.atomically(priced)
        return first, unmoved, moved

    first, unmoved, moved = run(scenario())
    assert first == unmoved != moved
    assert len(runs) == 2 and runs[0] != runs[1]


def test_a_tenants_keys_share_a_cluster_slot(storage, redis_url):
    """Every key holding a company's records (its applications', its users' and its own) hashes to one Redis
    Cluster slot, so a transaction over them is legal on a cluster."""
    from redis.crc import key_slot

    async def change(tx):
        for table, part in (("carts", "c{1}\x1fapp"), ("addresses", "c{1}\x1fapp\x1fuser"), ("stock", "c{1}")):
            tx.put(table, part, "k", 1)

    run(storage.atomically(change))
    keys = [k for k in sync_redis.Redis.from_url(redis_url).keys(storage.prefix + "*") if b"{cartwright}" not in k]
    assert len(keys) == 4   # three parts and their versions
    assert len({key_slot(k) for k in keys}) == 1


def test_a_read_is_one_round_trip_and_a_stamp_after_it_none(storage):
    """Reading a record is one round trip; a stamp asked for before rides along with the tenant's next read, so
    asking it right after that read, in the same request, costs none."""
    places = (("offers", "c\x1fapp"),)

    async def scenario():
        await storage.stamp(places)   # learnt
        counts = []
        with storage.observing():
            before = storage.exchanges
            await storage.get("carts", "c\x1fapp", "k")
            counts.append(storage.exchanges - before)
            await storage.stamp(places)
            counts.append(storage.exchanges - before)
            await storage.stamp(places)   # once only: a second ask reads again
            counts.append(storage.exchanges - before)
        return counts

    assert run(scenario()) == [1, 1, 2]


def test_records_keep_their_stored_format(storage):
    """A record orjson writes is stored as its JSON; one it cannot (an integer beyond 64 bits, a lone surrogate)
    as a NUL byte and the standard library's JSON; one stored so by earlier versions (non-ASCII escaped) reads."""
    import json

    plain, big = {"n": 1, "s": "₹"}, {"big": 2 ** 70, "s": "x\ud800 ₹"}
    earlier = b"\x00" + json.dumps({"big": -(2 ** 80), "s": "café"}).encode()
    hash_key = storage._hash("t", "p")

    async def scenario():
        await _put(storage, "t", "p", "plain", plain)
        await _put(storage, "t", "p", "big", big)
        sync_redis.Redis.from_url(storage.url).hset(hash_key, "earlier", earlier)
        return await storage.get_many("t", "p", ["plain", "big", "earlier"])

    assert run(scenario()) == [plain, big, {"big": -(2 ** 80), "s": "café"}]
    stored = sync_redis.Redis.from_url(storage.url).hmget(hash_key, ["plain", "big"])
    assert stored == [json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode(),
                      b"\x00" + json.dumps(big).encode()]


def test_an_unreachable_redis_is_state_unavailable():
    """A Redis nobody answers at is StateUnavailable, naming where it was looked for."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(StateUnavailable, match="cannot be reached") as caught:
        run(RedisStorage(url, timeout=1).get("t", "p", "k"))
    assert url in caught.value.message


def test_a_process_following_the_state_sees_another_clear_it(storage):
    """A storage that follows the shared state's generation refuses reads and changes (StateMoved) once another
    process has emptied the state, until it follows again."""
    from cartwright.sandbox.domain.errors import StateMoved

    async def scenario():
        _, _, storage.generation = await storage.join({"seed": 1, "size": 1}, "00")
        await _put(storage, "t", "p", "k", 1)
        await twin(storage).clear()
        with pytest.raises(StateMoved):
            await storage.get("t", "p", "k")
        with pytest.raises(StateMoved):
            await _put(storage, "t", "p", "k", 2)
        _, _, storage.generation = await storage.join({"seed": 1, "size": 1}, "00")
        return await storage.get("t", "p", "k")

    assert run(scenario()) is None


def test_a_change_that_keeps_meeting_others_gives_up_with_state_unavailable(storage, monkeypatch):
    """A transaction whose reads are changed under it every time it runs gives up after ATTEMPTS runs with
    StateUnavailable (a 503), having written nothing."""
    from cartwright.sandbox.state import redis as redis_state

    monkeypatch.setattr(redis_state, "ATTEMPTS", 3)
    runs = []

    async def scenario():
        other = twin(storage)

        async def change(tx):
            runs.append(1)
            await tx.get("t", "p", "k")
            await _put(other, "t", "p", "k", len(runs))
            tx.put("t", "p", "mine", True)

        with pytest.raises(StateUnavailable, match="concurrent"):
            await storage.atomically(change)
        return await storage.get("t", "p", "mine")

    assert run(scenario()) is None and len(runs) == 3


def test_the_shared_catalog_and_ids_key_are_named_by_the_first_to_join(storage):
    """join answers the catalog and ids key of the first process to join; a reseed (a restore naming a catalog)
    replaces the catalog, which a clear keeps."""
    async def scenario():
        first = await storage.join({"seed": 1, "size": 5}, "aa")
        second = await twin(storage).join({"seed": 2, "size": 9}, "bb")
        await storage.restore({"format": "cartwright-state", "version": 1, "catalog": {"seed": 3, "size": 4}})
        await storage.clear()
        third = await twin(storage).join({"seed": 2, "size": 9}, "bb")
        return first, second, third

    first, second, third = run(scenario())
    assert first[:2] == second[:2] == ({"seed": 1, "size": 5}, "aa")
    assert third[:2] == ({"seed": 3, "size": 4}, "aa") and third[2] > second[2]


def test_round_trips_asked_for_together_are_sent_together_and_each_gets_its_own(storage):
    """50 reads asked for at the same moment are written to Redis together, and each gets its own record."""
    async def scenario():
        async def fill(tx):
            for n in range(50):
                tx.put("t", f"tenant{n}", "k", {"n": n})
        await storage.atomically(fill)
        sent = noted_writes((await storage._batches()).pool, "send")
        found = await asyncio.gather(*(storage.get("t", f"tenant{n}", "k") for n in range(50)))
        return found, len(sent)

    found, writes = run(scenario())
    assert found == [{"n": n} for n in range(50)]
    assert writes == 1


def test_posts_asked_for_with_round_trips_go_in_their_write(storage):
    """Log records posted at the same moment as reads are written with them, in one write: every record is
    kept, in order, and every read gets its own record; posts alone at one moment are one write too."""
    async def scenario():
        await _put(storage, "t", "p", "k", "mine")
        writes = noted_writes((await storage._batches()).pool, "send", "post")
        together = await asyncio.gather(*(storage.append("log", n, 100) if n % 2 else storage.get("t", "p", "k")
                                          for n in range(20)))
        await asyncio.gather(*(storage.append("log", n, 100) for n in range(20, 25)))
        return together, list(writes), await storage.tail("log")

    together, writes, kept = run(scenario())
    assert together == ["mine" if n % 2 == 0 else None for n in range(20)]
    assert writes == ["send", "post"]
    assert kept == [*range(24, 19, -1), *range(19, 0, -2)]


def test_a_request_cancelled_while_its_round_trip_gathers_leaves_the_others_served(storage):
    """The request whose round trip others joined is cancelled (its deadline passed) before sending: the others
    still get their own records."""
    async def scenario():
        await _put(storage, "t", "a", "k", "a")
        await _put(storage, "t", "b", "k", "b")
        first = asyncio.ensure_future(storage.get("t", "a", "k"))
        second = asyncio.ensure_future(storage.get("t", "b", "k"))
        await asyncio.sleep(0)   # the first leads a round trip and waits a turn, in which the second joins it
        first.cancel()
        return await asyncio.wait_for(second, 2)

    assert run(scenario()) == "b"


def test_the_url_says_the_password_the_database_and_the_unix_socket(tmp_path):
    """A Redis that asks for a password is reached with the one in the URL, over TCP and over a unix socket, in
    the URL's database (db 3 holds the records, db 0 none); a wrong password is StateUnavailable naming it."""
    socket_path = tmp_path / "redis.sock"
    with redis_server(tmp_path, options=("--requirepass", "s3cret", "--unixsocket", str(socket_path))) as url:
        port = url.rsplit(":", 1)[1].split("/")[0]
        prefix = fresh_prefix()
        over_tcp = RedisStorage(f"redis://:s3cret@127.0.0.1:{port}/3", prefix=prefix)
        over_unix = RedisStorage(f"unix://:s3cret@{socket_path}?db=3", prefix=prefix)
        run(_put(over_tcp, "t", "p", "k", "written"))
        assert run(over_unix.get("t", "p", "k")) == "written"
        plain = sync_redis.Redis(port=int(port), password="s3cret")
        assert plain.select(3) and plain.keys(prefix + "*") and not sync_redis.Redis(
            port=int(port), password="s3cret", db=0).keys(prefix + "*")
        with pytest.raises(StateUnavailable, match="WRONGPASS|invalid"):
            run(RedisStorage(f"redis://:wrong@127.0.0.1:{port}/3", prefix=prefix).get("t", "p", "k"))


def test_a_url_option_the_client_does_not_apply_is_refused():
    """A Redis URL with an option the sandbox's client does not apply (a socket timeout, RESP3) is refused when
    the storage is made, naming the option, rather than silently ignored."""
    with pytest.raises(ValueError, match="protocol"):
        RedisStorage("redis://127.0.0.1:6379/0?protocol=3")
    assert RedisStorage("rediss://127.0.0.1:6380/0?ssl_cert_reqs=none").url.startswith("rediss://")


def test_a_connection_that_died_with_a_restarted_redis_is_replaced_unseen(tmp_path):
    """After Redis restarts, the pooled connection it closed is replaced on the next round trip: the read
    answers (no StateUnavailable), with what was written before the restart."""
    port = free_port()

    async def write_then_read_across_a_restart():
        with redis_server(tmp_path, port, persist=True) as url:
            storage = RedisStorage(url, prefix=fresh_prefix(), timeout=2)
            await _put(storage, "t", "p", "k", "kept")
            pool = (await storage._batches()).pool
            assert pool.idle   # the connection that served the write waits in the pool
        with redis_server(tmp_path, port, persist=True):
            return await storage.get("t", "p", "k")

    assert run(write_then_read_across_a_restart()) == "kept"


def test_a_block_relying_on_a_record_finds_it_moved_on_its_first_round_trip_or_first_write(storage):
    """Inside relying_on(version), the first read raises RecordMoved when another process changed the watched
    record since (later reads do not check again), and so does a change that writes before reading anything,
    without writing; at the version read, nothing is raised."""
    from cartwright.sandbox.domain.errors import RecordMoved

    other = twin(storage)
    storage.watch("controls", "sandbox", "controls")

    async def write(tx):
        tx.put("t", "p", "k", "written")

    async def scenario():
        version, _ = await storage.read_watched()
        await _put(other, "controls", "sandbox", "controls", {"moved": True})
        with storage.relying_on(version):
            with pytest.raises(RecordMoved):
                await storage.get("t", "p", "k")
            assert await storage.get("t", "p", "k") is None   # checked once only
        with storage.relying_on(version), pytest.raises(RecordMoved):
            await storage.atomically(write)
        unwritten = await storage.get("t", "p", "k")
        version, _ = await storage.read_watched()
        with storage.relying_on(version):
            await storage.atomically(write)
        return unwritten, await storage.get("t", "p", "k")

    assert run(scenario()) == (None, "written")


def test_a_pointer_and_the_record_it_names_are_one_round_trip_and_a_change_to_either_conflicts(storage):
    """follow is one round trip, in a transaction too; a transaction that followed a pointer runs again when
    another process changes the record it named before the commit."""
    runs = []
    other = twin(storage)

    async def scenario():
        await _put(storage, "active", "p", "u", "c1")
        await _put(storage, "carts", "p", "c1", {"n": 1})
        before = storage.exchanges
        await storage.follow((("active", "p", "u"),), "carts")
        alone = storage.exchanges - before

        async def bump(tx):
            runs.append(1)
            (pointer,), encoded = await tx.follow((("active", "p", "u"),), "carts")
            record = tx.decode(encoded)
            if len(runs) == 1:   # another process changes the cart between this read and the commit
                await _put(other, "carts", "p", pointer, {"n": record["n"] + 10})
            tx.put("carts", "p", pointer, {"n": record["n"] + 1})

        before = storage.exchanges
        await storage.atomically(bump)
        return alone, storage.exchanges - before, await storage.get("carts", "p", "c1")

    alone, in_transactions, record = run(scenario())
    assert alone == 1
    assert len(runs) == 2 and record == {"n": 12}
    assert in_transactions == 2 * 2   # each run: its follow and its commit


def test_a_script_redis_forgot_is_loaded_again(storage, redis_url):
    """After SCRIPT FLUSH (a Redis restarted without the scripts), a follow and a commit load them and answer."""
    async def scenario():
        await _put(storage, "active", "p", "u", "c1")
        await _put(storage, "carts", "p", "c1", {"n": 1})
        sync_redis.Redis.from_url(redis_url).script_flush()
        records, encoded = await storage.follow((("active", "p", "u"),), "carts")
        sync_redis.Redis.from_url(redis_url).script_flush()
        await _put(storage, "carts", "p", "c2", {"n": 2})
        return records, storage.decode(encoded), await storage.get("carts", "p", "c2")

    assert run(scenario()) == (["c1"], {"n": 1}, {"n": 2})


def test_a_log_record_is_posted_and_found_by_another_process_at_once(storage):
    """append returns without waiting for Redis's answer, yet another process's read sent after it finds the
    record; the answers it left are read by the next round trip, which gets its own."""
    other = twin(storage)

    async def scenario():
        before = storage.exchanges
        for n in range(3):
            await storage.append("journal", {"n": n}, capacity=10)
            assert await other.tail("journal", 1) == [{"n": n}]
        exchanges = storage.exchanges - before
        await _put(storage, "t", "p", "k", "mine")
        return exchanges, storage.posts, await storage.get("t", "p", "k")

    assert run(scenario()) == (0, 3, "mine")


def test_a_posted_command_redis_refuses_is_logged_and_the_next_answers_stay_in_step(storage, caplog):
    """A posted append that Redis answers with an error (the log's key holds a string) is logged as a warning;
    the round trip after it still gets its own answers."""
    sync_redis.Redis.from_url(storage.url).set(storage._logs + "journal", "not a list")

    async def scenario():
        await _put(storage, "t", "p", "k", "before")
        await storage.append("journal", {"n": 1}, capacity=10)
        await storage.append("journal", {"n": 2}, capacity=10)
        return await storage.get("t", "p", "k"), await storage.get("t", "p", "nothing")

    with caplog.at_level("WARNING", logger="cartwright.sandbox"):
        assert run(scenario()) == ("before", None)
    assert sum("WRONGTYPE" in r.getMessage() for r in caplog.records) == 2 * 2   # LPUSH and LTRIM, twice


def test_numbers_that_need_only_be_unique_are_reserved_in_blocks_per_process(storage):
    """Two processes taking unordered numbers at once never get the same one; each takes a block of RESERVED
    numbers with one round trip, and counts through it without another."""
    from cartwright.sandbox.state.redis import RESERVED

    other = twin(storage)

    async def scenario():
        taken = await asyncio.gather(*(s.next_number("cart", ordered=False) for s in [storage, other] * 40))
        before = storage.exchanges
        more = [await storage.next_number("cart", ordered=False) for _ in range(5)]
        return taken, more, storage.exchanges - before

    taken, more, exchanges = run(scenario())
    assert len(set(taken + more)) == len(taken) + len(more)
    assert sorted(taken[0::2]) == list(range(1, 41)) and sorted(taken[1::2]) == list(range(RESERVED + 1, RESERVED + 41))
    assert more == list(range(41, 46)) and exchanges == 0


def test_an_unreachable_redis_is_named_without_its_password():
    """The StateUnavailable message (what a 503 answer and the log carry) names the Redis without the URL's
    user and password."""
    url = f"redis://admin:s3cret@127.0.0.1:{free_port()}/0"
    with pytest.raises(StateUnavailable) as caught:
        run(RedisStorage(url, timeout=1).get("t", "p", "k"))
    assert "s3cret" not in caught.value.message and "admin" not in caught.value.message
    assert "//***@127.0.0.1" in caught.value.message and "s3cret" not in repr(RedisStorage(url))


def test_a_note_is_posted_and_recalled_by_another_process_at_once_even_after_a_script_flush(storage, redis_url):
    """remember returns without a round trip of its own, yet another process's recall sent after it finds the
    note; it carries its script's text, so a Redis that forgot the scripts (SCRIPT FLUSH) still keeps it."""
    other = twin(storage)

    async def scenario():
        await storage.get("t", "p", "k")   # (the connection is open)
        sync_redis.Redis.from_url(redis_url).script_flush()
        before = storage.exchanges
        found = []
        for n in range(3):
            await storage.remember("fresh", "p", f"k{n}", {"n": n}, capacity=2)
            found.append(await other.recall("fresh", "p", f"k{n}"))
        return storage.exchanges - before, found, await other.recall("fresh", "p", "k0")

    assert run(scenario()) == (0, [{"n": 0}, {"n": 1}, {"n": 2}], None)   # (capacity 2: the oldest went)
