"""Requests that wait together are served in the order they arrived, not in the order the loop found them.

uvicorn starts a task per request in the order its event loop reports readable connections, and with
level-triggered epoll (libuv's, and asyncio's selectors) that order is stale: a connection reported at
the last poll is queued again where it was, and one that became readable since goes after all of them.
Under load this makes one connection chronically last. The connection answered last in a burst sends its
next request just after the loop polled, waits for the whole next burst, is put last in the one after,
and so on. With 32 busy keep-alive connections, about one request in 32 waited twice as long as the
rest: a bare Starlette app doing fixed work per request had its p50 at ~10 ms and its p98 and p99 at
~20 ms (bench/README.md, "Arrival order").

``ArrivalOrder`` holds each request for one turn of the event loop, then lets every request held go, in
the order their connections were last answered: on a keep-alive connection, the order in which their
requests could have been sent. New connections go first. A request that does not overlap another is
only delayed by that one turn (a few microseconds).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import weakref


class _Held:
    """The requests held on one event loop until its next turn."""

    __slots__ = ("waiting", "release_scheduled")

    def __init__(self) -> None:
        self.waiting: list[tuple[int, int, asyncio.Future]] = []   # (last answer's number, arrival, gate)
        self.release_scheduled = False

    def release(self) -> None:
        self.release_scheduled = False
        waiting = self.waiting
        while waiting:
            gate = heapq.heappop(waiting)[2]
            if not gate.done():   # a cancelled request's gate is already done
                gate.set_result(None)


class ArrivalOrder:
    """ASGI middleware: HTTP requests held together start in the order their connections were last answered.

    Connections are told apart by the ASGI ``client`` (address and port). The middleware remembers the
    last ``max_connections`` of them; past that it forgets them all, and they count as new again.
    """

    def __init__(self, app, max_connections: int = 4096) -> None:
        self.app = app
        self.max_connections = max_connections
        self._answered: dict[object, int] = {}   # client → number of its last answer (1, 2, …)
        self._answers = itertools.count(1)
        self._arrivals = itertools.count()
        # Per event loop: tests run an app on several loops, one after another or side by side.
        self._held: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Held] = weakref.WeakKeyDictionary()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        loop = asyncio.get_running_loop()
        held = self._held.get(loop)
        if held is None:
            held = self._held[loop] = _Held()
        client = scope.get("client")
        if client is not None:
            client = tuple(client)   # a list from some ASGI clients (Schemathesis's)
        gate = loop.create_future()
        heapq.heappush(held.waiting, (self._answered.get(client, 0), next(self._arrivals), gate))
        if not held.release_scheduled:
            held.release_scheduled = True
            loop.call_soon(held.release)
        await gate
        try:
            await self.app(scope, receive, send)
        finally:
            answered = self._answered
            if len(answered) >= self.max_connections and client not in answered:
                answered.clear()
            answered[client] = next(self._answers)
