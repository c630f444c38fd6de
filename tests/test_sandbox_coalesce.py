"""One write per response: the serving transport sends a response's head and body in one write."""
import asyncio
import socket

import httpx
import pytest

from cartkit import articles, served
from conftest import AUTH, BASE, reset_state
from cartwright.sandbox.web.coalesce import CoalescingTransport
from cartwright.sandbox.web.server import HttpToolsProtocol


class RecordingTransport(asyncio.Transport):
    """A transport that records each write and whether it was closed or aborted."""

    def __init__(self):
        super().__init__()
        self.writes, self.closed, self.aborted = [], False, False

    def write(self, data):
        self.writes.append(bytes(data))

    def is_closing(self):
        return self.closed or self.aborted

    def get_write_buffer_size(self):
        return 0

    def close(self):
        self.closed = True

    def abort(self):
        self.aborted = True

    def get_extra_info(self, name, default=None):
        return {"peername": ("127.0.0.1", 5000)}.get(name, default)


def turn(loop):
    """Run ``loop`` for one turn."""
    loop.call_soon(loop.stop)
    loop.run_forever()


@pytest.fixture
def loop():
    """A fresh event loop, closed after the test."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def raw():
    return RecordingTransport()


@pytest.fixture
def t(raw, loop):
    """A coalescing transport over ``raw``."""
    return CoalescingTransport(raw, loop)


def test_two_writes_go_out_as_one(loop, raw, t):
    """A head and a body written back to back reach the socket as one write, in order."""
    t.write(b"HTTP/1.1 200 OK\r\n\r\n")
    t.write(b"{}")
    assert raw.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    turn(loop)
    assert raw.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]


def test_a_lone_write_goes_out_at_the_next_turn(loop, raw, t):
    """A write with nothing after it is held for one turn of the loop, then sent alone."""
    t.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert raw.writes == [] and t.get_write_buffer_size() == len(b"HTTP/1.1 100 Continue\r\n\r\n")
    turn(loop)
    assert raw.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]


def test_closing_sends_what_is_held_first_and_abort_drops_it(loop, raw, t):
    """close() sends the held write before closing; abort() drops it; other calls reach the socket's transport."""
    t.write(b"last words")
    t.close()
    assert raw.writes == [b"last words"] and raw.closed
    other = RecordingTransport()
    t = CoalescingTransport(other, loop)
    t.write(b"never sent")
    t.abort()
    turn(loop)
    assert other.writes == [] and other.aborted and t.get_extra_info("peername") == ("127.0.0.1", 5000)


def test_held_write_is_dropped_when_the_peer_has_gone(loop, raw, t):
    """A write still held when the connection closes from the other side is not sent to the dead socket."""
    t.write(b"too late")
    raw.aborted = True
    turn(loop)
    assert raw.writes == []


def test_served_answers_are_whole_over_keep_alive(session_app, catalog):
    """Over one keep-alive connection, answers sent in one write parse whole, one after another."""
    assert HttpToolsProtocol is not None   # httptools is installed with the sandbox
    reset_state(session_app)
    a = articles(catalog)[0]
    with served(session_app) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=AUTH) as c:
        added = c.post(f"{BASE}/detail?b=true", json={"user_id": "u", "items": [
            {"item_id": a.item_id, "item_size": a.size}]})
        carts = [c.get(f"{BASE}/detail?user_id=u&b=true") for _ in range(5)]
        missing = c.get(f"{BASE}/detail?id=000000000000000000000000")
    assert added.status_code == 200 and added.json()["cart"]["items"][0]["quantity"] == 1
    assert [r.json()["id"] for r in carts] == [added.json()["cart"]["id"]] * 5
    assert missing.status_code == 404 and missing.json()["success"] is False


def test_pipelined_requests_get_their_answers_in_order(session_app):
    """Two requests sent at once on one connection get two whole answers, in order."""
    reset_state(session_app)
    with served(session_app) as port, socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        request = (f"GET {BASE}/basic?id=000000000000000000000000 HTTP/1.1\r\nHost: x\r\n"
                   f"Authorization: Bearer t\r\n\r\n")
        s.sendall((request + "GET /_cartwright/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").encode())
        received = b""
        while chunk := s.recv(65536):
            received += chunk
    first, second = received.split(b"HTTP/1.1 ")[1:]
    assert first.startswith(b"404") and b'"success":false' in first.replace(b" ", b"")
    assert second.startswith(b"200") and b'"status":"ok"' in second.replace(b" ", b"")
