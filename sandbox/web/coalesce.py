"""One write per response: a transport that sends a response's head and body in one socket write.

uvicorn writes a response's status line and headers to the socket as soon as the application starts
the response, and the body when it comes: two ``write`` system calls and, with ``TCP_NODELAY``, two
TCP segments, so the client wakes twice for one answer. On loopback each of those writes also runs
the receiving side's TCP stack. Under the benchmark's load the sandbox spent about an eighth of its
CPU time in those writes.

``CoalescingTransport`` holds a write until the next one and sends both together, or sends it alone
at the next turn of the event loop when nothing follows (a response whose body is streamed later,
``100 Continue``). Closing the connection sends what is held first. Bytes and their order are
unchanged. The serving protocol (``sandbox/web/server.py``) puts it under uvicorn's httptools protocol.
"""

from __future__ import annotations

import asyncio


class CoalescingTransport:
    """A transport that sends each write together with the next one (or alone, one loop turn later)."""

    __slots__ = ("_transport", "_loop", "_held")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        held = self._held
        if held is None:
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
        else:
            self._held = None
            self._transport.write(held + data)

    def writelines(self, chunks) -> None:
        self.write(b"".join(chunks))

    def flush(self) -> None:
        """Send what is held, if anything."""
        held = self._held
        if held is not None:
            self._held = None
            if not self._transport.is_closing():   # the peer may have gone before this turn
                self._transport.write(held)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._held or b"")

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def __getattr__(self, name: str):
        # Everything else (is_closing, get_extra_info, pause_reading, …) is the real transport's.
        return getattr(self._transport, name)
