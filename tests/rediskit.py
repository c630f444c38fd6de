"""A real redis-server for tests (and bench/benchkit.py): started on a free loopback port in a temporary folder, stopped afterwards."""
from __future__ import annotations

import contextlib
import itertools
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

_prefixes = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers_ping(port: int, tls: ssl.SSLContext | None = None) -> bool:
    """Redis answers PING on ``port`` (over TLS, with ``tls`` as the client's context, when given)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as plain, \
                (tls.wrap_socket(plain, server_hostname="127.0.0.1") if tls else plain) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith((b"+PONG", b"-NOAUTH"))   # (NOAUTH: up, and asking for a password)
    except OSError:   # (ssl.SSLError too: not up yet, or the handshake refused)
        return False


@contextlib.contextmanager
def redis_server(folder: Path, port: int | None = None, *, persist: bool = False, options: tuple[str, ...] = (),
                 tls: ssl.SSLContext | None = None):
    """A redis-server in ``folder`` for the block; yields its URL. ``persist``: it saves its data when stopped
    (SIGTERM) and loads it when started again in the same folder. ``options``: more of redis-server's flags.
    ``tls``: the port is TLS only (``options`` name the --tls-* files), the URL rediss://, and the PING that
    says it is up goes over TLS with this client context."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is not installed: `make redis` installs it (Debian's redis-server package)")
    port = port or free_port()
    save = ["--save", "3600 1"] if persist else ["--save", ""]
    listen = ["--port", "0", "--tls-port", str(port)] if tls else ["--port", str(port)]
    process = subprocess.Popen(
        [exe, *listen, "--bind", "127.0.0.1", "--dir", str(folder), *save, "--appendonly", "no",
         "--logfile", str(folder / "redis.log"), *options],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(500):   # up to ~10 s
            if answers_ping(port, tls):
                break
            if process.poll() is not None:
                pytest.fail(f"redis-server exited at start: {(folder / 'redis.log').read_text()[-2000:]}")
            time.sleep(0.02)
        else:
            pytest.fail("redis-server did not answer within 10 s")
        yield f"{'rediss' if tls else 'redis'}://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def fresh_prefix(name: str = "t") -> str:
    """A key prefix no other storage of this run uses (an empty state on the shared test Redis)."""
    return f"{name}{next(_prefixes)}:"
