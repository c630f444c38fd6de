"""What a sandbox does while it serves, besides answering: its state file and forgetting idle carts.

The app's lifespan (``create_app`` hands it to Connexion) does, when the settings ask:

- ``state_file``: at start, the state is read from the file when it exists (a file that is not a snapshot of
  this catalog stops the start with the reason); every ``state_save_seconds`` it is written there when it
  changed, and once more at a clean shutdown. Each save writes a new file and renames it over the old one, so
  a crash mid-save leaves the previous snapshot whole.
- ``cart_ttl_minutes``: once a minute, the carts idle longer than that are forgotten, one application at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from .._sandbox import Sandbox
from ..domain.errors import InvalidValue
from .jsonify import json_bytes

log = logging.getLogger("cartwright.sandbox")
SWEEP_SECONDS = 60


def write_atomically(path: Path, data: bytes) -> None:
    """``data`` in ``path``, replacing what was there only once all of it is written."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


async def load_state_file(sandbox: Sandbox, path: Path) -> bool:
    """Restore the sandbox from ``path`` when it exists; whether it did. A file that cannot be read is an
    ``InvalidValue`` naming the file."""
    if not path.exists():
        return False
    try:
        # The standard library's reader: exact where orjson is not (an integer beyond 64 bits, which orjson reads
        # as a float, and a lone surrogate, which it refuses: both are written to the file as JSON allows).
        document = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise InvalidValue(f"state_file: {path} cannot be read as a state snapshot ({exc})", field="state_file",
                           value=str(path)) from None
    try:
        await sandbox.restore(document, follow_catalog=True)
    except InvalidValue as exc:
        raise InvalidValue(f"state_file: {path}: {exc.message}", field="state_file", value=str(path)) from None
    return True


async def save_state_file(sandbox: Sandbox, path: Path) -> None:
    """Write the sandbox's state to ``path`` (encoded and written in a thread: the loop keeps serving)."""
    document = await sandbox.export()
    await asyncio.to_thread(lambda: write_atomically(path, json_bytes(document)))


class _Saver:
    """Saves the state file when the state has changed since the last save."""

    def __init__(self, sandbox: Sandbox, path: Path) -> None:
        self.sandbox, self.path = sandbox, path
        self.saved_at = self._version()

    def _version(self) -> Any:
        return getattr(self.sandbox.storage, "version", None)

    async def save(self, force: bool = False) -> None:
        version = self._version()
        if force or version is None or version != self.saved_at:
            await save_state_file(self.sandbox, self.path)
            self.saved_at = version

    async def every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.save()
            except Exception:   # noqa: BLE001 - a failed save is logged; the next one tries again
                log.exception("saving the state to %s failed", self.path)


async def sweep_idle_carts(sandbox: Sandbox, every: float = SWEEP_SECONDS) -> None:
    """Forever: forget the carts idle past the time-to-live, one application at a time."""
    while True:
        await asyncio.sleep(every)
        try:
            await sandbox.controls.refresh()   # the clock, as it may have been moved
            for scope in await sandbox.state.scopes():
                gone = await sandbox.carts.sweep(scope)
                if gone:
                    log.info("forgot %d idle cart(s) of application %s", gone, scope[1])
                await asyncio.sleep(0)   # let requests in between applications
        except Exception:   # noqa: BLE001 - logged; the next sweep tries again
            log.exception("forgetting idle carts failed")


def lifespan_for(sandbox: Sandbox):
    """The app's lifespan: the state file and the idle-cart sweep, as the settings ask (else nothing)."""
    @contextlib.asynccontextmanager
    async def lifespan(_app) -> AsyncIterator[None]:
        settings = sandbox.settings
        path = settings.state_file
        saver = None
        tasks: list[asyncio.Task] = []
        if sandbox.shared:
            from .shared import follow_at_start

            await follow_at_start(sandbox)
        if path is not None:
            if not sandbox.state_loaded and await load_state_file(sandbox, path):
                log.info("state loaded from %s", path)
            sandbox.state_loaded = True
            saver = _Saver(sandbox, path)
            if settings.state_save_seconds:
                tasks.append(asyncio.create_task(saver.every(settings.state_save_seconds)))
        if settings.cart_ttl_minutes:
            tasks.append(asyncio.create_task(sweep_idle_carts(sandbox)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if saver is not None:
                await saver.save(force=True)
                log.info("state saved to %s", path)
    return lifespan
