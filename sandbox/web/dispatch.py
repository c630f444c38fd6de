"""Connexion's app-side operation, with the per-request work that gives the same answer every time done once.

For every request, Connexion 3.x's ``AsyncOperation`` builds a new decorator chain (inspecting the
handler's signature), re-parses the query string and path that request validation already parsed,
re-derives from the operation spec which parameters exist, their defaults and their Python names, and
then infers the response's content type from the spec again. Here that is planned once per operation
(``ArgumentPlan``), the parameters and JSON body request validation parsed are reused (it leaves them
in the scope, see ``validation.py``), and a JSON answer is written straight to the ASGI channel.

Same answers as Connexion: the values go through Connexion's own ``_get_val_from_param``, and the
handler gets exactly the arguments Connexion's ``AsyncParameterDecorator`` would give it (a test runs
requests through both and compares). Whatever the plan does not cover (form or multipart bodies, a
handler returning a framework response or its own headers, an operation producing several content
types) takes Connexion's own path.
"""

from __future__ import annotations

import copy
import functools
import typing as t

from connexion.apps.asynchronous import AsyncApi, AsyncOperation
from connexion.decorators import StarletteDecorator
from connexion.decorators.parameter import (
    CONTEXT_NAME,
    _get_query_defaults,
    _get_val_from_param,
    pythonic,
    sanitized,
    unwrap_decorators,
)
from connexion.decorators.response import AsyncResponseDecorator
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.lifecycle import ConnexionRequest
from connexion.utils import (
    inspect_function_arguments,
    is_json_mimetype,
    is_null,
    is_nullable,
)

from .jsonify import JSONIFIER, response_bytes
from .memo import Memo

PARSED_PARAMETERS = "cartwright.parameters"
"""Scope extension: ``(path parameters, query parameters)`` as request validation parsed them. Plain dicts:
the request object itself would point back at the scope, a cycle per request for the collector."""
PARSED_BODY = "cartwright.body"
"""Scope extension: the JSON body request validation parsed."""

_JSON_HEADERS = (b"content-type", b"application/json")
_URL_ARGUMENTS = 4096  # URLs whose handler arguments are remembered per operation (URLs carry ids: capped)
_SCALARS = (str, int, float, bool, type(None))


class RememberedParameters(tuple):
    """``(path parameters, query parameters)`` that request validation remembers for good, one per URL:
    the handler arguments made of them can be remembered with them."""

    __slots__ = ()


class _DecorateOnce(StarletteDecorator):
    """Connexion's decorator, building the handler's parameter and response wrappers once, not per request
    (its wrapper calls ``decorate`` again on every call, inspecting the handler's signature each time)."""

    _decorated: tuple | None = None

    def decorate(self, function):
        if self._decorated is None or self._decorated[0] is not function:
            self._decorated = (function, super().decorate(function))
        return self._decorated[1]


class ArgumentPlan:
    """What an operation's handler is called with, worked out once from the spec and its signature."""

    def __init__(self, operation, function: t.Callable, pythonic_params: bool) -> None:
        self.arguments, self.has_kwargs = inspect_function_arguments(unwrap_decorators(function))
        wanted = set(self.arguments)
        sanitize = pythonic if pythonic_params else sanitized
        self._sanitize = functools.lru_cache(maxsize=256)(sanitize)
        self.path = {p["name"]: p for p in operation.parameters if p["in"] == "path"}
        self.query = {p["name"]: p for p in operation.parameters if p["in"] == "query"}
        # Only parameters the handler takes are passed (Connexion logs and drops the others).
        self.query_wanted = {name: (self._sanitize(name), p) for name, p in self.query.items()
                             if self.has_kwargs or self._sanitize(name) in wanted}
        defaults = _get_query_defaults(self.query)
        self.mutable_defaults = any(isinstance(v, (dict, list)) for v in defaults.values())
        self.query_defaults = {self.query_wanted[name][0]: _get_val_from_param(value, self.query_wanted[name][1])
                               for name, value in defaults.items() if name in self.query_wanted}
        self.body_name = None
        if operation.is_request_body_defined and (self.arguments or self.has_kwargs):
            name = self._sanitize(operation.body_name(None))
            if name in wanted or self.has_kwargs:
                self.body_name = name
        self.body_schema = operation.body_schema() if operation.is_request_body_defined else {}
        self.body_nullable = is_nullable(self.body_schema)
        self.context_wanted = None if self.has_kwargs else wanted
        self.wants_context = CONTEXT_NAME in wanted
        self._remembered = Memo(_URL_ARGUMENTS)

    def kwargs(self, path_params: dict, query_params: dict, body: t.Any, context: dict) -> dict:
        """The handler's keyword arguments, as Connexion's ``prep_kwargs`` builds them."""
        return self._with_body_and_context(self.url_kwargs(path_params, query_params), body, context)

    def remembered_kwargs(self, parameters: RememberedParameters, body: t.Any, context: dict) -> dict:
        """``kwargs`` for parameters request validation remembered: their converted values are remembered
        too, where they are all scalars (a handler may change a list it is given)."""
        remembered = self._remembered.get(id(parameters))
        if remembered is None or remembered[0] is not parameters:
            url_kwargs = self.url_kwargs(*parameters)
            if not all(isinstance(v, _SCALARS) for v in url_kwargs.values()):
                return self._with_body_and_context(url_kwargs, body, context)
            # The parameters are kept alive by validation's cache and by this entry: their id is theirs.
            remembered = (parameters, url_kwargs)
            if not self._remembered.remember(id(parameters), remembered,
                                             sum(len(v) for v in url_kwargs.values() if isinstance(v, str))):
                return self._with_body_and_context(url_kwargs, body, context)
            return self._with_body_and_context(dict(url_kwargs), body, context)
        return self._with_body_and_context(dict(remembered[1]), body, context)

    def _with_body_and_context(self, kwargs: dict, body: t.Any, context: dict) -> dict:
        if self.body_name is not None:
            kwargs[self.body_name] = self._body_argument(body)
        # Every name here is sanitized already (Connexion sanitizes them a second time; it is idempotent).
        for key, value in context.items():
            if self.context_wanted is None or key in self.context_wanted:
                kwargs[key] = value
        if self.wants_context:
            kwargs[CONTEXT_NAME] = context
        return kwargs

    def url_kwargs(self, path_params: dict, query_params: dict) -> dict:
        """The handler's arguments from the path and query string (with the query defaults)."""
        kwargs = {}
        for name, value in path_params.items():
            definition = self.path.get(name)
            kwargs[self._sanitize(name)] = value if definition is None else _get_val_from_param(value, definition)
        kwargs.update(self.query_defaults)
        for name, value in query_params.items():
            wanted = self.query_wanted.get(name)
            if wanted is not None:
                kwargs[wanted[0]] = _get_val_from_param(value, wanted[1])
        return kwargs

    def _body_argument(self, body: t.Any) -> t.Any:
        if self.body_nullable and is_null(body):
            return None
        if body is None:
            default = self.body_schema.get("default", {})
            return copy.deepcopy(default)
        return body


