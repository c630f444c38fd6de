"""HTTP limits over a real socket: slow and oversized requests, idle and excess connections, SIGTERM."""
import contextlib
import json
import logging
import re
import resource
import select
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from cartkit import served
from conftest import BASE, ROOT, reset_state
from cartwright.sandbox.web import server
from cartwright.sandbox.web.server import connection_cap

HEALTH = b"GET /_cartwright/health HTTP/1.1\r\nHost: x\r\n\r\n"
# A request whose body never comes whole: it declares 100 bytes and sends 9.
HALF_BODY = (f"POST {BASE}/detail HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
             f"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n").encode() + b'{"items"'
PATIENCE = 10   # seconds a test waits for what should come much sooner; only a failing test waits this long


@pytest.fixture
def warnings_logged():
    """The uvicorn.error log's warnings (SandboxHttpProtocol logs there), collected from when it is called."""
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = Collect(logging.WARNING)
    log = logging.getLogger("uvicorn.error")
    yield lambda: log.addHandler(handler) or records
    log.removeHandler(handler)


def connect(port, timeout=PATIENCE):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_to_close(s) -> bytes:
    """Everything the server sends until it closes the connection (a socket timeout fails the test)."""
    received = b""
    while chunk := s.recv(65536):
        received += chunk
    return received


def status_and_body(raw: bytes):
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), head.lower(), json.loads(body)


def answered(port) -> int:
    """The status of a health check on a new connection."""
    return httpx.get(f"http://127.0.0.1:{port}/_cartwright/health", timeout=PATIENCE).status_code


def test_request_line_alone_is_dropped_after_the_header_timeout(session_app, warnings_logged):
    """A client that sends only a request line gets 408 and is closed after header_timeout_seconds; the
    others are answered meanwhile."""
    with served(session_app, header_timeout_seconds=1) as port, connect(port) as slow:
        logged = warnings_logged()
        slow.sendall(b"GET /_cartwright/health HTTP/1.1\r\n")
        others = [answered(port) for _ in range(3)]
        status, head, body = status_and_body(read_to_close(slow))
    assert others == [200] * 3
    assert status == 408 and b"connection: close" in head
    assert body["success"] is False and "header_timeout_seconds" in body["message"]
    assert any("header_timeout_seconds" in m for m in logged)


def test_a_trickled_head_is_timed_from_its_start(session_app):
    """Request line and headers sent a byte every 0.1 s are cut off (408) once header_timeout_seconds have
    passed since the connection opened, however lively the client."""
    head = f"GET {BASE}/basic?id=x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n".encode()
    with served(session_app, header_timeout_seconds=0.5) as port, connect(port) as slow:
        for byte in head:
            if select.select([slow], [], [], 0.1)[0]:   # the server has answered
                break
            slow.sendall(bytes([byte]))
        received = read_to_close(slow)
    assert received.startswith(b"HTTP/1.1 408 ")


def test_half_a_body_is_dropped_after_the_body_timeout(session_app, warnings_logged):
    """Headers and half a body: 408 in the API's shape and closed after body_timeout_seconds; others are
    answered meanwhile, and the request changed nothing."""
    reset_state(session_app)
    with served(session_app, body_timeout_seconds=1) as port, connect(port) as slow:
        logged = warnings_logged()
        slow.sendall(HALF_BODY)
        others = [answered(port) for _ in range(3)]
        status, head, body = status_and_body(read_to_close(slow))
        carts = httpx.get(f"http://127.0.0.1:{port}/_cartwright/health").json()["carts"]
    assert others == [200] * 3
    assert status == 408 and b"connection: close" in head
    assert body["success"] is False and "body_timeout_seconds" in body["message"]
    assert any("body_timeout_seconds" in m for m in logged)
    assert carts == 0


def head_of(size: int) -> bytes:
    """A health check whose request line and headers are exactly ``size`` bytes."""
    head = b"GET /_cartwright/health HTTP/1.1\r\nHost: x\r\nX-Pad: \r\n\r\n"
    return head.replace(b"X-Pad: ", b"X-Pad: " + b"a" * (size - len(head)))


