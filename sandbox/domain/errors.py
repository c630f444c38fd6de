"""Domain errors. Each carries data; ``sandbox.http.errors`` maps them to HTTP.

    SandboxError                 root of everything the sandbox raises on purpose
    ├── CatalogError             a catalog file or generated catalog is unusable
    ├── NotFound                 an id names nothing (cart, item, store, ...)
    ├── LimitReached             the sandbox holds as much of something as it may (``field``: the limit)
    ├── WiringError              the app's handlers do not answer exactly the spec's operations (at start)
    ├── StateUnavailable         a shared state (Redis) cannot be reached, or keeps refusing a change
    │   └── StateMoved           a shared state was emptied or replaced by another process mid-request
    └── Refused                  the request is understood but cannot be honoured
        ├── InvalidValue         a value is out of range or inconsistent
        ├── OutOfStock           more units asked for than the article has
        └── Unserviceable        no delivery to that PIN code
"""

from __future__ import annotations


class SandboxError(Exception):
    """Root of the sandbox's own errors."""

    def __init__(self, message: str, *, field: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value


class CatalogError(SandboxError):
    """The catalog cannot be used; ``field`` is the JSON path of the first problem."""


class NotFound(SandboxError):
    """What ``field`` names (with ``value``) does not exist."""


class LimitReached(SandboxError):
    """A change would make the sandbox hold more than a limit allows; ``field`` names the limit (a setting)."""


class WiringError(SandboxError):
    """The handlers given to an app do not answer exactly its spec's operations; ``value`` names them."""


class StateUnavailable(SandboxError):
    """The state cannot serve the request now (a shared store is unreachable, or a change kept meeting
    concurrent ones); nothing was changed, and the same request may succeed later."""


class RecordMoved(StateUnavailable):
    """A record this process relied on from memory (the controls, ``SharedStorage.relying_on``) was changed in
    the shared state by another process: the request, which has changed nothing, runs again on it."""


class StateMoved(StateUnavailable):
    """Another process emptied or replaced the shared state (reset, reseed, import) since this one last
    looked: what it keeps in memory (the catalog, caches) must follow before the request is run again."""


class Refused(SandboxError):
    """A well-formed request the domain refuses."""


class InvalidValue(Refused):
    """``field`` holds a value the domain cannot accept."""


class OutOfStock(Refused):
    """Asked for more units than the article's stock."""


class Unserviceable(Refused):
    """The PIN code in ``value`` is not served."""
