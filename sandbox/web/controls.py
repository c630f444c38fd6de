"""What a client can make the API do besides answering: fault rules and forced answers (``Prefer``).

``RequestControls`` sits after security and before request validation (so a refused token is still 401, and a
forced answer needs no valid body). For each request of an operation of the API (not the admin API) it
follows the sandbox's controls in the state (the clock, the rules: ``domain/controls.py``; on a shared state
with no rule in force, by relying on the record last read, checked with the request's first round trip and
run again when another process changed it: ``_relying``), then:

1. **Fault rules** that fire (``domain/faults.py``) add their latency, then the first one with an error status
   answers it in the API's error shape, or the first one that drops the connection drops it.
2. **``Prefer``** (RFC 7240, as Prism reads it): ``code=NNN`` answers that status, when the operation documents
   it, in the API's error shape (a 2xx: the spec's example for it); ``example=NAME`` answers the spec's example
   of that name; ``fault=NAME`` runs the operation with that business fault forced. None of them changes the
   state. Preferences the sandbox does not know (``return=minimal``) are ignored, as RFC 7240 asks.

What fired and what was forced go to the request journal (``journal.py``) through the scope extension ``NOTE``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from ..domain import faults
from ..domain.errors import RecordMoved, StateUnavailable
from .errors import ForcedAnswer
from .journal import NOTE
from .jsonify import json_bytes
from .operations import spec_operations
from .shared import RUNS  # runs of a request at most, when other processes keep changing what it read

ABORT = "cartwright.abort"
"""Scope extension: drops the connection at once (given by ``cartwright serve``'s protocol, ``server.py``)."""
PREFERENCES = ("code", "example", "fault")


@dataclass(frozen=True)
class OperationAnswers:
    """What an operation's spec says it answers: its documented statuses and its named examples."""

    statuses: tuple[str, ...]                                          # "200", "404", ... ("default": any)
    examples: dict[str, tuple[int, Any]] = field(default_factory=dict)  # name → (status, value)
    first_example: dict[int, Any] = field(default_factory=dict)         # status → its first example

    def documents(self, status: int) -> bool:
        return str(status) in self.statuses or "default" in self.statuses


def operation_answers(spec: dict) -> dict[str, OperationAnswers]:
    """Every operation id of ``spec`` with what it answers (examples from ``example`` or ``examples``, local
    ``$ref``s followed)."""
    def resolve(node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 16:
            target: Any = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
            node, seen = target, seen + 1
        return node

    found = {}
    for operation_id, operation in spec_operations(spec):
        examples: dict[str, tuple[int, Any]] = {}
        first: dict[int, Any] = {}
        responses = {str(status): response for status, response in operation.get("responses", {}).items()}
        for status, response in responses.items():
            if not status.isdigit():
                continue
            media = (resolve(response).get("content") or {}).get("application/json") or {}
            for name, example in (media.get("examples") or {}).items():
                value = resolve(example).get("value")
                examples.setdefault(name, (int(status), value))
                first.setdefault(int(status), value)
            if "example" in media:
                first.setdefault(int(status), media["example"])
        found[operation_id] = OperationAnswers(tuple(responses), examples, first)
    return found


def preferences(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The ``Prefer`` header's preferences the sandbox acts on (``code``, ``example``, ``fault``), by name."""
    found: dict[str, str] = {}
    for name, value in headers:
        if name == b"prefer":
            for token in value.decode("latin-1").split(","):
                key, _, wanted = token.split(";", 1)[0].strip().partition("=")
                key = key.strip().lower()
                if key in PREFERENCES:
                    found.setdefault(key, wanted.strip().strip('"'))
    return found


class RequestControls:
    """ASGI middleware (Connexion position BEFORE_VALIDATION): fault rules, then ``Prefer``, for the API's
    operations (``answers``: operation id → what it documents)."""

    def __init__(self, app, sandbox, answers: dict[str, OperationAnswers]) -> None:
        self.app = app
        self.sandbox = sandbox
        self.answers = answers

    async def __call__(self, scope, receive, send):
        extensions = scope.get("extensions")
        operation_id = ((extensions or {}).get("connexion_routing") or {}).get("operation_id")
        answers = self.answers.get(operation_id) if scope["type"] == "http" else None
        if answers is None:   # the admin API, Swagger UI, no operation (a routed request has extensions)
            return await self.app(scope, receive, send)
        controls = self.sandbox.controls
        if not controls.shared:
            await controls.refresh()
            return await self._controlled(scope, receive, send, extensions, operation_id, answers)
        await self._relying(scope, receive, send, extensions, operation_id, answers)

    async def _relying(self, scope, receive, send, extensions, operation_id, answers) -> None:
        """On a shared state, while no rule is in force: the request runs on the controls last read, relying on
        them being the state's; its first round trip to the state checks that (their version comes with it),
        and if another process changed them the request, which has changed nothing yet, runs again on them. An
        answer started before any round trip (a 400, a ``Prefer`` answer) checks first, as does any error."""
        controls = self.sandbox.controls
        storage = self.sandbox.storage
        received: list = []
        replayed: list = []

        async def receiving():   # the body read by a run is given again to the next
            if replayed:
                return replayed.pop(0)
            message = await receive()
            received.append(message)
            return message

        for _ in range(RUNS):
            read = controls.reading_needed
            if read:
                await controls.refresh()
            with storage.relying_on(controls.version) as reliance:
                reliance.done = read   # read just now: nothing to check (as on a state of this process's)
                async def checked_send(message):
                    if not reliance.done and message["type"] == "http.response.start":
                        await storage.checked()
                    await send(message)
                try:
                    return await self._controlled(scope, receiving, checked_send, extensions, operation_id, answers)
                except RecordMoved:
                    pass
                except Exception:
                    if reliance.done:
                        raise
                    try:
                        await storage.checked()
                    except RecordMoved:
                        pass
                    else:
                        raise
            controls.forget()
            extensions.pop(NOTE, None)
            replayed[:] = received
        raise StateUnavailable("state: the sandbox's controls kept being changed while this request ran; try again",
                               field="state")

    async def _controlled(self, scope, receive, send, extensions, operation_id, answers) -> None:
        controls = self.sandbox.controls
        if controls.rules:
            fired = await controls.firings(operation_id)
            if fired:
                extensions.setdefault(NOTE, {})["faults"] = [f.record() for f in fired]
                latency = sum(f.latency_ms for f in fired)
                if latency:
                    await asyncio.sleep(latency / 1000)
                failing = next((f for f in fired if f.status is not None or f.drop), None)
                if failing is not None and failing.drop:
                    return await self._drop(extensions)
                if failing is not None:
                    raise ForcedAnswer(failing.status, f"fault rule {failing.rule}: injected {failing.status}")
        prefer = preferences(scope["headers"])
        if not prefer:   # most requests
            return await self.app(scope, receive, send)
        extensions.setdefault(NOTE, {})["prefer"] = ", ".join(f"{k}={v}" for k, v in prefer.items())
        if "fault" in prefer:
            if len(prefer) > 1:
                raise ForcedAnswer(400, "Prefer: fault= is not combined with code= or example=")
            name = prefer["fault"]
            fault = faults.BUSINESS_FAULTS.get(name)
            if fault is None:
                raise ForcedAnswer(400, f"Prefer: fault={name} is not a business fault; they are: "
                                        f"{', '.join(faults.BUSINESS_FAULTS)}")
            if operation_id not in fault.operations:
                raise ForcedAnswer(400, f"Prefer: fault={name} does not apply to {operation_id}; it applies to: "
                                        f"{', '.join(fault.operations)}")
            with faults.force(name):
                return await self.app(scope, receive, send)
        status, body = self._forced(operation_id, answers, prefer)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _forced(operation_id: str, answers: OperationAnswers, prefer: dict[str, str]) -> tuple[int, bytes]:
        """The status and body ``Prefer: code=``/``example=`` asks for, or ForcedAnswer saying why there is none
        (an error status without an example raises it with that status: the API's error shape)."""
        status = None
        if "code" in prefer:
            code = prefer["code"]
            if not (code.isascii() and code.isdigit() and 100 <= int(code) <= 599):
                raise ForcedAnswer(400, f"Prefer: code={code} is not an HTTP status")
            status = int(code)
            if not answers.documents(status):
                documented = ", ".join(s for s in answers.statuses)
                raise ForcedAnswer(400, f"Prefer: code={status} is not documented for {operation_id}; "
                                        f"documented: {documented}")
        name = prefer.get("example")
        if name is not None:
            found = answers.examples.get(name)
            if found is None or (status is not None and found[0] != status):
                named = [n for n, (s, _) in answers.examples.items() if status is None or s == status]
                raise ForcedAnswer(400, f"Prefer: example={name}: {operation_id} has no example of that name"
                                        f"{f' for {status}' if status is not None else ''} in its spec"
                                        f" ({'examples: ' + ', '.join(named) if named else 'it names none'})")
            return found[0], json_bytes(found[1])
        if status is None:
            raise ForcedAnswer(400, "Prefer: neither code= nor example= names an answer")
        if status >= 400:
            raise ForcedAnswer(status, f"forced by Prefer: code={status}")
        if status not in answers.first_example:
            raise ForcedAnswer(400, f"Prefer: code={status}: the spec gives {operation_id} no example for {status} "
                                    f"to answer (send the request without Prefer for the sandbox's own answer)")
        return status, json_bytes(answers.first_example[status])

    @staticmethod
    async def _drop(extensions: dict) -> None:
        """Drop the connection without an answer (when the server can; otherwise return without one)."""
        extensions.setdefault(NOTE, {})["dropped"] = True
        abort = extensions.get(ABORT)
        if abort is not None:
            abort()
            await asyncio.sleep(0)   # the server sees the connection lost, and does not answer for us