def test_request_head_over_the_limit_is_refused_with_431(session_app, warnings_logged):
    """max_header_bytes counts the request line and headers: a head of exactly that size is answered, one
    byte more is 431 in the API's shape and the connection is closed."""
    with served(session_app, max_header_bytes=4096) as port:
        logged = warnings_logged()
        with connect(port) as fits, connect(port) as over:
            fits.sendall(head_of(4096))
            over.sendall(head_of(4097))
            refused = read_to_close(over)
            accepted = fits.recv(65536)
    assert accepted.startswith(b"HTTP/1.1 200 ")
    status, head, body = status_and_body(refused)
    assert status == 431 and b"connection: close" in head
    assert body["success"] is False and "max_header_bytes" in body["message"]
    assert any("max_header_bytes" in m for m in logged)


def test_a_huge_head_is_refused_while_others_are_answered(session_app):
    """A 64 MiB header is refused with 431 (the client reads the answer, not a reset) and never holds up the
    other clients."""
    with served(session_app) as port, connect(port) as huge:
        huge.sendall(b"GET /_cartwright/health HTTP/1.1\r\nHost: x\r\nX-Huge: ")
        others = []
        with pytest.raises(OSError):   # the server stops taking it: a send fails
            for i in range(1024):
                huge.sendall(b"a" * 65536)
                if i < 3:
                    others.append(answered(port))
        received = read_to_close(huge)
    assert received.startswith(b"HTTP/1.1 431 ")
    assert others == [200] * len(others)


def test_idle_keep_alive_connection_is_closed(session_app):
    """A keep-alive connection left idle after an answer is closed after keep_alive_seconds (0.5 s here, well
    before uvicorn's default of 5 s)."""
    with served(session_app, keep_alive_seconds=0.5) as port, connect(port, timeout=3) as idle:
        idle.sendall(HEALTH)
        received = read_to_close(idle)   # the answer, then the close
    assert received.startswith(b"HTTP/1.1 200 ") and received.endswith(b"}\n")


def test_connections_over_the_cap_are_refused_with_503(session_app, warnings_logged):
    """With max_connections open, one more is answered 503 (Retry-After, the API's shape) at once and
    closed, and logged; once one closes, a new connection is served."""
    with served(session_app, max_connections=2) as port:
        logged = warnings_logged()
        with connect(port) as first, connect(port) as second:
            first.sendall(HEALTH)
            assert first.recv(65536).startswith(b"HTTP/1.1 200 ")   # both are open and served
            with connect(port) as third:
                status, head, body = status_and_body(read_to_close(third))
            second.sendall(HEALTH)
            assert second.recv(65536).startswith(b"HTTP/1.1 200 ")
            with httpx.Client(timeout=PATIENCE) as client:   # a client that sends its request straight away
                refused = client.get(f"http://127.0.0.1:{port}/_cartwright/health")
        after = answered(port)
    assert status == 503 and b"connection: close" in head and b"retry-after: 1" in head
    assert body["success"] is False and "max_connections" in body["message"]
    assert refused.status_code == 503 and refused.json()["error"] == "ServiceUnavailable"
    assert after == 200
    assert any("max_connections" in m for m in logged)


def test_connection_cap_leaves_descriptors_free(monkeypatch):
    """The cap is max_connections, or the descriptor limit less a margin when that is lower."""
    monkeypatch.setattr(resource, "getrlimit", lambda which: (256, 4096))
    assert connection_cap(1000) == 256 - server.DESCRIPTOR_MARGIN
    assert connection_cap(100) == 100


def test_uvicorns_limits_hold_without_httptools(session_app, monkeypatch):
    """Without httptools (uvicorn's h11 fallback) uvicorn's own limits apply: a head still unfinished after
    max_header_bytes is refused with 400 and an idle keep-alive connection is closed."""
    monkeypatch.setattr(server, "HttpToolsProtocol", None)
    with served(session_app, max_header_bytes=4096, keep_alive_seconds=0.5) as port:
        with connect(port) as over:
            # Over the 4096-byte limit, yet small enough to arrive in one read: h11 answers 400 and closes with
            # nothing left unread (bytes still arriving after the close would make the kernel reset the
            # connection, and the 400 could be lost with it).
            over.sendall(head_of(8192)[:-4])
            refused = read_to_close(over)
        with connect(port) as idle:
            idle.sendall(HEALTH)
            kept = read_to_close(idle)
    assert refused.startswith(b"HTTP/1.1 400 ")
    assert kept.startswith(b"HTTP/1.1 200 ")


