"""Compiled operations: each operation's request validation and handler call, worked out once.

The one place where the sandbox goes beyond Connexion's public extension points for speed. Entry point:
``compiled_middlewares``, Connexion's middleware list made to take two classes of this module:

- ``CompiledOperations`` takes the place of Connexion's request validation, at the end of the stack (after
  the security, response validation and context middlewares), and answers each request of a compiled
  operation itself: Connexion's app-side operation behind it is reached only for what the plan below does
  not cover;
- ``RememberingSecurityMiddleware`` is Connexion's security middleware remembering, per operation, the
  ``Authorization`` headers that passed the sandbox's bearer check (``bearer_handler``, which never changes
  its mind about a token) and what the check put in the request context; a refused or missing header is
  checked, and refused, every time.

Per request, Connexion 3.3 builds a URI parser, a parameter validator (deep-copying and compiling a
jsonschema validator per parameter) and a body validator, parses the content type, then its app-side
operation builds a decorator chain (inspecting the handler's signature), parses the path, query string and
body again, and infers the response's content type. ``CompiledOperation`` builds the validators of the
validator map once (``validation.py``), validates, and calls the handler from an ``ArgumentPlan`` with what
it validated: no second parse, and nothing handed on through the scope. A JSON answer is written straight
to the ASGI channel. Valid URLs are remembered per operation with the handler arguments they give (capped
by ``memo.py``). Whatever the plan does not cover (form or multipart bodies, mutable query defaults, a body
without a schema, a handler answering with a framework response, headers or several content types) takes
Connexion's own way. ``tests/test_sandbox_dispatch.py`` compares both paths byte for byte on generated
requests for every operation.

Framework internals this module relies on (connexion 3.3, pinned in pyproject.toml), and why:

- ``connexion.decorators.parameter._get_val_from_param`` and ``_get_query_defaults`` are copied here
  (``_typed``, ``_query_defaults``), so that arguments are converted exactly as Connexion converts them.
- ``RoutedMiddleware``, ``RoutedAPI`` (``connexion.middleware.abstract``): public names, but the contract
  used (``api_cls``; ``make_operation`` called per operation with the ``add_api`` options; the operation
  found by the id the routing middleware left in the scope) is known from Connexion's own middlewares only.
- ``scope["extensions"]["connexion_context"]``: where the security middleware leaves what handlers take
  as ``user`` and ``token_info`` (Connexion's context middleware reads it there too).
- ``BearerSecurityHandler._resolve_func`` and ``_accepts_kwarg``, overridden by ``bearer_handler`` (given to
  Connexion's public ``security_map``): the token check is the sandbox's function (Connexion looks one up
  by name in the spec or the environment), and takes the token alone (Connexion inspects its signature on
  every request). ``SecurityOperation``'s ``security``, ``security_schemes`` and ``verification_fn``, and
  ``SecurityHandlerFactory.security_handlers``, read to tell when the header alone decides.
"""

from __future__ import annotations

import copy
import functools
import typing as t

from connexion.decorators.parameter import CONTEXT_NAME, pythonic, sanitized, unwrap_decorators
from connexion.decorators.response import AsyncResponseDecorator
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.jsonifier import Jsonifier
from connexion.lifecycle import ConnexionRequest
from connexion.middleware.abstract import RoutedAPI, RoutedMiddleware
from connexion.middleware.request_validation import RequestValidationMiddleware, RequestValidationOperation
from connexion.middleware.security import SecurityAPI, SecurityMiddleware, SecurityOperation
from connexion.security import BearerSecurityHandler
from connexion.utils import inspect_function_arguments, is_json_mimetype, is_null, is_nullable, make_type
from connexion.validators import VALIDATOR_MAP

from .jsonify import JSONIFIER, response_bytes
from .memo import Memo
from .validation import JSONBodyValidator

_JSON_HEADERS = (b"content-type", b"application/json")
_URL_CACHE = 4096  # valid URLs remembered per operation (URLs carry ids: capped)
_SMALL_CACHE = 64  # content types per operation; more (odd clients) are worked out each time
_SCALARS = (str, int, float, bool, type(None))
_TOKENS = 1024  # Authorization headers remembered per operation (tokens vary: capped)
_CONTEXT_KEYS = ("user", "token_info")  # what Connexion's bearer check writes in the request context


