"""Benchmark: the Cartwright sandbox against Prism's static mock of the same spec and WireMock's static stubs.

Starts one sandbox process (the memory state), ``prism mock`` (from bench/node_modules), WireMock (the
standalone jar of npm's ``wiremock`` in bench/node_modules, under the machine's Java, serving the sandbox's
own get-cart and add-to-cart bodies as static stubs) and the floor (bench/floor.py: bare Starlette under the
same uvicorn, answering with a fixed cart body) on loopback; with ``--state redis``, also the sandbox on a
Redis state (a redis-server of the bench's own, or the URL given) with each ``--workers`` count. Warms
them up, then drives get-cart and add-to-cart against each with wrk from a separate process, interleaved
(every server on GET, then on POST; repeated), and reports the median of the rounds: requests/s, p50/p99
latency, the ratio to Prism, the Redis rows' share of the memory state's requests/s and their round trips
to Redis per request. Writes the table to stdout and bench/results.md.

Run it with ``bench/run.sh`` (which installs Prism and wrk first) or ``make bench``.
Standard library only; the sandbox runs under the project's venv.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SPEC = ROOT / "spec" / "openapi.yaml"
PRISM = BENCH / "node_modules" / ".bin" / "prism"
WIREMOCK_JARS = BENCH / "node_modules" / "wiremock" / "build"
BASE = "/service/platform/cart/v1.0/company/1/application/bench"
AUTH = "Authorization: Bearer bench-token"
GET_USER = "bench-get-user"
TARGET_RATIO, TARGET_P99_MS, MAX_NON2XX = 2.0, 15.0, 0.01
# The Redis state (issue 19): with 2 workers, this share of the memory state's requests/s at least; round
# trips to Redis per request at most (bench/roundtrips.py's operations that match the benchmark's requests).
TARGET_REDIS_WORKERS, TARGET_REDIS_SHARE = 2, 0.60
ROUND_TRIPS = {"get": ("get-cart (3 lines, b=true)", 2), "post": ("add-to-cart (new user's cart)", 3)}


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


@contextlib.contextmanager
def own_redis(log: Path):
    """A redis-server for the block, on a free loopback port in a temporary folder (no persistence);
    yields its port."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("bench: redis-server is missing (make redis installs Debian's), or give --state redis://...")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="cartwright-bench-redis-") as folder:
        proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", folder, "--save", "",
                                 "--appendonly", "no", "--logfile", str(log)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port, proc, "redis-server", timeout=20)
            yield port
        finally:
            proc.terminate()
            proc.wait(10)


def redis_stats(host: str, port: int) -> dict[str, float]:
    """Redis's own counters (INFO), read over a plain socket: ``total_reads_processed`` counts the read events
    it served (one per batch of commands a client wrote), ``total_commands_processed`` the commands (those a
    script runs included), ``used_cpu_user`` and ``used_cpu_sys`` its CPU seconds."""
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(b"INFO\r\n")
        data = b""
        while b"\r\n" not in data:
            data += s.recv(65536)
        head, _, data = data.partition(b"\r\n")
        size = int(head[1:])   # a bulk string: $<length>
        while len(data) < size:
            data += s.recv(65536)
    return parse_info(data[:size].decode())


def parse_info(text: str) -> dict[str, float]:
    """The numeric fields of an INFO answer (``name:value`` lines; section headers and other values left out)."""
    fields = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            with contextlib.suppress(ValueError):
                fields[name] = int(value) if value.strip().lstrip("-").isdigit() else float(value)
    return fields


def cpu_seconds(group: int) -> float:
    """CPU time (user and system) used so far by the live processes of a process group: a server and its
    workers. Counted per request, it says what a request costs whatever else the machine is running."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:   # gone meanwhile
            continue
        if int(fields[2]) == group:   # after the name: state, ppid, pgrp, …, utime (12th), stime (13th)
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def parse_redis_url(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 6379


def wiremock_root(folder: Path, get_body: bytes, post_body: bytes) -> Path:
    """WireMock's root folder: two static stubs, the benchmark's GET and POST …/detail answered with the
    sandbox's own get-cart and add-to-cart bodies (files under __files, as WireMock reads them)."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "mappings").mkdir(parents=True)
    (folder / "__files").mkdir()
    for method, name, body in (("GET", "get-cart", get_body), ("POST", "add-to-cart", post_body)):
        (folder / "__files" / f"{name}.json").write_bytes(body)
        (folder / "mappings" / f"{name}.json").write_text(json.dumps({
            "request": {"method": method, "urlPath": f"{BASE}/detail"},
            "response": {"status": 200, "headers": {"Content-Type": "application/json"},
                         "bodyFileName": f"{name}.json"}}, indent=2))
    return folder


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


