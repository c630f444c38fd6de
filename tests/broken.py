"""Deliberately broken sandboxes for the conformance checks: an ASGI middleware rewriting JSON answers."""
from __future__ import annotations

import json
from typing import Callable


class RewriteJson:
    """Wraps an ASGI app; every JSON answer whose request path ends with ``path_suffix`` (and whose method
    is ``method``, when given) is passed through ``rewrite(body) -> body`` before it is sent."""

    def __init__(self, app, rewrite: Callable[[dict], dict], path_suffix: str = "", method: str | None = None):
        self.app, self.rewrite, self.path_suffix, self.method = app, rewrite, path_suffix, method

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].endswith(self.path_suffix) or (
                self.method and scope["method"] != self.method):
            return await self.app(scope, receive, send)
        start, chunks = None, []

        async def capture(message):
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body":
                return await send(message)
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            try:
                body = json.dumps(self.rewrite(json.loads(body))).encode()
            except ValueError:
                pass
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            await send({**start, "headers": headers + [(b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


def cart_of(body: dict) -> dict:
    """The cart object of a cart answer (itself, or its ``cart``)."""
    return body["cart"] if isinstance(body.get("cart"), dict) else body
