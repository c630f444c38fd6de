"""How ``cartwright serve`` runs uvicorn: HTTP limits, one socket write per answer, and a SIGTERM that exits 0.

``uvicorn_config`` builds the uvicorn ``Config`` from the settings (the tests' real-socket server and the
benchmark's floor use it too). uvicorn's own options carry what uvicorn offers:

- ``keep_alive_seconds`` → ``timeout_keep_alive``: an idle keep-alive connection is closed;
- ``shutdown_timeout_seconds`` → ``timeout_graceful_shutdown`` (plus ``SHUTDOWN_BACKSTOP_SECONDS``):
  uvicorn cancels what is still running at a shutdown;
- ``max_connections`` → ``limit_concurrency`` (one above the cap): uvicorn answers 503 to a request on a
  connection over it;
- ``max_header_bytes`` → ``h11_max_incomplete_event_size``: h11 answers 400 to a larger head.

With httptools, which ``cartwright serve`` uses (uvicorn's choice too when it is installed), uvicorn
has no head limit (httptools collects a header across reads by concatenation: a 64 MiB one took seconds
of CPU), no read timeouts (a client that sends half a request holds its connection, and a shutdown,
forever), and it accepts connections past any limit (until the process runs out of descriptors, when
new connections fail with nothing logged). ``SandboxHttpProtocol``, uvicorn's httptools protocol under
a ``CoalescingTransport`` (``coalesce.py``), adds those limits:

- at most ``max_connections`` open connections (lowered to leave ``DESCRIPTOR_MARGIN`` descriptors
  free under ``ulimit -n``): one more is answered 503 at once and closed, and the refusal is logged;
- a request's line and headers within ``max_header_bytes``: 431 and closed beyond, having parsed
  nothing past the limit (counted per read, exactly for a head that starts a read);
- a connection's first request line and headers within ``header_timeout_seconds`` of connecting, a
  later one's within that time of its first byte, and a body within ``body_timeout_seconds`` of its
  headers (408 and closed beyond): one timer per connection, moved only when a deadline comes sooner;
- at a shutdown, a request still being sent gets ``shutdown_timeout_seconds`` (503 and closed beyond);
- each request's scope carries the extension ``cartwright.abort``, which drops the connection at once (a fault
  rule's dropped connection, ``controls.py``).

After a 431 or a refused connection's 503, what the client still sends is read and dropped for a moment
(``LINGER_SECONDS``, ``LINGER_BYTES``) before closing, so that the client reads the answer rather than a
reset.

Under h11 (httptools missing) only uvicorn's own limits apply.

uvicorn internals this module relies on (read in uvicorn 0.54; tests/test_sandbox_limits.py covers each):

- ``uvicorn.protocols.http.httptools_impl.HttpToolsProtocol``, subclassed. Its ``data_received`` feeds
  the httptools parser, which calls ``on_message_begin`` at a request's first byte,
  ``on_headers_complete`` after its head and ``on_message_complete`` after its body: the overrides of
  these track what is being read. ``on_message_begin`` makes the request's ``scope``, which
  ``on_headers_complete`` completes and hands to the application: the override adds its extensions first.
  ``connection_made`` takes any transport (so the coalescing one); ``shutdown`` is what uvicorn's graceful
  shutdown calls on each connection (it closes idle ones and lets a request in progress finish);
  ``connection_lost`` ends the connection; ``eof_received`` returns None, so the transport closes when the
  client ends its side. A refused connection skips
  uvicorn's ``connection_made`` and sets only ``transport``: uvicorn's ``connection_lost`` then just
  closes it (``cycle`` and ``flow`` stay None).
- Its attributes ``connections`` (the server's set of open connections, ``ServerState.connections``,
  joined in ``connection_made``: its size is the connection count), ``loop``, ``transport``, ``logger``
  (``uvicorn.error``), ``client``, ``scope`` (the path, for the error shape) and ``cycle`` (the request
  being answered: ``response_started``, ``response_complete``), read to decide what to answer.
- ``uvicorn.Server.capture_signals`` catches SIGTERM while serving and, after the graceful shutdown,
  restores the handler it found and raises the signal again: ``serve`` installs one that exits 0.
"""

from __future__ import annotations

import asyncio
import copy
import http
import logging
import math
import signal
from typing import Any, cast

import uvicorn
from uvicorn.config import LOGGING_CONFIG, STARTUP_FAILURE

from .coalesce import CoalescingTransport
from .controls import ABORT
from .errors import error_bytes

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools missing: uvicorn falls back to h11, and so do we
    HttpToolsProtocol = None  # type: ignore[misc,assignment]  # checked for None where it matters

log = logging.getLogger("uvicorn.error")

