"""Serving a state shared with other processes (``--state redis://...``): each handler runs on what the shared
state says now.

Another process may empty or replace the shared state (admin reset, reseed, state import) at any time; the
catalog and the caches a process keeps must then follow (``Sandbox.follow``). Every read of the shared state
also reads its generation, and a read that finds a generation this process has not followed raises
``StateMoved`` before anything is changed: the handler then runs again once the process has followed. A
handler that read nothing of the state (the catalog alone) is checked once after it ran. So a reseed through
one process reaches every other on its next request, at no cost to requests while nothing moves.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from .._sandbox import Sandbox
from ..domain.errors import StateMoved, StateUnavailable

log = logging.getLogger("cartwright.sandbox")
RUNS = 3
"""Runs of a handler at most, when the shared state keeps moving under it."""


def following(sandbox: Sandbox) -> Callable[[Callable[..., Awaitable]], Callable[..., Awaitable]]:
    """A decorator of handlers that runs each on the shared state's current generation (see the module)."""
    storage = sandbox.storage

    def decorate(handler: Callable[..., Awaitable]) -> Callable[..., Awaitable]:
        @functools.wraps(handler)   # Connexion reads the handler's parameters through __wrapped__
        async def run(*args, **kwargs):
            for _ in range(RUNS):
                if storage.generation is None:
                    await sandbox.follow()
                with storage.observing() as observed:
                    try:
                        answer = await handler(*args, **kwargs)
                    except StateMoved:
                        storage.generation = None
                        if observed.changed:   # a change of this request was made before the move: not twice
                            raise
                        # Run again with the same arguments: handlers read theirs and change nothing of them.
                        continue
                    if observed.generation is None and await storage.current_generation() != storage.generation:
                        storage.generation = None   # the answer came from a catalog that has changed since
                        continue
                return answer
            raise StateUnavailable("state: the shared state kept being reset or replaced while this request ran; "
                                   "try again", field="state")
        return run
    return decorate


async def follow_at_start(sandbox: Sandbox) -> None:
    """Follow the shared state as the app starts; a Redis not there yet is followed on the first request."""
    try:
        await sandbox.follow()
    except StateUnavailable as exc:
        log.warning("%s (requests answer 503 until it is)", exc.message)
