"""Memory per cart: RSS of one sandbox process before and after N one-line carts (issue: ≤ 150 MB for 100,000).

Not a test: a measurement. Builds an in-process sandbox (the default in-memory state), makes ``--carts`` carts
of one line each through the whole HTTP stack in process (ASGI calls, so validation and serialising run as
they do when served), and reports the resident set size before and after, per cart, and what the state
itself holds (bytes of stored records). Usage: ``.venv/bin/python bench/memory.py [--carts 100000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchkit import BASE, call  # noqa: E402


def rss_mb() -> float:
    """This process's resident set size now, in MB (from /proc; ru_maxrss is the peak)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 1e6


async def fill(app, carts: int) -> float:
    catalog = app.sandbox.catalog
    sizes = [(a.item_id, a.size) for a in catalog.articles if a.stock >= 1]
    started = time.perf_counter()
    for n in range(carts):
        item_id, size = sizes[n % len(sizes)]
        body = json.dumps({"user_id": f"user-{n}", "items": [{"item_id": item_id, "item_size": size}]}).encode()
        status, _ = await call(app, "POST", f"{BASE}/detail", body)
        if status != 200:
            raise SystemExit(f"bench: cart {n} answered {status}")
    return time.perf_counter() - started


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--carts", type=int, default=100_000)
    args = p.parse_args()
    import warnings

    warnings.filterwarnings("ignore")
    from cartwright.sandbox import Settings, create_app

    app = create_app(Settings(carts_per_application=0, max_carts=0, arrival_order=False))
    asyncio.run(call(app, "GET", "/_cartwright/health"))   # warm: the first request builds the caches
    gc.collect()
    before = rss_mb()
    took = asyncio.run(fill(app, args.carts))
    app.sandbox.state._decoded.clear()   # the read cache is bounded (4,096 carts); what is left is the state
    gc.collect()
    after = rss_mb()
    storage = app.sandbox.storage
    stored = sum(len(k) + len(v) for parts in storage._tables.values() for records in parts.values()
                 for k, v in records.items() if isinstance(v, (bytes, str)))
    print(f"{args.carts:,} one-line carts in {took:.1f} s ({args.carts / took:,.0f}/s)")
    print(f"RSS {before:.1f} MB empty -> {after:.1f} MB: {after - before:.1f} MB above the empty sandbox "
          f"({(after - before) * 1e6 / args.carts:,.0f} bytes per cart)")
    print(f"stored records and keys: {stored / 1e6:.1f} MB ({stored / args.carts:,.0f} bytes per cart)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