# Descriptors kept free under the process's limit when capping connections: stdio, the listening
# sockets, the event loop's own, files, and connections being refused.
DESCRIPTOR_MARGIN = 64
# After a 503 for a connection over the cap or a 431, what the client still sends is read and dropped until
# it closes, for this long and this many bytes at most: closing with unread data would reset the
# connection, and the client could lose the answer.
LINGER_SECONDS = 1.0
LINGER_BYTES = 1 << 20
# Refused connections that linger at once, at most (each holds a descriptor): beyond, they close at once.
MAX_LINGERING_REFUSALS = DESCRIPTOR_MARGIN // 4
# uvicorn cancels what still runs this long after the shutdown timeout: requests still being sent have been
# answered 503 by then; this catches a request the application itself is stuck on.
SHUTDOWN_BACKSTOP_SECONDS = 0.5
# _head_room of a connection that has been answered and closes at the client's end.
LINGERING = -1


def connection_cap(max_connections: int) -> int:
    """``max_connections``, lowered so that that many connections leave ``DESCRIPTOR_MARGIN`` descriptors."""
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):   # no such limit on this platform
        return max_connections
    if soft == resource.RLIM_INFINITY:
        return max_connections
    return max(1, min(max_connections, soft - DESCRIPTOR_MARGIN))


def answer(status: int, message: str, path: str = "", headers: bytes = b"") -> bytes:
    """A whole response that closes the connection: ``status`` with the API's error document for ``path``."""
    body = error_bytes(path, status, message)
    return (b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n"
            b"%s\r\n" % (status, http.HTTPStatus(status).phrase.encode(), len(body), headers)) + body


def uvicorn_config(app, settings, **overrides: Any) -> uvicorn.Config:
    """The uvicorn ``Config`` serving ``app`` with ``settings``' address, log level and HTTP limits."""
    cap = connection_cap(settings.max_connections)
    level = settings.log_level.lower()
    options = dict(
        # The access log is the sandbox's own (web/journal.py: with the operation id and the faults applied).
        host=settings.host, port=settings.port, log_level=level, access_log=False, log_config=log_config(level),
        http=http_protocol(settings, cap), ws="none",   # the sandbox serves no WebSockets
        timeout_keep_alive=settings.keep_alive_seconds,
        # Over the cap, SandboxHttpProtocol refuses a connection when it opens; uvicorn's own check refuses
        # its requests (under h11, the only check).
        limit_concurrency=cap + 1,
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds + SHUTDOWN_BACKSTOP_SECONDS,
        h11_max_incomplete_event_size=settings.max_header_bytes,
    )
    config = uvicorn.Config(app, **{**options, **overrides})   # configures uvicorn's logging
    if cap < settings.max_connections:
        log.warning("max_connections %d lowered to %d: the process may open %d descriptors (ulimit -n)",
                    settings.max_connections, cap, cap + DESCRIPTOR_MARGIN)
    return config


def log_config(level: str) -> dict:
    """uvicorn's logging, and the sandbox's loggers (``cartwright.*``: the access log, warnings) at ``level`` on
    the same handler (standard error)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["cartwright"] = {"handlers": ["default"], "level": level.upper()}
    return config


def serve(app, settings) -> int:
    """Serve ``app`` until SIGTERM or Ctrl+C, draining first: 0 after SIGTERM, as a supervisor expects (130
    after Ctrl+C, as a shell does, without a traceback)."""
    server = uvicorn.Server(uvicorn_config(app, settings))
    previous = signal.signal(signal.SIGTERM, _exit_zero)
    try:
        server.run()
    except SystemExit as exc:   # from _exit_zero, or uvicorn's own exit when it cannot start
        if exc.code not in (0, None):
            raise
        return 0
    except KeyboardInterrupt:   # uvicorn raises a caught SIGINT again, like SIGTERM
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0 if server.started else STARTUP_FAILURE


APP_FROM_ENVIRONMENT = "cartwright.sandbox.web.app:app_from_environment"
PROTOCOL_FROM_ENVIRONMENT = "cartwright.sandbox.web.server:SandboxHttpProtocolFromEnvironment"


def serve_workers(settings) -> int:
    """Serve with ``settings.workers`` processes sharing one listening socket (uvicorn's multi-process mode,
    which restarts a worker that dies and stops them all on SIGTERM or Ctrl+C). uvicorn hands each worker its
    configuration by pickling it, so the app and the HTTP protocol are named by import strings, and each
    worker builds them from the CARTWRIGHT_* variables."""
    from uvicorn.supervisors import Multiprocess

    config = uvicorn_config(APP_FROM_ENVIRONMENT, settings, factory=True, workers=settings.workers,
                            http=PROTOCOL_FROM_ENVIRONMENT if HttpToolsProtocol is not None else "h11")
    Multiprocess(config, sockets=[config.bind_socket()]).run()
    return 0


def __getattr__(name: str):
    # PROTOCOL_FROM_ENVIRONMENT, imported by uvicorn in each worker: the protocol with the limits of the
    # environment's settings, made once per process.
    if name == "SandboxHttpProtocolFromEnvironment":
        from .._settings import Settings

        settings = Settings.from_env()
        protocol = globals()[name] = http_protocol(settings, connection_cap(settings.max_connections))
        return protocol
    raise AttributeError(name)


def _exit_zero(signum, frame) -> None:
    # uvicorn raises a SIGTERM it caught again once it has shut down; a SIGTERM before it serves lands here too.
    raise SystemExit(0)


def http_protocol(settings, cap: int) -> type | str:
    """The protocol class for uvicorn's ``http`` option: ``SandboxHttpProtocol`` with these limits, or h11."""
    if HttpToolsProtocol is None:
        return "h11"
    return type("SandboxHttpProtocol", (SandboxHttpProtocol,), {
        "max_connections": cap,
        "max_header_bytes": settings.max_header_bytes,
        "header_timeout": settings.header_timeout_seconds,
        "body_timeout": settings.body_timeout_seconds,
        "shutdown_timeout": settings.shutdown_timeout_seconds,
        "refusals": _Refusals(),
    })


