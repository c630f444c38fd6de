"""What the in-process bench scripts share (cpu.py, inprocess.py, memory.py): the benchmark's path and headers
and one ASGI call without HTTP.

Imports nothing of the sandbox: inprocess.py points it at other source trees.
"""
from __future__ import annotations

import asyncio

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
