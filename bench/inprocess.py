"""µs per request in process (one ASGI call, no HTTP): `python bench/inprocess.py [--compare A B ...]`.

Not a test: a measurement of what the web layer and the handler cost per request, without the network,
uvicorn or wrk. The benchmark's two requests: get-cart (a 3-line cart, ``b=true``) and add-to-cart (one
item for a fresh user each request, cycling through the item sizes with stock). Arrival order is off (it
costs a loop turn, not work); start-up state is frozen out of the collector, as ``cartwright serve`` does.

``--compare`` runs each configuration in a process of its own, alternately, ``--rounds`` times, and prints
each one's median and best round: the alternating method of bench/README.md. A configuration is
``SOURCE_TREE`` or ``SOURCE_TREE:VARIANT`` (a variant turns one piece of the old code's machinery off, to
measure what it gains; see ``VARIANTS``). Without ``--compare`` it measures this tree and prints one line.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchkit import BASE, call


def _swap_middleware(old_name: str, new: str):
    """A variant replacing the middleware class named ``old_name`` in ``sandbox.web.app.MIDDLEWARES``."""
    def apply() -> None:
        import importlib

        from sandbox.web import app

        module, _, name = new.rpartition(".")
        replacement = getattr(importlib.import_module(module), name)
        app.MIDDLEWARES[:] = [replacement if m.__name__ == old_name else m for m in app.MIDDLEWARES]
    return apply


VARIANTS = {
    # The old code (before issue 21) with one of its per-request caches off.
    "no-routing-cache": lambda: (
        _swap_middleware("CachingRoutingMiddleware", "connexion.middleware.routing.RoutingMiddleware")(),
        _swap_middleware("CachingSwaggerUIMiddleware", "sandbox.web.served_spec.SpecServingSwaggerUIMiddleware")()),
    "no-security-cache": _swap_middleware("CachingSecurityMiddleware",
                                          "connexion.middleware.security.SecurityMiddleware"),
}


async def measure(app, requests: int, rounds: int) -> dict[str, list[float]]:
    """µs per request of each round, per operation (get-cart and add-to-cart rounds interleaved)."""
    sizes = [(a.item_id, a.size) for a in app.sandbox.catalog.articles if a.stock >= 1]
    for item_id, size in sizes[:3]:
        body = json.dumps({"user_id": "reader", "items": [{"item_id": item_id, "item_size": size}]}).encode()
        assert (await call(app, "POST", f"{BASE}/detail", body))[0] == 200
    counter = iter(range(10 ** 9))

    async def get_cart() -> int:
        return (await call(app, "GET", f"{BASE}/detail", query=b"user_id=reader&b=true"))[0]

    async def add_to_cart() -> int:
        n = next(counter)
        item_id, size = sizes[n % len(sizes)]
        body = (b'{"user_id": "bench-%d", "items": [{"item_id": %d, "item_size": "%s", "quantity": 1}]}'
                % (n, item_id, size.encode()))
        return (await call(app, "POST", f"{BASE}/detail", body, query=b"b=true"))[0]

    results: dict[str, list[float]] = {"get-cart": [], "add-to-cart": []}
    for name, request in (("get-cart", get_cart), ("add-to-cart", add_to_cart)):   # warm-up
        for _ in range(200):
            assert await request() == 200, name
    gc.collect()
    gc.freeze()
    for _ in range(rounds):
        for name, request in (("get-cart", get_cart), ("add-to-cart", add_to_cart)):
            started = time.perf_counter()
            for _ in range(requests):
                await request()
            results[name].append((time.perf_counter() - started) / requests * 1e6)
    return results


def run_here(args) -> None:
    import warnings

    warnings.filterwarnings("ignore")
    if args.variant:
        VARIANTS[args.variant]()
    # The tree's own folder, by its top-level name: `cartwright.sandbox` is the venv's editable install, this
    # tree whatever --root says (and older trees have no `cartwright` name at all).
    from sandbox import Settings, create_app

    app = create_app(Settings(arrival_order=False))
    results = asyncio.run(measure(app, args.requests, args.rounds))
    print(json.dumps({name: min(values) for name, values in results.items()}))


def compare(args) -> None:
    configurations = args.compare
    got: dict[str, dict[str, list[float]]] = {c: {"get-cart": [], "add-to-cart": []} for c in configurations}
    for _ in range(args.alternations):
        for configuration in configurations:
            root, _, variant = configuration.partition(":")
            argv = [sys.executable, str(Path(__file__).resolve()), "--root", root, "--requests", str(args.requests),
                    "--rounds", str(args.rounds)] + (["--variant", variant] if variant else [])
            out = subprocess.run(argv, capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
            for name, value in json.loads(out.stdout.strip().splitlines()[-1]).items():
                got[configuration][name].append(value)
    print(f"µs per request, best of {args.rounds} rounds of {args.requests} in each process; "
          f"{args.alternations} processes per configuration, run alternately")
    print("| configuration | get-cart median (best) | add-to-cart median (best) | runs get / add |")
    print("|---|---:|---:|---|")
    for configuration, values in got.items():
        cells = [f"{statistics.median(values[op]):.0f} ({min(values[op]):.0f})" for op in ("get-cart", "add-to-cart")]
        runs = " / ".join(", ".join(f"{v:.0f}" for v in values[op]) for op in ("get-cart", "add-to-cart"))
        print(f"| {configuration} | {cells[0]} | {cells[1]} | {runs} |")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", default=str(Path(__file__).resolve().parent.parent), help="source tree to import")
    p.add_argument("--variant", choices=sorted(VARIANTS))
    p.add_argument("--requests", type=int, default=2000, help="requests per round [2000]")
    p.add_argument("--rounds", type=int, default=5, help="rounds per process [5]")
    p.add_argument("--compare", nargs="+", metavar="TREE[:VARIANT]")
    p.add_argument("--alternations", type=int, default=5, help="processes per configuration with --compare [5]")
    args = p.parse_args()
    if args.compare:
        compare(args)
        return 0
    sys.path.insert(0, args.root)
    run_here(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