class CompiledOperation(AsyncOperation):
    """An ``AsyncOperation`` that calls its handler through an ``ArgumentPlan`` and writes JSON itself."""

    def __init__(self, operation, *, jsonifier, pythonic_params: bool) -> None:
        fn = operation.function
        super().__init__(fn, jsonifier=jsonifier, operation_id=operation.operation_id,
                         pythonic_params=pythonic_params)
        self.plan = ArgumentPlan(operation, fn, pythonic_params)
        produces = set(operation.produces)
        self.json_only = len(produces) == 1 and is_json_mimetype(next(iter(produces)))
        # Connexion's response decorator around a function answering what it is given: its way with any
        # answer the fast path does not write (framework or Connexion responses, headers, enum statuses).
        self._connexion_response = AsyncResponseDecorator(framework=StarletteFramework, jsonifier=jsonifier)(_given)
        self._uri_parser = operation.uri_parser_class(operation.parameters, operation.body_definition())

    @classmethod
    def from_operation(cls, operation, *, pythonic_params: bool, jsonifier) -> CompiledOperation:
        return cls(operation, jsonifier=jsonifier, pythonic_params=pythonic_params)

    @functools.cached_property
    def fn(self) -> t.Callable:
        """Connexion's own decorator chain, built once (Connexion builds it on every request)."""
        return _DecorateOnce(pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)(self._fn)

    async def __call__(self, scope, receive, send):
        plan = self.plan
        extensions = scope.get("extensions") or {}
        # Connexion's own path where the plan cannot answer: mutable query defaults, or a body the
        # handler takes that request validation did not parse as JSON.
        if plan.mutable_defaults or (plan.body_name is not None and PARSED_BODY not in extensions):
            return await super().__call__(scope, receive, send)
        parameters = extensions.get(PARSED_PARAMETERS)
        if parameters is None:
            request = ConnexionRequest(scope, receive, uri_parser=self._uri_parser)
            parameters = (request.path_params, request.query_params)
        body, context = extensions.get(PARSED_BODY), extensions.get("connexion_context", {})
        kwargs = (plan.remembered_kwargs(parameters, body, context) if type(parameters) is RememberedParameters
                  else plan.kwargs(*parameters, body, context))
        result = await self._fn(**kwargs)
        await self._answer(result, scope, receive, send)

    async def _answer(self, result, scope, receive, send) -> None:
        data, status = result if isinstance(result, tuple) and len(result) == 2 else (result, None)
        if not (self.json_only and isinstance(data, (dict, list)) and (status is None or type(status) is int)):
            response = await self._connexion_response(result)
            return await response(scope, receive, send)
        body = response_bytes(data) if self.jsonifier is JSONIFIER else self.jsonifier.dumps(data).encode()
        await send({"type": "http.response.start", "status": status or 200,
                    "headers": [_JSON_HEADERS, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


async def _given(result):
    return result


class CompiledApi(AsyncApi):
    """The AsyncApp's API, with its operations compiled."""

    def make_operation(self, operation) -> CompiledOperation:
        return CompiledOperation.from_operation(operation, pythonic_params=self.pythonic_params,
                                                jsonifier=self.jsonifier)
