"""Connexion's routing, remembering which route a path went to.

Starlette's ``Router`` tries its routes in order, a regular expression each, on every request: about
twenty for a cart read here, three routers deep (Swagger UI's, the routing middleware's, the API's).
``MatchCachingRouter`` remembers, per method and path, the route that matched fully and the child scope
that match gave (each request gets its own copy of the path parameters), or that nothing matched and
the request goes to the router's default app; anything else (a partial match giving 405, a slash
redirect) is left to Starlette.
"""

from __future__ import annotations

from connexion.middleware.routing import RoutingMiddleware
from starlette._utils import get_route_path
from starlette.routing import Match, Mount, Router

from .memo import Memo
from .served_spec import SpecServingSwaggerUIMiddleware

_CAPACITY = 4096  # paths remembered per router; paths carry ids, so the set is capped, not evicted
_DEFAULT, _STARLETTE = object(), object()  # outcomes other than a route: the default app; Starlette's own way
_ABSENT = object()  # a scope key not there


class MatchCachingRouter(Router):
    """Starlette's router, remembering per method and path where the request went."""

    async def app(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            outcomes = self.__dict__.get("_outcomes")
            if outcomes is None:
                outcomes = self.__dict__["_outcomes"] = Memo(_CAPACITY)
            key = (scope["method"], scope.get("root_path", ""), scope["path"])
            outcome = outcomes.get(key)
            if outcome is None:
                outcome = self._outcome(scope)
                outcomes.remember(key, outcome, len(key[1]) + len(key[2]))
            if outcome is _DEFAULT:
                scope.setdefault("router", self)
                return await self.default(scope, receive, send)
            if outcome is not _STARLETTE:
                child_scope = self._child_scope(outcome, key, scope)
                if child_scope is not None:
                    scope.setdefault("router", self)
                    scope["route"] = outcome
                    scope.update(child_scope)
                    return await outcome.handle(scope, receive, send)
        await super().app(scope, receive, send)

    def _child_scope(self, route, key, scope) -> dict | None:
        """What ``route.matches(scope)`` adds to the scope on a full match (else None), remembered with
        the two other things it reads: the path parameters found so far and the app's root path."""
        children = self.__dict__.get("_children")
        if children is None:
            children = self.__dict__["_children"] = Memo(_CAPACITY)
        given = (scope.get("path_params"), scope.get("app_root_path", _ABSENT))
        remembered = children.get(key)
        if remembered is not None and remembered[0] == given:
            child_scope = remembered[1]
        else:
            match, child_scope = route.matches(scope)
            if match is not Match.FULL:
                return None
            children.remember(key, ((dict(given[0]) if given[0] is not None else None, given[1]), child_scope),
                              len(key[1]) + 2 * len(key[2]))
        # Path parameters are a dict of the request's own, as Starlette gives each request.
        return {**child_scope, "path_params": dict(child_scope["path_params"])}

    def _outcome(self, scope):
        """The route that fully matches; else ``_DEFAULT`` where Starlette would go straight to the
        default app (nothing matches, even with the trailing slash toggled), else ``_STARLETTE``."""
        partial = False
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return route
            partial = partial or match is Match.PARTIAL
        if partial:
            return _STARLETTE
        route_path = get_route_path(scope)
        if self.redirect_slashes and route_path != "/":
            toggled = {**scope, "path": scope["path"].rstrip("/") if route_path.endswith("/") else scope["path"] + "/"}
            if any(route.matches(toggled)[0] is not Match.NONE for route in self.routes):
                return _STARLETTE
        return _DEFAULT


def _cache_matches(router: Router) -> None:
    """``router`` and the routers mounted in it, made match-caching (they are plain Starlette routers)."""
    if type(router) is Router:
        plain = getattr(router.middleware_stack, "__func__", None) is Router.app
        router.__class__ = MatchCachingRouter
        if plain:  # Starlette bound ``app`` as the router's stack when it was made
            router.middleware_stack = router.app
    for route in router.routes:
        if isinstance(route, Mount) and isinstance(route.app, Router):
            _cache_matches(route.app)


class CachingRoutingMiddleware(RoutingMiddleware):
    """Connexion's routing middleware with match-caching routers."""

    def add_api(self, *args, **kwargs) -> None:
        super().add_api(*args, **kwargs)
        _cache_matches(self.router)


class CachingSwaggerUIMiddleware(SpecServingSwaggerUIMiddleware):
    """The Swagger UI middleware (the first router every request meets; serving each spec as ``served_spec``
    says) with match-caching routers."""

    def add_api(self, *args, **kwargs) -> None:
        super().add_api(*args, **kwargs)
        _cache_matches(self.router)


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