def _typed(value: t.Any, definition: dict) -> t.Any:
    """A parameter's value converted as its definition says (Connexion's ``_get_val_from_param``)."""
    schema = definition.get("schema", definition)
    if is_nullable(schema) and is_null(value):
        return None
    if schema["type"] == "array":
        return [make_type(part, schema["items"]["type"], schema["items"].get("format")) for part in value]
    return make_type(value, schema["type"], schema.get("format"))


def _query_defaults(query: dict[str, dict]) -> dict[str, t.Any] | None:
    """The query parameters' defaults (Connexion's ``_get_query_defaults``); None where one is an object, which
    Connexion builds from nested defaults: those operations take Connexion's way."""
    defaults = {}
    for name, definition in query.items():
        schema = definition.get("schema", {})
        if schema.get("type") == "object":
            return None
        if "default" in definition:
            defaults[name] = definition["default"]
        elif "default" in schema:
            defaults[name] = schema["default"]
    return defaults


class ArgumentPlan:
    """What an operation's handler is called with, worked out once from the spec and its signature, as
    Connexion's ``AsyncParameterDecorator`` would call it; None from ``of`` where the plan cannot tell."""

    @classmethod
    def of(cls, operation, function: t.Callable, pythonic_params: bool) -> ArgumentPlan | None:
        defaults = _query_defaults({p["name"]: p for p in operation.parameters if p["in"] == "query"})
        if defaults is None or any(isinstance(v, (dict, list)) for v in defaults.values()):
            return None   # a mutable default Connexion copies per request
        return cls(operation, function, pythonic_params, defaults)

    def __init__(self, operation, function: t.Callable, pythonic_params: bool, defaults: dict) -> None:
        arguments, has_kwargs = inspect_function_arguments(unwrap_decorators(function))
        wanted = set(arguments)
        self._sanitize = functools.lru_cache(maxsize=256)(pythonic if pythonic_params else sanitized)
        self.path = {p["name"]: p for p in operation.parameters if p["in"] == "path"}
        # Only parameters the handler takes are passed (Connexion logs and drops the others).
        self.query = {p["name"]: (self._sanitize(p["name"]), p) for p in operation.parameters
                      if p["in"] == "query" and (has_kwargs or self._sanitize(p["name"]) in wanted)}
        self.query_defaults = {self.query[name][0]: _typed(value, self.query[name][1])
                               for name, value in defaults.items() if name in self.query}
        self.body_name = None
        if operation.is_request_body_defined and (arguments or has_kwargs):
            name = self._sanitize(operation.body_name(None))
            if name in wanted or has_kwargs:
                self.body_name = name
        self.body_schema = operation.body_schema() if operation.is_request_body_defined else {}
        self.body_nullable = is_nullable(self.body_schema)
        self.context_wanted = None if has_kwargs else wanted
        self.wants_context = CONTEXT_NAME in wanted

    def url_kwargs(self, path_params: dict, query_params: dict) -> dict:
        """The handler's arguments from the path and query string (with the query defaults)."""
        kwargs = {}
        for name, value in path_params.items():
            definition = self.path.get(name)
            kwargs[self._sanitize(name)] = value if definition is None else _typed(value, definition)
        kwargs.update(self.query_defaults)
        for name, value in query_params.items():
            wanted = self.query.get(name)
            if wanted is not None:
                kwargs[wanted[0]] = _typed(value, wanted[1])
        return kwargs

    def kwargs(self, url_kwargs: dict, body: t.Any, context: dict) -> dict:
        """``url_kwargs`` with the body and the request context added, as Connexion's ``prep_kwargs`` adds them."""
        if self.body_name is not None:
            if self.body_nullable and is_null(body):
                body = None
            elif body is None:
                body = copy.deepcopy(self.body_schema.get("default", {}))
            url_kwargs[self.body_name] = body
        for key, value in context.items():   # names Connexion sanitizes again (idempotent)
            if self.context_wanted is None or key in self.context_wanted:
                url_kwargs[key] = value
        if self.wants_context:
            url_kwargs[CONTEXT_NAME] = context
        return url_kwargs