class _Refusals:
    """Refused connections, logged at once and then at most once a second with how many more there were; and
    how many are lingering."""

    def __init__(self) -> None:
        self.more = 0
        self.summary_due = False
        self.lingering = 0

    def refused(self, loop: asyncio.AbstractEventLoop, client, cap: int) -> None:
        if self.summary_due:
            self.more += 1
            return
        log.warning("%s - connection refused (503): %d connections open, the most served at once "
                    "(max_connections)", client, cap)
        self.summary_due = True
        loop.call_later(1.0, self._summarise, loop, cap)

    def _summarise(self, loop: asyncio.AbstractEventLoop, cap: int) -> None:
        if not self.more:
            self.summary_due = False
            return
        log.warning("%d more connections refused (503) in the last second: %d open (max_connections)",
                    self.more, cap)
        self.more = 0
        loop.call_later(1.0, self._summarise, loop, cap)


if HttpToolsProtocol is not None:
    class SandboxHttpProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol over a coalescing transport, with the limits uvicorn lacks.

        ``http_protocol`` makes a subclass per server with the limits set as class attributes (uvicorn
        builds each connection's protocol itself).
        """

        max_connections: int
        max_header_bytes: int
        header_timeout: float
        body_timeout: float
        shutdown_timeout: float
        refusals: _Refusals

        # Per connection.
        _head_room: int | None = 0          # bytes the request head being read may still take; None: a body;
                                            # LINGERING: answered, what comes is dropped
        _dropped = 0                         # bytes dropped while lingering
        _read_deadline: float | None = None  # when the request being read must be in; None: nothing owed
        _deadline_timer: asyncio.TimerHandle | None = None
        _timer_when = math.inf               # when that timer fires (inf: no timer)
        _shutting_down = False
        _refused = False                     # over the cap, and lingering

        def connection_made(self, transport: asyncio.Transport) -> None:   # type: ignore[override]
            if len(self.connections) >= self.max_connections:   # refused: it never joins the connections
                self.transport = transport
                return self._refuse_connection()
            # A transport in all uvicorn uses of one (write, close, pause...), not a subclass of asyncio's.
            super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
            self._head_room = self.max_header_bytes
            self._expect_within(self.header_timeout)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._refused:
                self.refusals.lingering -= 1
            self._read_deadline = None
            if self._deadline_timer is not None:
                self._deadline_timer.cancel()
                self._deadline_timer, self._timer_when = None, math.inf
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            room = self._head_room
            if room is None:   # a body: its size is the application's to limit
                HttpToolsProtocol.data_received(self, data)
            elif len(data) <= room:
                self._head_room = room - len(data)
                HttpToolsProtocol.data_received(self, data)
            else:
                self._beyond_head_room(data, room)

        def _beyond_head_room(self, data: bytes, room: int) -> None:
            """``data`` is more than the head being read may take: parse what fits; if the head goes on, 431."""
            if room == LINGERING:
                self._dropped += len(data)
                if self._dropped > LINGER_BYTES:
                    self.transport.abort()
                return
            self._head_room = 0
            if room:
                super().data_received(data[:room])
            if self.transport.is_closing():   # uvicorn refused what it parsed (400)
                return
            if self._head_room == 0:   # the head did not end within its room
                cycle = self.cycle
                answering = cycle is None or cycle.response_complete
                self.logger.warning("%s - request line and headers over %d bytes (max_header_bytes): %s",
                                    self._client(), self.max_header_bytes, 431 if answering else "closed")
                if not answering:   # a previous request is being answered: no room for another answer
                    return self.transport.close()
                return self._answer_and_linger(431, f"request line and headers larger than "
                                                    f"{self.max_header_bytes} bytes (max_header_bytes)")
            self.data_received(data[room:])   # the rest is a body or the next request

        # httptools' callbacks, in the order they come for each request (the base class named, not super():
        # these run for every request).
        def on_message_begin(self) -> None:
            HttpToolsProtocol.on_message_begin(self)
            if self._read_deadline is None:   # a connection's first request is timed from the connection's start
                self._expect_within(self.header_timeout)

        def on_headers_complete(self) -> None:
            # What the application may do to the connection: drop it (a fault rule, web/controls.py).
            # Not a dict as ASGI types an extension: a function the application calls (the one who reads it).
            cast(dict, self.scope)["extensions"] = {ABORT: self.transport.abort}
            self._head_room = None
            deadline = self._read_deadline = self.loop.time() + self.body_timeout
            if deadline < self._timer_when:   # sooner than the timer: move it (_expect_within)
                self._expect_within(self.body_timeout)
            HttpToolsProtocol.on_headers_complete(self)

        def on_message_complete(self) -> None:
            self._head_room = self.max_header_bytes
            self._read_deadline = None
            HttpToolsProtocol.on_message_complete(self)

        def shutdown(self) -> None:
            super().shutdown()
            if self._read_deadline is not None and not self.transport.is_closing():
                # A request still being sent: it has the shutdown timeout (or its own deadline, if sooner).
                self._shutting_down = True
                if self._read_deadline > self.loop.time() + self.shutdown_timeout:
                    self._expect_within(self.shutdown_timeout)

        def _expect_within(self, seconds: float) -> None:
            """What is being read must be in within ``seconds``. The timer moves only when this is sooner."""
            deadline = self._read_deadline = self.loop.time() + seconds
            if deadline < self._timer_when:
                if self._deadline_timer is not None:
                    self._deadline_timer.cancel()
                self._deadline_timer = self.loop.call_at(deadline, self._deadline_reached)
                self._timer_when = deadline

        def _deadline_reached(self) -> None:
            self._deadline_timer, self._timer_when = None, math.inf
            deadline = self._read_deadline
            if deadline is None or self.transport.is_closing():
                return
            if self.loop.time() < deadline:   # the deadline moved on since the timer was set
                self._deadline_timer = self.loop.call_at(deadline, self._deadline_reached)
                self._timer_when = deadline
                return
            if self._head_room == LINGERING:
                return self.transport.abort()
            reading_body = self._head_room is None
            cycle = self.cycle
            if reading_body:
                answering = cycle is not None and not cycle.response_started
            else:   # a previous request may still be being answered: the connection is dropped mid-answer
                answering = cycle is None or cycle.response_complete
            path = self.scope["path"] if reading_body else ""
            if self._shutting_down:
                status, why = 503, (f"the sandbox is shutting down and the request was not received within "
                                    f"{self.shutdown_timeout:g} s (shutdown_timeout_seconds)")
            elif reading_body:
                status, why = 408, (f"request body not received within {self.body_timeout:g} s "
                                    f"(body_timeout_seconds)")
            else:
                status, why = 408, (f"request line and headers not received within {self.header_timeout:g} s "
                                    f"(header_timeout_seconds)")
            self.logger.warning("%s - %s: %s", self._client(), why, status if answering else "closed")
            self._read_deadline = None
            if answering:   # all the client sent has been read: closing does not reset the connection
                self.transport.write(answer(status, why, path))
            self.transport.close()

        def _answer_and_linger(self, status: int, message: str, headers: bytes = b"") -> None:
            """Answer, end the sending side, then drop what the client still sends until it closes (or lingering
            ends): unread data would make closing reset the connection."""
            self.transport.write(answer(status, message, headers=headers))
            self.transport.write_eof()   # uvicorn's eof_received lets the transport close at the client's end
            self._head_room = LINGERING
            self._expect_within(LINGER_SECONDS)

        def _client(self) -> str:
            return f"{self.client[0]}:{self.client[1]}" if self.client else "-"

        def _refuse_connection(self) -> None:
            """Over the cap: answer 503 at once, before any request; linger unless too many are lingering."""
            refusals = self.refusals
            peer = self.transport.get_extra_info("peername")
            refusals.refused(self.loop, f"{peer[0]}:{peer[1]}" if peer else "-", self.max_connections)
            message = f"too many connections: at most {self.max_connections} are served at once (max_connections)"
            if refusals.lingering < MAX_LINGERING_REFUSALS:
                refusals.lingering += 1
                self._refused = True
                return self._answer_and_linger(503, message, headers=b"retry-after: 1\r\n")
            self.transport.write(answer(503, message, headers=b"retry-after: 1\r\n"))
            self.transport.close()
