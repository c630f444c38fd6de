"""What the in-process bench scripts share (cpu.py, inprocess.py, memory.py, roundtrips.py): the benchmark's
path and headers, one ASGI call without HTTP, and the Redis to measure on.

Imports nothing of the sandbox: inprocess.py points it at other source trees.
"""
from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
from pathlib import Path

BASE = "/service/platform/cart/v1.0/company/1/application/bench"
HEADERS = [(b"authorization", b"Bearer bench"), (b"content-type", b"application/json"), (b"host", b"bench")]


async def call(app, method: str, path: str, body: bytes = b"", query: bytes = b"") -> tuple[int, bytes]:
    """One request straight to the ASGI ``app`` (no server, no socket): its status and body."""
    sent = False
    status, chunks = 0, []

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()   # the client never disconnects

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    headers = [*HEADERS, (b"content-length", str(len(body)).encode())]
    await app({"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
               "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
               "headers": headers, "client": ("127.0.0.1", 1), "server": ("bench", 80)}, receive, send)
    return status, b"".join(chunks)


@contextlib.contextmanager
def state_url(given: str | None):
    """The Redis URL ``given`` (--state), else a redis-server of the script's own for the block (tests/rediskit.py's:
    a free loopback port, a temporary folder, no persistence)."""
    if given:
        yield given
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from rediskit import redis_server

    with tempfile.TemporaryDirectory(prefix="cartwright-bench-redis-") as folder, redis_server(Path(folder)) as url:
        yield url