def counts(value: str) -> list[int]:
    return [int(x) for x in value.split(",")]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=10, help="seconds per wrk run [10]")
    p.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per server and operation [3]")
    p.add_argument("--jvm-warmup", type=float, default=15,
                   help="seconds of warm-up per operation for WireMock, whose JIT compiler takes longer to settle [15]")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median is reported [3]")
    p.add_argument("--connections", type=int, default=32, help="wrk connections [32]")
    p.add_argument("--threads", type=int, default=2, help="wrk threads [2]")
    p.add_argument("--get-lines", type=int, default=3, help="items in the cart that get-cart reads [3]")
    p.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"), help="the sandbox's Python")
    p.add_argument("--no-prism", action="store_true", help="leave out Prism (no ratio)")
    p.add_argument("--no-wiremock", action="store_true", help="leave out WireMock")
    p.add_argument("--java", default=os.environ.get("JAVA", "java"), help="the Java that runs WireMock [$JAVA or java]")
    p.add_argument("--state", default="memory", metavar="memory|redis|redis://HOST:PORT/DB",
                   help="also the sandbox on a Redis state: `redis` starts a redis-server of the bench's own "
                        "(free port, temporary folder), a URL uses that Redis (its keys under bench-*); "
                        "the memory state's single process is always run beside it [memory]")
    p.add_argument("--workers", type=counts, default=[1, 2, 4], metavar="N[,N…]",
                   help="with a Redis state: one sandbox per count, served by that many worker processes [1,2,4]")
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
    jars = sorted(WIREMOCK_JARS.glob("wiremock-standalone-*.jar"))
    if not args.no_wiremock and not jars:
        raise SystemExit(f"bench: no WireMock jar in {WIREMOCK_JARS}; run bench/run.sh (npm ci --prefix bench)")
    if args.state != "memory" and args.state != "redis" and not args.state.startswith(("redis://", "rediss://")):
        raise SystemExit(f"bench: --state {args.state!r}: memory, redis or a redis:// URL")

    logs = BENCH / "logs"
    logs.mkdir(exist_ok=True)
    # A clean exit on Ctrl-C or SIGTERM, so the servers' process groups are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with ExitStack() as stack:
        ports = {"sandbox": free_port()}
        procs = {"sandbox": start(stack, "sandbox", [args.python, "-m", "cartwright.sandbox", "serve", "--port",
                                                     str(ports["sandbox"]), "--log-level", "warning",
                                                     *args.sandbox_args], logs / "sandbox.log")}
        redis_url, redis_at = None, None
        if args.state != "memory":
            if args.state == "redis":
                redis_port = stack.enter_context(own_redis(logs / "redis.log"))
                redis_url = f"redis://127.0.0.1:{redis_port}/0"
            else:
                redis_url = args.state
            redis_at = parse_redis_url(redis_url)
            for workers in args.workers:
                name = f"redis-{workers}w"
                ports[name] = free_port()
                procs[name] = start(stack, name, [args.python, "-m", "cartwright.sandbox", "serve", "--port", str(ports[name]),
                                                  "--log-level", "warning", "--state", redis_url,
                                                  "--state-prefix", f"bench-{workers}w:", "--workers", str(workers),
                                                  *args.sandbox_args], logs / f"sandbox-{name}.log")
        if not args.no_prism:
            ports["prism"] = free_port()
            procs["prism"] = start(stack, "prism", [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(ports["prism"]),
                                                    str(SPEC)], logs / "prism.log")
        for name, proc in procs.items():
            wait_for_port(ports[name], proc, name)
        sandboxes = [name for name in procs if name == "sandbox" or name.startswith("redis-")]
        # Each sandbox's own catalog (the Redis ones keep theirs in Redis; the same seed gives the same items).
        items = {name: items_in_stock(ports[name]) for name in sandboxes}
        if not all(items.values()):
            raise SystemExit("bench: no item in a sandbox's catalog has stock")
        # The floors and WireMock answer with the sandbox's own bodies, so all send the same bytes.
        prepare_sandbox(ports["sandbox"], items["sandbox"], args.get_lines)
        body = logs / "floor-body.json"
        body.write_bytes(json.dumps(call(ports["sandbox"], "GET", f"{BASE}/detail?user_id={GET_USER}&b=true")[1]).encode())
        item_id, size = items["sandbox"][0]
        status, added = call(ports["sandbox"], "POST", f"{BASE}/detail?b=true",
                             {"user_id": "bench-body-user", "items": [{"item_id": item_id, "item_size": size,
                                                                       "quantity": 1}]})
        if status != 200:
            raise SystemExit(f"bench: the add-to-cart body's request answered {status}: {added}")
        if not args.no_wiremock:
            root = wiremock_root(logs / "wiremock", body.read_bytes(), json.dumps(added).encode())
            ports["wiremock"] = free_port()
            # WireMock's own advice for load: no request journal (it keeps every request otherwise) and no
            # request logging; its other settings as they come (Jetty's default threads, no async responses).
            procs["wiremock"] = start(stack, "wiremock", [
                args.java, "-jar", str(jars[-1]), "--port", str(ports["wiremock"]), "--bind-address", "127.0.0.1",
                "--root-dir", str(root), "--no-request-journal", "--disable-request-logging", "--disable-banner"],
                logs / "wiremock.log")
            wait_for_port(ports["wiremock"], procs["wiremock"], "wiremock", timeout=120)
        floors = ([] if args.no_floor else [("floor", 0)]) + [(f"floor+{us}µs", us) for us in args.calibrate]
        for name, work_us in floors:
            ports[name] = free_port()
            procs[name] = start(stack, name, [args.python, str(BENCH / "floor.py"), str(ports[name])],
                                logs / f"floor{f'-{work_us}us' if work_us else ''}.log",
                                env={"CARTWRIGHT_FLOOR_BODY": str(body), "CARTWRIGHT_FLOOR_WORK_US": str(work_us)})
            wait_for_port(ports[name], procs[name], name)
        servers = list(ports)

        round_trips = {}
        if redis_url is not None:   # the round trips one request at a time (no batching with others'): exact
            out = subprocess.run([args.python, str(BENCH / "roundtrips.py"), "--state", redis_url, "--json"],
                                 cwd=ROOT, capture_output=True, text=True, timeout=300)
            if out.returncode:
                raise SystemExit(f"bench: roundtrips.py failed ({out.returncode}):\n{out.stderr}")
            round_trips = json.loads(out.stdout)

        def run(server: str, op: str, tag: str, duration: float) -> dict:
            if server in items:
                prepare_sandbox(ports[server], items[server], args.get_lines)
            before = redis_stats(*redis_at) if server.startswith("redis-") else None
            cpu = cpu_seconds(procs[server].pid)
            r = wrk(args, ports[server], op, items.get(server, items["sandbox"]), tag, duration)
            r["cpu_us"] = (cpu_seconds(procs[server].pid) - cpu) * 1e6 / r["requests"]
            if before is not None:   # under load: Redis's read events, commands and CPU per request
                after = redis_stats(*redis_at)
                r["redis_reads"] = after["total_reads_processed"] - before["total_reads_processed"]
                r["redis_commands"] = after["total_commands_processed"] - before["total_commands_processed"]
                r["redis_cpu_us"] = ((after["used_cpu_user"] + after["used_cpu_sys"] - before["used_cpu_user"]
                                      - before["used_cpu_sys"]) * 1e6 / r["requests"])
            if procs[server].poll() is not None:
                raise SystemExit(f"bench: {server} died during {op} (see {logs})")
            return r

        print("bench: " + ", ".join(f"{name} on :{port}" for name, port in ports.items())
              + f"; wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, {args.rounds} rounds",
              file=sys.stderr)
        for op in ("get", "post"):
            for server in servers:
                run(server, op, f"warm{server}{op}", args.jvm_warmup if server == "wiremock" else args.warmup)
        results: dict[tuple[str, str], list[dict]] = {}
        for n in range(args.rounds):
            for op in ("get", "post"):
                for server in servers:
                    r = run(server, op, f"r{n}", args.duration)
                    results.setdefault((server, op), []).append(r)
                    live = (f"  Redis reads/req {r['redis_reads'] / r['requests']:.2f}, CPU µs/req "
                            f"{r['redis_cpu_us']:.0f}" if "redis_reads" in r else "")
                    print(f"  round {n + 1} {server:12} {op:4} {r['rps']:8.0f} req/s  p50 {r['p50_us'] / 1000:6.2f} ms"
                          f"  p99 {r['p99_us'] / 1000:6.2f} ms  non-2xx {r['non2xx']}  CPU µs/req {r['cpu_us']:5.0f}{live}", file=sys.stderr)
        for name in sandboxes:
            call(ports[name], "POST", "/_cartwright/reset")

    table, failures, missed = summarise(args, results, servers, round_trips)
    print(table)
    args.output.write_text(table)
    print(f"bench: written to {args.output}", file=sys.stderr)
    for f in failures:
        print(f"bench: FAIL: {f}", file=sys.stderr)
    for m in missed:
        print(f"bench: target missed: {m}", file=sys.stderr)
    return 2 if failures else (1 if args.check and missed else 0)


