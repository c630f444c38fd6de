"""Connexion's security check, remembering which ``Authorization`` headers passed.

For every request, Connexion 3.x builds a request object, parses its headers, splits the
``Authorization`` value and calls the scheme's token check through two wrappers. Where every scheme an
operation accepts is HTTP bearer, and the token check is the sandbox's (``app.bearer_handler``: any
token, or a fixed set; it never changes its mind about a token), the outcome depends on that header
alone. ``CachingSecurityOperation`` runs Connexion's check the first time a header value is seen and,
when it passes, remembers what it put in the request context. A header that fails is checked (and
refused) again every time.
"""

from __future__ import annotations

from connexion.lifecycle import ConnexionRequest
from connexion.middleware.security import SecurityAPI, SecurityMiddleware, SecurityOperation

from .memo import Memo

_CAPACITY = 1024  # header values remembered per operation; tokens vary, so the set is capped, not evicted
_CONTEXT_KEYS = ("user", "token_info")  # what Connexion's verify_fn writes in the context (copied: a
# handler taking token_info may change it)


class CachingSecurityOperation(SecurityOperation):
    """Connexion's security check of one operation, remembering passing ``Authorization`` headers."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        requirements, known = self.security or [], self.security_schemes or {}
        schemes = [known.get(name, {}) for requirement in requirements for name in requirement]
        # Bearer only, and no requirement left empty (an empty one means "no credentials needed", which
        # Connexion answers without writing the context): the header decides, and nothing else.
        self._header_only = bool(requirements) and all(requirements) and all(
            s.get("type") == "http" and str(s.get("scheme", "")).lower() == "bearer" for s in schemes)
        self._passed = Memo(_CAPACITY)

    async def __call__(self, scope, receive, send) -> None:
        if not self._header_only:
            return await super().__call__(scope, receive, send)
        # The first value, as Starlette's Headers.get finds it (ASGI header names are lower-case).
        header = next((value for name, value in scope["headers"] if name == b"authorization"), None)
        passed = self._passed.get(header)
        if passed is None:
            request = ConnexionRequest(scope)
            await self.verification_fn(request)  # raises Connexion's 401/403 problem
            passed = {key: _copy(request.context[key]) for key in _CONTEXT_KEYS}
            self._passed.remember(header, passed, 2 * len(header or b""))
        else:
            context = scope.setdefault("extensions", {}).setdefault("connexion_context", {})
            context.update({key: _copy(value) for key, value in passed.items()})
        await self.next_app(scope, receive, send)


def _copy(value):
    return dict(value) if type(value) is dict else value


class _CachingSecurityAPI(SecurityAPI):
    def make_operation(self, operation) -> SecurityOperation:
        return CachingSecurityOperation.from_operation(operation, next_app=self.next_app,
                                                       security_handler_factory=self.security_handler_factory)


class CachingSecurityMiddleware(SecurityMiddleware):
    """Connexion's security middleware with its operations remembering passing headers."""

    api_cls = _CachingSecurityAPI
