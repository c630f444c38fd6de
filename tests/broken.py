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


class RewriteStatus:
    """Wraps an ASGI app; answers to requests whose path ends with ``path_suffix`` (and whose method is
    ``method``, when given) get ``status(old_status, query_string) -> new_status``; when ``body`` is given
    and the status changed, the body is replaced by ``json.dumps(body)``."""

    def __init__(self, app, status: Callable[[int, str], int], path_suffix: str = "", method: str | None = None,
                 body: dict | None = None):
        self.app, self.status, self.path_suffix, self.method, self.body = app, status, path_suffix, method, body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].endswith(self.path_suffix) or (
                self.method and scope["method"] != self.method):
            return await self.app(scope, receive, send)
        query = scope.get("query_string", b"").decode("latin-1")
        start, changed = None, False

        async def rewrite(message):
            nonlocal start, changed
            if message["type"] == "http.response.start":
                new = self.status(message["status"], query)
                changed = new != message["status"]
                start = {**message, "status": new}
                if not (changed and self.body is not None):
                    await send(start)
                return
            if message["type"] == "http.response.body" and changed and self.body is not None:
                if message.get("more_body"):
                    return
                body = json.dumps(self.body).encode()
                headers = [(k, v) for k, v in start["headers"] if k.lower() not in (b"content-length", b"content-type")]
                await send({**start, "headers": headers + [(b"content-type", b"application/json"),
                                                           (b"content-length", str(len(body)).encode())]})
                return await send({"type": "http.response.body", "body": body})
            await send(message)

        await self.app(scope, receive, rewrite)


class StaleCount:
    """Wraps an ASGI app; ``GET …/basic`` answers, for each query string (so each cart id), the first body it gave
    for it, however the cart changes after: an item count read once and cached."""

    def __init__(self, app):
        self.app, self.first = app, {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].endswith("/basic"):
            return await self.app(scope, receive, send)
        key = scope.get("query_string", b"")
        if key in self.first:
            start, body = self.first[key]
            await send(start)
            return await send({"type": "http.response.body", "body": body})
        start, chunks = None, []

        async def capture(message):
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    if start["status"] == 200:
                        self.first[key] = (start, b"".join(chunks))
                    await send(start)
                    await send({"type": "http.response.body", "body": b"".join(chunks)})
            else:
                await send(message)

        await self.app(scope, receive, capture)


def empty_cart_for_unknown_ids(app):
    """``GET …/detail`` answering an unknown cart id (an archived one included) with 200 and an empty cart of
    another id instead of 404, as a deployment resetting carts might."""
    zero = {k: 0 for k in ("coupon", "gst_charges", "mrp_total", "fynd_cash", "vog", "gift_card", "cod_charge",
                           "total", "discount", "delivery_charge", "you_saved", "subtotal", "convenience_fee")}
    empty = {"id": "0" * 24, "items": [], "success": True, "is_valid": True, "message": "",
             "breakup_values": {"raw": zero, "display": [], "coupon": {}, "loyalty_points": {}}}
    return RewriteStatus(app, lambda status, query: 200 if status == 404 and "id=" in query else status, "/detail",
                         "GET", body=empty)
