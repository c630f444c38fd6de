"""CPU per request in process, memory state against Redis state: `python bench/cpu.py [--state redis://...]`.

Calls the sandbox's ASGI app directly (no HTTP, no server), one request at a time on one event loop (uvloop,
as `cartwright serve` runs), and measures the process's CPU time (``time.process_time``) per get-cart (3
lines, b=true) and per add-to-cart (a new user's cart), in rounds that alternate between a memory-state app
and a Redis-state app, so that the machine's other work weighs on both alike. Also counts the Redis round
trips per request (``RedisStorage.exchanges``). Prints the median of the rounds, in µs.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
import uuid
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchkit import BASE, call, state_url  # noqa: E402

from cartwright.sandbox import Settings, create_app  # noqa: E402
from cartwright.sandbox.state.redis import RedisStorage  # noqa: E402


async def lifespan(app):
    """Start the app's lifespan (as a server does); answers a function that ends it."""
    queue: asyncio.Queue = asyncio.Queue()
    started = asyncio.get_running_loop().create_future()
    await queue.put({"type": "lifespan.startup"})

    async def send(message):
        if message["type"].startswith("lifespan.startup") and not started.done():
            started.set_result(message)

    task = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}}, queue.get, send))
    await started

    async def end():
        await queue.put({"type": "lifespan.shutdown"})
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)
    return end


class Subject:
    def __init__(self, name: str, app, storage: RedisStorage | None) -> None:
        self.name, self.app, self.storage = name, app, storage
        self.articles = [a for a in app.sandbox.catalog.articles if a.stock >= 1_000_000][:3] or \
            sorted(app.sandbox.catalog.articles, key=lambda a: -a.stock)[:3]
        self.n = 0

    async def prepare(self) -> None:
        for a in self.articles:
            status, text = await call(self.app, "POST", f"{BASE}/detail", orjson.dumps(
                {"user_id": "reader", "items": [item(a)]}))
            assert status == 200, text

    async def get_cart(self) -> None:
        status, text = await call(self.app, "GET", f"{BASE}/detail", query=b"user_id=reader&b=true")
        assert status == 200, text

    async def add_to_cart(self) -> None:
        self.n += 1
        status, text = await call(self.app, "POST", f"{BASE}/detail", orjson.dumps(
            {"user_id": f"new-{uuid.uuid4().hex[:6]}-{self.n}", "items": [item(self.articles[0])]}), b"b=true")
        assert status == 200, text


def item(a) -> dict:
    return {"item_id": a.item_id, "item_size": a.size, "quantity": 1}


async def measure(url: str, rounds: int, requests: int) -> dict:
    settings = Settings(catalog_size=50)
    storage = RedisStorage(url, prefix=f"cpu-{uuid.uuid4().hex[:8]}:")
    subjects = [Subject("memory", create_app(settings), None), Subject("redis", create_app(settings, storage), storage)]
    ends = [await lifespan(s.app) for s in subjects]
    for s in subjects:
        await s.prepare()
        for _ in range(50):   # warm up (what pricing reads is learnt)
            await s.get_cart()
            await s.add_to_cart()
    cpu: dict = {}
    trips: dict = {}
    for _ in range(rounds):
        for operation in ("get_cart", "add_to_cart"):
            for s in subjects:
                run = getattr(s, operation)
                before_trips = s.storage.exchanges if s.storage else 0
                start = time.process_time()
                for _ in range(requests):
                    await run()
                cpu.setdefault((operation, s.name), []).append((time.process_time() - start) / requests * 1e6)
                if s.storage:
                    trips.setdefault(operation, []).append((s.storage.exchanges - before_trips) / requests)
    for end in ends:
        await end()
    return {"cpu": {f"{op} {name}": statistics.median(v) for (op, name), v in cpu.items()},
            "rounds": {f"{op} {name}": [round(x) for x in v] for (op, name), v in cpu.items()},
            "round trips": {op: max(v) for op, v in trips.items()}}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--state", help="a Redis URL (default: a redis-server of this script's own)")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--requests", type=int, default=300, help="requests per operation and round")
    args = p.parse_args(argv)
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:   # pragma: no cover
        runner = asyncio.run
    with state_url(args.state) as url:
        result = runner(measure(url, args.rounds, args.requests))
    cpu = result["cpu"]
    print("| operation | memory µs | Redis µs | Redis / memory | Redis round trips |\n|---|---:|---:|---:|---:|")
    for op in ("get_cart", "add_to_cart"):
        m, r = cpu[f"{op} memory"], cpu[f"{op} redis"]
        print(f"| {op.replace('_', '-')} | {m:.0f} | {r:.0f} | {r / m:.2f} | {result['round trips'][op]:g} |")
    print("rounds (µs):", orjson.dumps(result["rounds"]).decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
