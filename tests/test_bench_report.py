"""bench/run.py's own logic (no benchmark is run): reading Redis's INFO and URL, and the targets its table checks."""
import importlib.util
from argparse import Namespace
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("bench_run", Path(__file__).resolve().parent.parent / "bench" / "run.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

ARGS = Namespace(rounds=1, threads=2, connections=32, duration=10)
ALONE = {"get-cart (3 lines, b=true)": [2, 2], "add-to-cart (new user's cart)": [3, 3]}


def result(rps: float, **extra) -> list[dict]:
    return [{"requests": int(rps * 10), "duration_us": 10_000_000, "rps": rps, "p50_us": 5000, "p99_us": 9000,
             "non2xx": 0, "socket_errors": 0, **extra}]


def results(redis_2w_rps: float) -> dict:
    out = {}
    for op in ("get", "post"):
        out[("sandbox", op)] = result(4000)
        out[("redis-1w", op)] = result(1500, redis_reads=5000, redis_commands=130_000, redis_cpu_us=40, cpu_us=500)
        out[("redis-2w", op)] = result(redis_2w_rps, redis_reads=8000, redis_commands=130_000, redis_cpu_us=55,
                                       cpu_us=620)
        out[("prism", op)] = result(500)
    return out


def test_info_fields_are_the_numeric_lines():
    """INFO's numeric fields are read by name (counters as integers, CPU seconds as floats); section headers and
    other values are left out."""
    info = bench.parse_info("# Stats\r\ntotal_commands_processed:1234\r\ntotal_reads_processed:56\r\n"
                            "rdb_last_bgsave_status:ok\r\n\r\n# CPU\r\nused_cpu_sys:0.517211\r\n"
                            "executable:/usr/bin/redis-server\r\n")
    assert info == {"total_commands_processed": 1234, "total_reads_processed": 56, "used_cpu_sys": 0.517211}
    assert isinstance(info["total_reads_processed"], int)


@pytest.mark.parametrize("url, address", [
    ("redis://127.0.0.1:6380/0", ("127.0.0.1", 6380)),
    ("redis://:secret@cache.internal:7000/2", ("cache.internal", 7000)),
    ("redis://user:p%40ss@[::1]:6379", ("::1", 6379)),
    ("redis://cache", ("cache", 6379)),
])
def test_redis_url_gives_host_and_port(url, address):
    """The bench reads Redis's counters at the state URL's host and port (password left out, 6379 by default)."""
    assert bench.parse_redis_url(url) == address


def test_redis_share_below_target_is_reported():
    """The Redis state with 2 workers under 60% of the memory state's req/s is a missed target, on each operation."""
    table, failures, missed = bench.summarise(ARGS, results(2000), ["sandbox", "redis-1w", "redis-2w", "prism"], ALONE)
    assert not failures
    assert [m for m in missed if "2 workers" in m] == [
        "get: Redis state with 2 workers at 50% of the memory state's req/s (target ≥ 60%)",
        "post: Redis state with 2 workers at 50% of the memory state's req/s (target ≥ 60%)"]
    assert "| get-cart (GET …/detail) | sandbox, Redis, 2 workers | 2,000 |" in table


def test_share_of_memory_is_taken_round_by_round():
    """The Redis rows' share of the memory state's req/s is the median of each round's ratio (runs seconds apart),
    not the ratio of the medians: a slow stretch that hits both servers of a round cancels out."""
    rounds = results(0)
    for op in ("get", "post"):
        rounds[("sandbox", op)] = result(4000) + result(2000) + result(3000)   # the machine slows, then recovers
        rounds[("redis-2w", op)] = result(2800) + result(1400) + result(1500)  # 70%, 70%, 50%
        rounds[("redis-1w", op)] = rounds[("redis-2w", op)]
    _, _, missed = bench.summarise(Namespace(**{**vars(ARGS), "rounds": 3}), rounds,
                                   ["sandbox", "redis-1w", "redis-2w", "prism"], ALONE)
    assert missed == []   # the medians alone would give 1,500 / 3,000: 50%


def test_targets_met_and_round_trips_shown():
    """At 60% and the round trips within 2 and 3 the targets are met; the table shows round trips alone and live."""
    table, _, missed = bench.summarise(ARGS, results(2400), ["sandbox", "redis-1w", "redis-2w", "prism"], ALONE)
    assert missed == []
    assert "| 0 | 620 | 60% | 2 | 0.33 / 5.42 | 55 |" in table   # 8,000 reads, 130,000 commands, 24,000 requests
    assert "| 0 | 500 | 38% | 3 | 0.33 / 8.67 | 40 |" in table   # 5,000 and 130,000 over 15,000


def test_round_trips_over_target_are_reported():
    """More round trips than 2 per get-cart or 3 per add-to-cart (bench/roundtrips.py's counts) is a missed target."""
    more = {"get-cart (3 lines, b=true)": [2, 3], "add-to-cart (new user's cart)": [4]}
    _, _, missed = bench.summarise(ARGS, results(2400), ["sandbox", "redis-1w", "redis-2w", "prism"], more)
    assert missed == ["get: 3 round trips to Redis (target ≤ 2)", "post: 4 round trips to Redis (target ≤ 3)"]