def label(server: str) -> str:
    if server == "sandbox":
        return "sandbox, memory, 1 process"
    if server.startswith("redis-"):
        workers = int(server.removeprefix("redis-").removesuffix("w"))
        return f"sandbox, Redis, {workers} worker{'s' if workers > 1 else ''}"
    return {"prism": "Prism", "wiremock": "WireMock"}.get(server, server)


def summarise(args, results, servers, round_trips=None) -> tuple[str, list[str], list[str]]:
    """The Markdown table (medians of the rounds), the failures (too many errors) and the targets missed."""
    def med(server, op, key):
        return statistics.median(r[key] for r in results[(server, op)])

    redis = [s for s in servers if s.startswith("redis-")]
    failures, missed = [], []

    def redis_cells(server: str, op: str) -> str:
        """The Redis columns of a row (dashes for a server not on Redis); a target it misses goes into ``missed``."""
        if server not in redis:
            return " — | — | — | — |"
        runs = results[(server, op)]
        # Round by round (the two ran a few seconds apart), then the median.
        share = statistics.median(r["rps"] / m["rps"] for r, m in zip(runs, results[("sandbox", op)]))
        if server == f"redis-{TARGET_REDIS_WORKERS}w" and share < TARGET_REDIS_SHARE:
            missed.append(f"{op}: Redis state with {TARGET_REDIS_WORKERS} workers at {share:.0%} of the "
                          f"memory state's req/s (target ≥ {TARGET_REDIS_SHARE:.0%})")
        alone = live = redis_cpu = "—"
        if "redis_reads" in runs[0]:
            requests = med(server, op, "requests")
            live = f"{med(server, op, 'redis_reads') / requests:.2f} / {med(server, op, 'redis_commands') / requests:.2f}"
            redis_cpu = f"{med(server, op, 'redis_cpu_us'):,.0f}"
        operation, most = ROUND_TRIPS[op]
        if round_trips and operation in round_trips:
            alone = str(max(round_trips[operation]))
            if server == redis[0] and max(round_trips[operation]) > most:
                missed.append(f"{op}: {alone} round trips to Redis (target ≤ {most})")
        return f" {share:.0%} | {alone} | {live} | {redis_cpu} |"

    for (server, op), runs in results.items():
        total, bad = sum(r["requests"] for r in runs), sum(r["non2xx"] + r["socket_errors"] for r in runs)
        if bad > MAX_NON2XX * total:
            failures.append(f"{server} {op}: {bad} of {total} responses were errors (status ≥ 400 or socket)")
    names = {"get": "get-cart (GET …/detail)", "post": "add-to-cart (POST …/detail)"}
    head = "| operation | server | req/s | p50 ms | p99 ms | ratio to Prism | errors | server CPU µs per request |"
    rule = "|---|---|---:|---:|---:|---:|---:|---:|"
    if redis:
        head += (" of memory's req/s | Redis round trips, one request alone | Redis reads / commands per request under "
                 "load | Redis CPU µs per request |")
        rule += "---:|---:|---:|---:|"
    lines = [
        f"Median of {args.rounds} interleaved rounds; wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration:g}s on loopback; {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}; arrival order "
        f"{'off' if os.environ.get('CARTWRIGHT_ARRIVAL_ORDER', 'true').lower() in ('0', 'false', 'no') else 'on'}"
        " (CARTWRIGHT_ARRIVAL_ORDER, sandbox and floors alike)"
        + ("; the Redis rows share one redis-server on the same machine." if redis else "."),
        "",
        head,
        rule,
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
            cpu = f"{med(server, op, 'cpu_us'):,.0f}" if "cpu_us" in results[(server, op)][0] else "—"
            row = f"| {names[op]} | {label(server)} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {ratio} | {errors} | {cpu} |"
            if redis:
                row += redis_cells(server, op)
            lines.append(row)
    targets = f"Targets: ≥ {TARGET_RATIO:g}× Prism on both operations, sandbox p99 ≤ {TARGET_P99_MS:g} ms"
    if redis:
        targets += (f"; the Redis state with {TARGET_REDIS_WORKERS} workers ≥ {TARGET_REDIS_SHARE:.0%} of the memory "
                    f"state's req/s, ≤ {ROUND_TRIPS['get'][1]} round trips to Redis per get-cart and "
                    f"≤ {ROUND_TRIPS['post'][1]} per add-to-cart")
    lines += ["", targets + ": " + ("met." if not missed else "missed (" + "; ".join(missed) + ")."), ""]
    if round_trips:
        lines += ["Round trips to Redis per request, one request at a time (`bench/roundtrips.py`):", "",
                  "| operation | round trips |", "|---|---:|"]
        lines += [f"| {name} | {min(c) if min(c) == max(c) else f'{min(c)}-{max(c)}'} |"
                  for name, c in round_trips.items()]
        lines.append("")
    return "\n".join(lines), failures, missed


if __name__ == "__main__":
    sys.exit(main())
