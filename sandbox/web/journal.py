"""The request journal and the access log: what was asked, what was answered, what the controls did.

``RequestJournal`` is the outermost middleware (CORS preflights and answers refused before the API count too).
For every request it logs one line at ``info`` on ``cartwright.access`` (client, method, path and query,
status, time, operation id, and any fault or ``Prefer`` applied); for requests outside the admin API it also
keeps an entry in the state's journal, a bounded log (``journal_size`` entries, newest first) that the admin
API lists, counts and clears (``GET/DELETE /_cartwright/requests``). Bodies are kept up to
``journal_body_bytes`` each; the ``Authorization`` header is kept as ``[redacted]``.

The entry is written as the answer's last bytes go (so a client that has its answer finds it in the
journal: "verify it was called N times" holds without waiting), and is made of what the request already
carries: the bodies seen passing, the operation id Connexion's routing left in the
scope, and the scope extension ``NOTE``, where ``controls.py`` notes the faults it applied.
"""

from __future__ import annotations

import logging
import time

from ..domain.errors import SandboxError

NOTE = "cartwright.note"
"""Scope extension: a dict where the controls note what they did to the request (``faults``, ``prefer``,
``dropped``), for the journal."""

access = logging.getLogger("cartwright.access")
log = logging.getLogger("cartwright.sandbox")


class RequestJournal:
    """ASGI middleware: the access log line and the journal entry of every HTTP request."""

    def __init__(self, app, sandbox, size: int, body_bytes: int, admin_prefix: str) -> None:
        self.app = app
        self.sandbox = sandbox
        self.size = size
        self.body_bytes = body_bytes
        self.admin_prefix = admin_prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        extensions = scope.get("extensions")
        if extensions is None:
            extensions = scope["extensions"] = {}
        kept = self.size > 0 and not scope["path"].startswith(self.admin_prefix)
        status = None
        limit = self.body_bytes
        asked: list = [0]      # bytes seen, then the chunks kept (up to just past the limit)
        answered: list = [0]

        recorded = False

        async def record() -> None:
            nonlocal recorded
            recorded = True
            entry = self._entry(scope, status, time.perf_counter() - started, extensions, extensions.get(NOTE),
                                asked, answered)
            try:
                await self.sandbox.state.append_journal(entry, self.size)
            except SandboxError as exc:   # a shared state away: the answer goes on, without its entry
                log.warning("request journal: %s", exc.message)

        async def sending(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif kept and message["type"] == "http.response.body":
                _keep(answered, message.get("body", b""), limit)
                if not message.get("more_body", False):
                    # Kept before the answer ends: a client that has its answer finds it in the journal.
                    await record()
            await send(message)

        async def receiving():
            message = await receive()
            if message["type"] == "http.request":
                _keep(asked, message.get("body", b""), limit)
            return message

        await self.app(scope, receiving if kept else receive, sending)
        if kept and not recorded:   # no answer (a dropped connection)
            await record()
        if access.isEnabledFor(logging.INFO):
            self._log(scope, status, time.perf_counter() - started, extensions, extensions.get(NOTE))

    def _entry(self, scope, status, elapsed, extensions, note, asked, answered) -> dict:
        """The journal's record (``domain/journal.py``): flat, of strings and numbers (cheap to make and to
        keep: the garbage collector does not track it)."""
        headers = b"\n".join([k + b": " + (b"[redacted]" if k == b"authorization" else v) for k, v in scope["headers"]])
        entry = {"at": time.time() - elapsed, "method": scope["method"], "path": scope["path"],
                 "query": scope["query_string"].decode("latin-1"),
                 "operation_id": (extensions.get("connexion_routing") or {}).get("operation_id"),
                 "status": status, "duration_ms": round(elapsed * 1000, 3),
                 "request_headers": headers.decode("latin-1"), "request_body": self._body(asked),
                 "response_body": self._body(answered)}
        if asked[0] > self.body_bytes:
            entry["request_bytes"] = asked[0]
        if answered[0] > self.body_bytes:
            entry["response_bytes"] = answered[0]
        if note:
            entry.update(note)
        return entry

    def _body(self, seen: list) -> str:
        """The body's bytes up to the limit, each as the character of that code (latin-1: a copy, where decoding
        UTF-8 took a microsecond per kilobyte); ``domain/journal.py`` decodes them as UTF-8 when shown."""
        body = seen[1] if len(seen) == 2 else b"".join(seen[1:])
        return (body if seen[0] <= self.body_bytes else body[:self.body_bytes]).decode("latin-1")

    @staticmethod
    def _log(scope, status, elapsed, extensions, note) -> None:
        client = scope.get("client")
        query = scope["query_string"]
        target = scope["path"] + ("?" + query.decode("latin-1") if query else "")
        operation = (extensions.get("connexion_routing") or {}).get("operation_id") or "-"
        extra = ""
        if note:
            parts = [f"fault {f['rule']}" + "".join(f" {k}={v}" for k, v in f.items() if k != "rule")
                     for f in note.get("faults", ())]
            if "prefer" in note:
                parts.append(f"prefer {note['prefer']}")
            if note.get("dropped"):
                parts.append("connection dropped")
            extra = " (" + "; ".join(parts) + ")"
        access.info('%s - "%s %s" %s %.1f ms %s%s', f"{client[0]}:{client[1]}" if client else "-", scope["method"],
                    target, status if status is not None else "-", elapsed * 1000, operation, extra)


def _keep(seen: list, chunk: bytes, limit: int) -> None:
    """Count ``chunk`` into ``seen`` ([size, chunks...]) and keep it while what is kept is within ``limit``."""
    if seen[0] <= limit and chunk:
        seen.append(chunk)
    seen[0] += len(chunk)