class CompiledOperation:
    """One operation's request validation and handler call (``next_app``: Connexion's way, where the plan stops)."""

    def __init__(self, next_app, operation, *, validator_map: dict, strict_validation: bool,
                 pythonic_params: bool, jsonifier) -> None:
        self.next_app, self.operation, self.jsonifier = next_app, operation, jsonifier
        self.validator_map = {**VALIDATOR_MAP, **(validator_map or {})}
        # Connexion's own per-operation checks of the content type.
        self.checks = RequestValidationOperation(next_app, operation=operation, strict_validation=strict_validation,
                                                 validator_map=validator_map)
        self.strict_validation = strict_validation
        self.uri_parser = operation.uri_parser_class(operation.parameters, operation.body_definition())
        self.parameters = self.validator_map["parameter"](
            operation.parameters, uri_parser=self.uri_parser, strict_validation=strict_validation,
            security_query_params=self.checks.security_query_params)
        self.function = operation.function
        self.plan = ArgumentPlan.of(operation, self.function, pythonic_params)
        produces = set(operation.produces)
        self.json_only = len(produces) == 1 and is_json_mimetype(next(iter(produces)))
        # Connexion's response decorator around a function answering what it is given: its way with any
        # answer written here (framework or Connexion responses, headers, enum statuses).
        self.connexion_response = AsyncResponseDecorator(framework=StarletteFramework, jsonifier=jsonifier)(_given)
        # Without header or cookie parameters the path and query string decide whether the parameters pass.
        self.url_only = not any(p["in"] in ("header", "cookie") for p in operation.parameters)
        self.valid_urls = Memo(_URL_CACHE)
        self.content_types: dict[bytes | None, tuple[str, str]] = {}
        self.body_validators: dict[tuple[str, str], t.Any] = {}

    def url_kwargs(self, scope) -> dict:
        """The handler's arguments from the URL, validated (or the validator's 400 raised); a dict of its own."""
        key = (scope["path"], scope.get("query_string", b""))
        remembered = self.valid_urls.get(key) if self.url_only else None
        if remembered is not None:
            return dict(remembered)
        request = ConnexionRequest(scope, uri_parser=self.uri_parser)
        self.parameters.validate_request(request)
        kwargs = self.plan.url_kwargs(request.path_params, request.query_params) if self.plan else {}
        if self.url_only and all(isinstance(v, _SCALARS) for v in kwargs.values()):  # a list could be changed
            self.valid_urls.remember(key, dict(kwargs), len(key[0]) + len(key[1]))
        return kwargs

    def content_type(self, headers) -> tuple[str, str]:
        raw = next((v for k, v in headers if k.lower() == b"content-type"), None)
        found = self.content_types.get(raw)
        if found is None:
            found = self.checks.extract_content_type(headers)
            self.checks.validate_mime_type(found[0])
            if len(self.content_types) < _SMALL_CACHE:
                self.content_types[raw] = found
        return found

    def body_validator(self, mime_type: str, encoding: str):
        """The validator map's body validator for this content type, built once; None where Connexion skips
        validation (no schema, or no validator for the content type)."""
        key = (mime_type, encoding)
        if key in self.body_validators:
            return self.body_validators[key]
        validator, schema = None, self.operation.body_schema(mime_type)
        validator_cls = self.validator_map["body"].get(mime_type) if schema else None
        if validator_cls is not None:
            validator = validator_cls(
                schema=schema, required=self.operation.request_body.get("required", False),
                nullable=is_nullable(self.operation.body_definition(mime_type)), encoding=encoding,
                strict_validation=self.strict_validation, uri_parser=self.uri_parser)
            if isinstance(validator, JSONBodyValidator):
                validator.fast = True
        if len(self.body_validators) < _SMALL_CACHE:
            self.body_validators[key] = validator
        return validator

    async def __call__(self, scope, receive, send) -> None:
        url_kwargs = self.url_kwargs(scope)
        validator = self.body_validator(*self.content_type(scope["headers"]))
        plan = self.plan
        json_body = isinstance(validator, JSONBodyValidator)
        if plan is None or (plan.body_name is not None and not json_body):   # Connexion's way
            if validator is not None:
                receive, scope = await validator.wrap_receive(receive, scope=scope)
            return await self.next_app(scope, receive, send)
        body = await self.json_body(validator, scope, receive) if json_body else None
        context = scope.get("extensions", {}).get("connexion_context", {})
        result = await self.function(**plan.kwargs(url_kwargs, body, context))
        data, status = result if isinstance(result, tuple) and len(result) == 2 else (result, None)
        if not (self.json_only and isinstance(data, (dict, list)) and (status is None or type(status) is int)):
            response = await self.connexion_response(result)
            return await response(scope, receive, send)
        body = response_bytes(data) if self.jsonifier is JSONIFIER else self.jsonifier.dumps(data).encode()
        await send({"type": "http.response.start", "status": status or 200,
                    "headers": [_JSON_HEADERS, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    async def json_body(validator: JSONBodyValidator, scope, receive) -> t.Any:
        """The body, read whole, parsed and checked as ``validator.wrap_receive`` checks it; a body without a
        plain length takes ``wrap_receive`` itself (its default body, or "required"), then is read back."""
        length = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        checked = length is None or not length.isdigit() or not int(length)
        if checked:
            receive, scope = await validator.wrap_receive(receive, scope=scope)
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = validator.parse(b"".join(chunks))
        if not checked:
            validator.check(body)
        return body


async def _given(result):
    return result


class _CompiledApi(RoutedAPI):
    def __init__(self, *args, validator_map=None, strict_validation: bool = False, pythonic_params: bool = False,
                 jsonifier=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.options = dict(validator_map=validator_map, strict_validation=strict_validation,
                            pythonic_params=pythonic_params, jsonifier=jsonifier or Jsonifier())
        self.add_paths()

    def make_operation(self, operation) -> CompiledOperation:
        return CompiledOperation(self.next_app, operation, **self.options)


class CompiledOperations(RoutedMiddleware):
    """Connexion's request validation and app-side operations in one, compiled per operation (see the module)."""

    api_cls = _CompiledApi


class _RememberingSecurityOperation(SecurityOperation):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        requirements, known = self.security or [], self.security_schemes or {}
        schemes = [known.get(name, {}) for requirement in requirements for name in requirement]
        bearer = self.security_handler_factory.security_handlers.get("bearer")
        # Bearer only, with the sandbox's check, and no requirement left empty (an empty one means "no
        # credentials needed", which Connexion answers without writing the context): the header decides.
        self.header_only = bool(requirements) and all(requirements) and getattr(bearer, "sandbox", False) and all(
            s.get("type") == "http" and str(s.get("scheme", "")).lower() == "bearer" for s in schemes)
        self.passed = Memo(_TOKENS)

    async def __call__(self, scope, receive, send) -> None:
        if not self.header_only:
            return await super().__call__(scope, receive, send)
        # The first value, as Starlette's Headers.get finds it (ASGI header names are lower-case).
        header = next((value for name, value in scope["headers"] if name == b"authorization"), None)
        passed = self.passed.get(header)
        if passed is None:
            request = ConnexionRequest(scope)
            await self.verification_fn(request)   # raises Connexion's 401/403 problem
            passed = {key: _copy(request.context[key]) for key in _CONTEXT_KEYS}
            self.passed.remember(header, passed, 2 * len(header or b""))
        else:
            context = scope.setdefault("extensions", {}).setdefault("connexion_context", {})
            context.update({key: _copy(value) for key, value in passed.items()})
        await self.next_app(scope, receive, send)


def _copy(value):
    return dict(value) if type(value) is dict else value   # a handler may change the token_info it is given


class _RememberingSecurityAPI(SecurityAPI):
    def make_operation(self, operation) -> SecurityOperation:
        return _RememberingSecurityOperation.from_operation(operation, next_app=self.next_app,
                                                           security_handler_factory=self.security_handler_factory)


class RememberingSecurityMiddleware(SecurityMiddleware):
    """Connexion's security middleware, its operations remembering passing headers (see the module)."""

    api_cls = _RememberingSecurityAPI


def compiled_middlewares(middlewares: list) -> list:
    """Connexion's middleware list ``middlewares`` with its security middleware remembering passing headers,
    and its request validation replaced by the compiled operations at the end of the stack."""
    swapped = [RememberingSecurityMiddleware if m is SecurityMiddleware else m for m in middlewares]
    return [m for m in swapped if m is not RequestValidationMiddleware] + [CompiledOperations]


def bearer_handler(tokens: frozenset[str] | None) -> type[BearerSecurityHandler]:
    """A bearer check that accepts any token, or only ``tokens`` when given."""

    def token_info(token: str) -> dict | None:
        return {"sub": token} if tokens is None or token in tokens else None

    class SandboxBearer(BearerSecurityHandler):
        sandbox = True   # its answer for a token never changes: RememberingSecurityMiddleware may remember it
        _accepts_kwarg = staticmethod(lambda func, keyword: False)   # token_info takes the token only

        def _resolve_func(self, security_scheme):
            return token_info

    return SandboxBearer

