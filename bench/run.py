"""Benchmark: the Cartwright sandbox against Prism's static mock of the same spec.

Starts one sandbox process, ``prism mock`` (from bench/node_modules) and the floor (bench/floor.py: bare
Starlette under the same uvicorn, answering with a fixed cart body) on loopback, warms them up, then
drives get-cart and add-to-cart against each with wrk from a separate process, interleaved (sandbox,
Prism, floor; GET, then POST; repeated), and reports the median of the rounds: requests/s, p50/p99
latency and the ratio to Prism. Writes the table to stdout and bench/results.md.

Run it with ``bench/run.sh`` (which installs Prism and wrk first) or ``make bench``.
Standard library only; the sandbox runs under the project's venv.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SPEC = ROOT / "spec" / "openapi.yaml"
PRISM = BENCH / "node_modules" / ".bin" / "prism"
BASE = "/service/platform/cart/v1.0/company/1/application/bench"
AUTH = "Authorization: Bearer bench-token"
GET_USER = "bench-get-user"
TARGET_RATIO, TARGET_P99_MS, MAX_NON2XX = 2.0, 15.0, 0.01


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench: {name} exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"bench: {name} is not listening on port {port} after {timeout:.0f}s")


def start(stack: ExitStack, name: str, argv: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    """A server in its own process group, stopped (group and all) when the stack closes."""
    out = stack.enter_context(log.open("w"))
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, **(env or {})})

    def stop() -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    stack.callback(stop)
    return proc


def call(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Authorization": "Bearer bench-token",
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def items_in_stock(port: int) -> list[tuple[int, str]]:
    _, catalog = call(port, "GET", "/_cartwright/catalog")
    return [(p["item_id"], s["size"]) for p in catalog["products"] for s in p["sizes"]
            if any(a["stock"] > 0 for a in s["articles"]) and not set(s["size"]) & set('"\\')]


def prepare_sandbox(port: int, items: list[tuple[int, str]], lines: int) -> None:
    """Forget every cart, then give the get-cart user a cart of ``lines`` items."""
    status, _ = call(port, "POST", "/_cartwright/reset")
    if status >= 300:
        raise SystemExit(f"bench: reset answered {status}")
    for item_id, size in items[:lines]:
        status, body = call(port, "POST", f"{BASE}/detail?b=true",
                            {"user_id": GET_USER, "items": [{"item_id": item_id, "item_size": size, "quantity": 1}]})
        if status != 200:
            raise SystemExit(f"bench: preparing the get-cart user's cart answered {status}: {body}")


def wrk(args, port: int, op: str, items: list[tuple[int, str]], tag: str, duration: float) -> dict:
    if op == "get":
        argv = ["-s", "get.lua", f"http://127.0.0.1:{port}{BASE}/detail?user_id={GET_USER}&b=true"]
    else:
        argv = ["-s", "post.lua", f"http://127.0.0.1:{port}{BASE}/detail?b=true", "--", tag,
                *(f"{i}:{s}" for i, s in items)]
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration:g}s", "--timeout", "5s", "-H", AUTH,
           *argv]
    out = subprocess.run(cmd, cwd=BENCH, capture_output=True, text=True, timeout=duration + 60)
    line = next((l for l in out.stdout.splitlines() if l.startswith("WRK_JSON ")), None)
    if out.returncode or line is None:
        raise SystemExit(f"bench: wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    r = json.loads(line.removeprefix("WRK_JSON "))
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=10, help="seconds per wrk run [10]")
    p.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per server and operation [3]")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median is reported [3]")
    p.add_argument("--connections", type=int, default=32, help="wrk connections [32]")
    p.add_argument("--threads", type=int, default=2, help="wrk threads [2]")
    p.add_argument("--get-lines", type=int, default=3, help="items in the cart that get-cart reads [3]")
    p.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"), help="the sandbox's Python")
    p.add_argument("--no-prism", action="store_true", help="benchmark the sandbox alone (no ratio)")
    p.add_argument("--no-floor", action="store_true",
                   help="leave out the floor (bare Starlette under the same uvicorn, a fixed cart body)")
    p.add_argument("--calibrate", type=lambda v: [int(x) for x in v.split(",")], default=[], metavar="US[,US…]",
                   help="also run the floor with this many µs of busy work per request (one series per value), "
                        "to see the latency a known cost per request gives on this machine")
    p.add_argument("--output", type=Path, default=BENCH / "results.md", help="Markdown results [bench/results.md]")
    p.add_argument("--check", action="store_true", help="exit 1 if a target (ratio, p99) is missed")
    p.add_argument("sandbox_args", nargs="*", help="extra arguments for `sandbox serve` (after --)")
    args = p.parse_args(argv)
    if not args.no_prism and not PRISM.exists():
        raise SystemExit(f"bench: {PRISM} is missing; run bench/run.sh (npm ci --prefix bench)")

    logs = BENCH / "logs"
    logs.mkdir(exist_ok=True)
    # A clean exit on Ctrl-C or SIGTERM, so the servers' process groups are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with ExitStack() as stack:
        ports = {"sandbox": free_port()}
        procs = {"sandbox": start(stack, "sandbox", [args.python, "-m", "cartwright.sandbox", "serve", "--port",
                                                     str(ports["sandbox"]), "--log-level", "warning",
                                                     *args.sandbox_args], logs / "sandbox.log")}
        if not args.no_prism:
            ports["prism"] = free_port()
            procs["prism"] = start(stack, "prism", [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(ports["prism"]),
                                                    str(SPEC)], logs / "prism.log")
        for name, proc in procs.items():
            wait_for_port(ports[name], proc, name)
        items = items_in_stock(ports["sandbox"])
        if not items:
            raise SystemExit("bench: no item in the sandbox's catalog has stock")
        # The floors answer with the sandbox's own get-cart body, so all send the same bytes.
        floors = ([] if args.no_floor else [("floor", 0)]) + [(f"floor+{us}µs", us) for us in args.calibrate]
        if floors:
            prepare_sandbox(ports["sandbox"], items, args.get_lines)
            body = logs / "floor-body.json"
            body.write_text(json.dumps(call(ports["sandbox"], "GET", f"{BASE}/detail?user_id={GET_USER}&b=true")[1]))
        for name, work_us in floors:
            ports[name] = free_port()
            procs[name] = start(stack, name, [args.python, str(BENCH / "floor.py"), str(ports[name])],
                                logs / f"floor{f'-{work_us}us' if work_us else ''}.log",
                                env={"CARTWRIGHT_FLOOR_BODY": str(body), "CARTWRIGHT_FLOOR_WORK_US": str(work_us)})
            wait_for_port(ports[name], procs[name], name)
        servers = list(ports)

        def run(server: str, op: str, tag: str, duration: float) -> dict:
            if server == "sandbox":
                prepare_sandbox(ports[server], items, args.get_lines)
            r = wrk(args, ports[server], op, items, tag, duration)
            if procs[server].poll() is not None:
                raise SystemExit(f"bench: {server} died during {op} (see {logs / (server + '.log')})")
            return r

        print("bench: " + ", ".join(f"{name} on :{port}" for name, port in ports.items())
              + f"; wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, {args.rounds} rounds",
              file=sys.stderr)
        for op in ("get", "post"):
            for server in servers:
                run(server, op, f"warm{server}{op}", args.warmup)
        results: dict[tuple[str, str], list[dict]] = {}
        for n in range(args.rounds):
            for op in ("get", "post"):
                for server in servers:
                    r = run(server, op, f"r{n}", args.duration)
                    results.setdefault((server, op), []).append(r)
                    print(f"  round {n + 1} {server:12} {op:4} {r['rps']:8.0f} req/s  p50 {r['p50_us'] / 1000:6.2f} ms"
                          f"  p99 {r['p99_us'] / 1000:6.2f} ms  non-2xx {r['non2xx']}", file=sys.stderr)
        if "sandbox" in procs:
            call(ports["sandbox"], "POST", "/_cartwright/reset")

    table, failures, missed = summarise(args, results, servers)
    print(table)
    args.output.write_text(table)
    print(f"bench: written to {args.output}", file=sys.stderr)
    for f in failures:
        print(f"bench: FAIL: {f}", file=sys.stderr)
    for m in missed:
        print(f"bench: target missed: {m}", file=sys.stderr)
    return 2 if failures else (1 if args.check and missed else 0)


def summarise(args, results, servers) -> tuple[str, list[str], list[str]]:
    def med(server, op, key):
        return statistics.median(r[key] for r in results[(server, op)])

    failures, missed = [], []
    for (server, op), runs in results.items():
        total, bad = sum(r["requests"] for r in runs), sum(r["non2xx"] + r["socket_errors"] for r in runs)
        if bad > MAX_NON2XX * total:
            failures.append(f"{server} {op}: {bad} of {total} responses were errors (status ≥ 400 or socket)")
    names = {"get": "get-cart (GET …/detail)", "post": "add-to-cart (POST …/detail)"}
    lines = [
        f"Median of {args.rounds} interleaved rounds; wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration:g}s on loopback; one sandbox process; {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}; arrival order "
        f"{'off' if os.environ.get('CARTWRIGHT_ARRIVAL_ORDER', 'true').lower() in ('0', 'false', 'no') else 'on'}"
        " (CARTWRIGHT_ARRIVAL_ORDER, sandbox and floors alike).",
        "",
        "| operation | server | req/s | p50 ms | p99 ms | ratio to Prism | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for op in ("get", "post"):
        for server in servers:
            rps, p50, p99 = med(server, op, "rps"), med(server, op, "p50_us") / 1000, med(server, op, "p99_us") / 1000
            errors = sum(r["non2xx"] + r["socket_errors"] for r in results[(server, op)])
            ratio = "—"
            if "prism" in servers:
                value = rps / med("prism", op, "rps")
                ratio = f"{value:.2f}×"
                if server == "sandbox" and value < TARGET_RATIO:
                    missed.append(f"{op}: {value:.2f}× Prism (target ≥ {TARGET_RATIO:g}×)")
            if server == "sandbox" and p99 > TARGET_P99_MS:
                missed.append(f"{op}: p99 {p99:.1f} ms (target ≤ {TARGET_P99_MS:g} ms)")
            lines.append(f"| {names[op]} | {server} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {ratio} | {errors} |")
    lines += ["", f"Targets: ≥ {TARGET_RATIO:g}× Prism on both operations, sandbox p99 ≤ {TARGET_P99_MS:g} ms: "
              + ("met." if not missed else "missed (" + "; ".join(missed) + ")."), ""]
    return "\n".join(lines), failures, missed


if __name__ == "__main__":
    sys.exit(main())
