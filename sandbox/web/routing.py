"""The methods an API takes at a path, for a 405's ``Allow`` header."""

from __future__ import annotations

from connexion.middleware.routing import RoutingMiddleware
from starlette.routing import Match, Mount


def allowed_methods(scope) -> list[str]:
    """Every method the API takes at ``scope``'s path, for a 405's ``Allow`` header (RFC 9110, 15.5.6).

    Connexion routes each operation on its own, so the 405 Starlette raises names only the first route whose
    path matched; this asks every route of the routing middleware (found in the ConnexionMiddleware that
    Connexion puts in the scope as ``app``) and of the routers mounted in it."""
    stack = getattr(scope.get("app"), "middleware_stack", None) or ()
    fresh = {"type": "http", "method": "", "path": scope["path"], "root_path": scope.get("app_root_path", "")}
    methods: set[str] = set()

    def walk(routes, at) -> None:
        for route in routes:
            match, child = route.matches(at)   # no method: PARTIAL where only the path matches
            if match is Match.NONE:
                continue
            if isinstance(route, Mount):
                inner = getattr(route.app, "routes", None)
                if inner is not None:
                    walk(inner, {**at, **child})
            else:
                methods.update(getattr(route, "methods", None) or ())

    for middleware in stack:
        if isinstance(middleware, RoutingMiddleware):
            walk(middleware.router.routes, fresh)
    return sorted(methods)
