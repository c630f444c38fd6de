"""Refuse request bodies over a size limit before anything parses them."""

from __future__ import annotations

from .errors import error_bytes


class BodyLimit:
    """ASGI middleware: a body over ``limit`` bytes gets 413 in the API's error shape."""

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self._refuse(scope, send)
        if declared is not None:
            return await self.app(scope, receive, send)
        # No declared length (chunked): read it all, counting, then replay it.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            size += len(message.get("body", b""))
            if size > self.limit:
                return await self._refuse(scope, send)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body, done = b"".join(chunks), False

        async def replay():
            nonlocal done
            if done:
                return await receive()
            done = True
            return {"type": "http.request", "body": body, "more_body": False}

        # Read whole, the body has a length: say it, as a proxy taking chunks off would. Connexion's body
        # validation reads Content-Length to tell a missing body, and refused every chunked one.
        headers = [h for h in scope["headers"] if h[0] != b"transfer-encoding"]
        headers.append((b"content-length", str(len(body)).encode()))
        return await self.app({**scope, "headers": headers}, replay, send)

    async def _refuse(self, scope, send):
        body = error_bytes(scope["path"], 413, f"request body larger than {self.limit} bytes")
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