def test_limit_settings_are_read_and_checked(monkeypatch):
    """The limits are settings (flags and CARTWRIGHT_* variables); a zero, negative or unreadable one is an
    error naming it."""
    from cartwright.sandbox import SandboxError
    from cartwright.sandbox._cli import settings_from

    monkeypatch.setenv("CARTWRIGHT_BODY_TIMEOUT_SECONDS", "2.5")
    s = settings_from(["serve", "--max-connections", "50", "--header-timeout-seconds", "0.25"])
    assert (s.max_connections, s.header_timeout_seconds, s.body_timeout_seconds) == (50, 0.25, 2.5)
    for flag, value in [("--max-header-bytes", "0"), ("--keep-alive-seconds", "-1"),
                        ("--shutdown-timeout-seconds", "nan"), ("--max-connections", "many")]:
        with pytest.raises(SandboxError, match=flag[2:].replace("-", "_")):
            settings_from(["serve", flag, value])


@contextlib.contextmanager
def cartwright_serve(tmp_path, *flags, limit_descriptors=None):
    """`cartwright serve` in a subprocess on a free port; yields (process, port, log), log() its log so far."""
    log_file = tmp_path / "serve.log"

    def lower_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit_descriptors, limit_descriptors))

    with open(log_file, "w") as log_out:   # a file, not a pipe: a pipe nobody reads would block the server
        process = subprocess.Popen([sys.executable, "-m", "cartwright.sandbox", "serve", "--port", "0", *flags], cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=log_out,
                                   preexec_fn=lower_limit if limit_descriptors else None)
    log = log_file.read_text
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"Uvicorn running on http://127.0.0.1:(\d+)", log())):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(log())
            time.sleep(0.05)
        yield process, int(found.group(1)), log
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_sigterm_drops_a_slow_client_and_exits_0(tmp_path):
    """SIGTERM with a client halfway through its body: the client gets 503 once shutdown_timeout_seconds
    (1 s) have passed, and `cartwright serve` exits 0, not killed by the signal (10 s allowed)."""
    with cartwright_serve(tmp_path, "--shutdown-timeout-seconds", "1") as (process, port, log), \
            connect(port) as slow:
        slow.sendall(HALF_BODY)
        assert answered(port) == 200   # the slow client's request has been read up to its body
        process.send_signal(signal.SIGTERM)
        code = process.wait(PATIENCE)
        received = read_to_close(slow)
    assert code == 0
    assert received.startswith(b"HTTP/1.1 503 ") and b"shutdown_timeout_seconds" in received
    assert "Finished server process" in log()


@pytest.mark.parametrize("sent, code", [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_signals_end_an_idle_server_cleanly(tmp_path, sent, code):
    """SIGTERM to an idle `cartwright serve` exits 0; Ctrl+C (SIGINT) exits 130, as a shell reports it,
    without a traceback."""
    with cartwright_serve(tmp_path) as (process, port, log):
        assert answered(port) == 200
        process.send_signal(sent)
        assert process.wait(PATIENCE) == code
        assert "Finished server process" in log() and "Traceback" not in log()


def test_idle_connections_cannot_use_up_descriptors(tmp_path):
    """Under a 256-descriptor limit, 300 idle connections: those over the cap (lowered to fit) are answered
    503 and logged, the others 408 after the header timeout, and then requests are answered again."""
    with cartwright_serve(tmp_path, "--header-timeout-seconds", "1", limit_descriptors=256) as (process, port, log):
        idle = [connect(port) for _ in range(300)]
        statuses = []
        for s in idle:
            with s:
                statuses.append(int(read_to_close(s).split()[1]))
        after = answered(port)
        logged = log()
    cap = 256 - server.DESCRIPTOR_MARGIN
    assert sorted(statuses) == [408] * cap + [503] * (300 - cap)
    assert after == 200
    assert f"max_connections 1000 lowered to {cap}" in logged and "connection refused (503)" in logged
