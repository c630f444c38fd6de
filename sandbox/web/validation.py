"""Connexion's request validators, with the per-request work done once per operation instead.

Connexion (3.x) builds its request validators on every request. ``ParameterValidator`` deep-copies
each parameter and compiles a jsonschema validator for it; the URI parser it is given recomputes
its table of parameter schemas for every query parameter it resolves; the JSON body validator
compiles its validator too. Here, per operation and once, the parameters are grouped by location
with their compiled ``Draft4Validator``, the URI parser is replaced by a copy whose parameter
schemas are computed once, and the body validator is compiled once. The checks are Connexion's plus
the bounds of ``bounds.py`` (numbers' ranges, NaN and Infinity, nesting depth, ``page_size``); messages
name the parameter, or the body field by its JSON path.

``CompiledRequestValidationMiddleware`` is Connexion's request validation middleware with those
validators built once per operation too, the paths and query strings that passed remembered, and the
parsed parameters and JSON body handed on to the handler's call (``dispatch.py``). Request bodies get
a fast "valid" from jsonschema-rs first (``BodyValidator``); every refusal is the Python validator's.
"""

from __future__ import annotations

import math
import typing as t

import jsonschema_rs
from connexion.exceptions import BadRequestProblem, ExtraParameterProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.lifecycle import ConnexionRequest
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationMiddleware,
    RequestValidationOperation,
)
from connexion.uri_parsing import OpenAPIURIParser
from connexion.utils import is_null, is_nullable
from connexion.validators import VALIDATOR_MAP as CONNEXION_VALIDATORS
from connexion.validators.json import JSONRequestBodyValidator
from connexion.validators.parameter import ParameterValidator
from jsonschema import Draft4Validator, FormatChecker, ValidationError

from .._settings import Settings
from . import bounds
from .dispatch import PARSED_BODY, PARSED_PARAMETERS, RememberedParameters
from .memo import Memo

# OpenAPI's integer widths, as the ranges they promise.
_INTEGER_RANGES = bounds.INTEGER_RANGES


def _format_checker() -> FormatChecker:
    """jsonschema's Draft 4 formats plus OpenAPI's integer widths: ``int32``/``int64`` are ranges the
    spec promises, so a value outside them is invalid input (400), as a client generated from the spec
    would never send it."""
    checker = FormatChecker(formats=Draft4Validator.FORMAT_CHECKER.checkers)
    for name, (low, high) in _INTEGER_RANGES.items():
        checker.checks(name)(lambda v, low=low, high=high: not isinstance(v, int) or isinstance(v, bool)
                             or low <= v <= high)
    return checker


_FORMAT_CHECKER = _format_checker()

class _Cache:
    """Values derived from a spec object, keyed by its identity (the object is kept, so the id stays its own)."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[object, object]] = {}

    def get(self, key: object, make: t.Callable[[], t.Any]):
        entry = self._entries.get(id(key))
        if entry is None or entry[0] is not key:
            entry = self._entries[id(key)] = (key, make())
        return entry[1]


class _CachedSchemasURIParser(OpenAPIURIParser):
    """Connexion's OpenAPI URI parser, with its parameter schemas computed once rather than on every use."""

    @property
    def param_schemas(self):
        return self._param_schemas

    @classmethod
    def copy_of(cls, parser: OpenAPIURIParser) -> _CachedSchemasURIParser:
        new = cls.__new__(cls)
        new.__dict__.update(parser.__dict__)
        new._param_schemas = OpenAPIURIParser.param_schemas.fget(parser)
        return new


class _Param(t.NamedTuple):
    spec: dict
    name: str
    key: str  # where the value is looked up (path parameters: "-" → "_")
    nullable: bool
    required: bool
    validator: Draft4Validator
    certainly_valid: t.Callable[[t.Any], bool] | None


# Keywords a Draft 4 validator does not check (annotations, and OpenAPI's nullable, handled before).
_ANNOTATIONS = {"default", "nullable", "description", "example", "title"}


def _certainly_valid(schema: dict) -> t.Callable[[t.Any], bool] | None:
    """For a scalar schema of just a type, a format and a range, the same test as its validator, without the
    validator's machinery (~10 µs a parameter); None for any other schema. A value it refuses still
    goes through the validator, for the message."""
    type_ = schema.get("type")
    if type_ not in ("string", "integer", "number", "boolean") or (
            set(schema) - _ANNOTATIONS - {"type", "format", "minimum", "maximum"}):
        return None
    is_type, fmt = Draft4Validator.TYPE_CHECKER.is_type, schema.get("format")
    low, high = schema.get("minimum"), schema.get("maximum")
    in_range = ((lambda value: True) if low is None and high is None else
                (lambda value: (low is None or low <= value) and (high is None or value <= high)))
    if fmt not in _FORMAT_CHECKER.checkers:
        return lambda value: is_type(value, type_) and in_range(value)
    conforms = _FORMAT_CHECKER.conforms
    return lambda value: is_type(value, type_) and in_range(value) and conforms(value, fmt)


class _Plan:
    """An operation's parameters, grouped by location and compiled, with the ranges ``bounds`` gives them."""

    def __init__(self, parameters: list[dict], max_page_size: int = Settings.max_page_size) -> None:
        grouped: dict[str, list[dict]] = {}
        for p in parameters:
            grouped.setdefault(p["in"], []).append(p)
        self.grouped = grouped
        self.compiled = {where: tuple(self._param(where, p, max_page_size) for p in ps)
                         for where, ps in grouped.items()}
        self._parser: tuple[object, OpenAPIURIParser] | None = None

    def parser(self, given: OpenAPIURIParser) -> OpenAPIURIParser:
        """``given`` with its schemas cached: one copy per operation (whose body schema it keeps)."""
        body = given._body_schema
        if self._parser is None or not (self._parser[0] is body or (not body and not self._parser[0])):
            self._parser = (body, _CachedSchemasURIParser.copy_of(given))
        return self._parser[1]

    @staticmethod
    def _param(where: str, p: dict, max_page_size: int = Settings.max_page_size) -> _Param:
        schema = bounds.parameter_schema(p["name"], p.get("schema", p), max_page_size)
        return _Param(p, p["name"], p["name"].replace("-", "_") if where == "path" else p["name"], bool(is_nullable(p)),
                      bool(p.get("required")), Draft4Validator(schema, format_checker=_FORMAT_CHECKER),
                      _certainly_valid(schema))


class CachedParameterValidator(ParameterValidator):
    """Connexion's ``ParameterValidator``, same answers and messages, with the work per operation done once."""

    _plans = _Cache()
    max_page_size = Settings.max_page_size

    def __init__(self, parameters, uri_parser, strict_validation=False, security_query_params=None):
        plan = self._plans.get(parameters, lambda: _Plan(parameters, self.max_page_size))
        self._plan = plan
        self.parameters = plan.grouped
        if type(uri_parser) is OpenAPIURIParser:
            uri_parser = plan.parser(uri_parser)
        self.uri_parser = uri_parser
        self.strict_validation = strict_validation
        self.security_query_params = set(security_query_params or [])

    @staticmethod
    def validate_parameter(parameter_type, value, param, param_name=None):
        """Connexion's check of one parameter, for callers that use it directly."""
        return CachedParameterValidator._check(parameter_type, value, _Plan._param(parameter_type, param))

    @staticmethod
    def _check(parameter_type: str, value, p: _Param) -> str | None:
        if p.nullable and is_null(value):
            return None
        if value is not None:
            if p.certainly_valid is not None and p.certainly_valid(value):
                return None
            try:
                p.validator.validate(value)
            except ValidationError as exception:
                return f"{parameter_type} parameter '{p.name}': {exception.message}"
            if type(value) is float and not math.isfinite(value):   # passes any range: NaN compares false
                return f"{parameter_type} parameter '{p.name}': {value} is not a finite number"
            return None
        if p.required:
            return f"Missing {parameter_type} parameter '{p.name}'"
        return None

    def validate_request(self, request):
        if self.strict_validation:
            query_errors = self.validate_query_parameter_list(request, security_params=self.security_query_params)
            if query_errors:
                raise ExtraParameterProblem(param_type="query", extra_params=query_errors)
        compiled = self._plan.compiled
        for where in ("query", "path", "header", "cookie"):
            params = compiled.get(where)
            if not params:
                continue
            if where == "query":
                values = request.query_params
            elif where == "path":
                values = request.path_params
            elif where == "header":
                values = request.headers
            else:
                values = request.cookies
            for p in params:
                error = self._check(where, values.get(p.key), p)
                if error:
                    raise BadRequestProblem(detail=error)

    def validate(self, scope):
        self.validate_request(ConnexionRequest(scope, uri_parser=self.uri_parser))


def _schema_nodes(node):
    """Every mapping in ``node`` (a schema), depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _schema_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_nodes(value)


def _fast_schema(schema: dict) -> dict | None:
    """``schema`` (bounded: its integer widths written as ranges, which jsonschema-rs checks where it
    checks formats of strings only) as jsonschema-rs may take it, or None when it could be more lenient
    than Python's check.

    Connexion attaches the spec's ``components`` to body schemas; its references are already resolved
    inline, so they matter only when a ``$ref`` is left (then: None)."""
    own = {k: v for k, v in schema.items() if k != "components"}
    nodes = list(_schema_nodes(own))
    if any("$ref" in n for n in nodes):
        return None
    checked = set(_FORMAT_CHECKER.checkers) - set(_INTEGER_RANGES)
    if any(isinstance(n.get("format"), str) and n["format"] in checked for n in nodes):
        return None
    return own


class BodyValidator:
    """Connexion's request body validator (Draft 4 with OpenAPI's ``nullable``), with a fast yes first.

    jsonschema-rs answers "valid" in a few microseconds where the Python validator takes ~150 µs for an
    add-to-cart body; whatever it refuses goes to the Python validator, which decides and words the
    error. So jsonschema-rs may be stricter than Connexion (it is, on ``nullable``), never more lenient:
    it is used only for schemas whose only checked formats are the integer widths, given to it as ranges
    (its date-time check accepts what the Python one refuses, e.g. leap seconds).
    """

    def __init__(self, schema: dict) -> None:
        schema = bounds.bounded_schema(schema)
        self.python = Draft4RequestValidator(schema, format_checker=_FORMAT_CHECKER)
        self.rust = None
        fast = _fast_schema(schema)
        if fast is not None:
            try:
                self.rust = jsonschema_rs.Draft4Validator(fast, validate_formats=False)
            except Exception:  # noqa: BLE001 - a schema it cannot take: the Python validator alone
                self.rust = None

    def validate(self, body) -> None:
        if self.rust is not None:
            try:
                if self.rust.is_valid(body):
                    return
            except Exception:  # noqa: BLE001, S110 - a value it cannot take (e.g. a huge integer): ask Python
                pass
        self.python.validate(body)

    def is_valid(self, body) -> bool:
        try:
            self.validate(body)
        except ValidationError:
            return False
        return True


class CachedJSONBodyValidator(JSONRequestBodyValidator):
    """Connexion's JSON body validator, compiled once per body schema; it leaves the parsed body in the
    scope, so the handler's arguments are not parsed from the same bytes again (``dispatch.py``)."""

    _validators = _Cache()
    max_json_depth = Settings.max_json_depth

    @property
    def _validator(self):
        return self._validators.get(self._schema, lambda: BodyValidator(self._schema))

    async def _parse(self, stream, scope):
        """Connexion's parse, with ``bounds.loads`` instead of ``json.loads``: what the sandbox does not take
        (too deep, NaN, Infinity, integers beyond 64 bits) is refused here, naming the field."""
        text = b"".join([message async for message in stream]).decode(self._encoding)
        body = bounds.loads(text, self.max_json_depth) if text else None
        scope.setdefault("extensions", {})[PARSED_BODY] = body
        return body

    def _validate(self, body):
        """Connexion's check, its message naming the field by JSON path (``items[0].quantity: ...``)."""
        if not self._nullable and body is None:
            raise BadRequestProblem("Request body must not be empty")
        try:
            self._validator.validate(body)
        except ValidationError as exception:
            raise BadRequestProblem(detail=f"{bounds.path_of(exception.path)}: {exception.message}"
                                    if exception.path else exception.message) from None

    async def wrap_receive(self, receive, *, scope):
        """Connexion's ``wrap_receive``, its checks in its order, without the header object and the stream
        of messages it builds per request; a body without a plain length takes Connexion's own way."""
        length = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if length is None or not length.isdigit() or not int(length) or self.MUTABLE_VALIDATION:
            return await super().wrap_receive(receive, scope=scope)
        messages, chunks, more = [], [], True
        while more:
            message = await receive()
            messages.append(message)
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = await self._parse(_stream(b"".join(chunks)), scope)
        if not (body is None and self._nullable):
            self._validate(body)
        return self._insert_messages(receive, messages=messages), scope


async def _stream(data: bytes):
    yield data


_SMALL_CACHE = 64  # content types seen per operation; more (odd clients) are worked out each time
_URL_CACHE = 4096  # valid paths and query strings remembered per operation (URLs carry ids: capped)


class CompiledRequestValidationOperation(RequestValidationOperation):
    """Connexion's request validation of one operation, with what depends only on the operation built once.

    Connexion builds the URI parser, the parameter validator and the body validator, and parses the
    content type, on every request. The checks and their order are Connexion's; the parsed request is
    left in the scope for the handler's arguments (``dispatch.py``).
    """

    def __init__(self, next_app, *, operation, strict_validation=False, validator_map=None) -> None:
        super().__init__(next_app, operation=operation, strict_validation=strict_validation,
                         validator_map=validator_map)
        uri_parser = operation._uri_parser_class(operation.parameters, operation.body_definition())
        self._parameters = self._validator_map["parameter"](
            operation.parameters, uri_parser=uri_parser, strict_validation=strict_validation,
            security_query_params=self.security_query_params)
        self._content_types = Memo(_SMALL_CACHE)
        self._accepted_mime_types: set[str] = set()
        self._body_validators: dict[tuple[str, str], object] = {}
        # Without header or cookie parameters, whether the parameters are valid, and what they parse to,
        # follows from the path and query string alone: remembered for the ones that passed.
        self._url_only = not any(p["in"] in ("header", "cookie") for p in operation.parameters)
        self._valid_urls = Memo(_URL_CACHE)

    def _content_type(self, headers) -> tuple[str, str]:
        raw = next((v for k, v in headers if k.lower() == b"content-type"), None)
        found = self._content_types.get(raw)
        if found is None:
            found = self.extract_content_type(headers)
            self._content_types.remember(raw, found, 2 * len(raw or b""))
        return found

    def _body_validator(self, mime_type: str, encoding: str):
        key = (mime_type, encoding)
        if key in self._body_validators:
            return self._body_validators[key]
        validator = None
        schema = self._operation.body_schema(mime_type)
        if schema:
            try:
                validator_cls = self._validator_map["body"][mime_type]
            except KeyError:
                pass  # Connexion skips validation (and logs it) for content types without a validator
            else:
                validator = validator_cls(
                    schema=schema, required=self._operation.request_body.get("required", False),
                    nullable=is_nullable(self._operation.body_definition(mime_type)), encoding=encoding,
                    strict_validation=self.strict_validation, uri_parser=self._parameters.uri_parser)
        if len(self._body_validators) < _SMALL_CACHE:
            self._body_validators[key] = validator
        return validator

    def _parsed_parameters(self, scope) -> tuple[dict, dict]:
        """``(path parameters, query parameters)``, validated (or the validator's 400 raised)."""
        key = (scope["path"], scope.get("query_string", b""))
        parsed = self._valid_urls.get(key) if self._url_only else None
        if parsed is None:
            request = ConnexionRequest(scope, uri_parser=self._parameters.uri_parser)
            self._parameters.validate_request(request)
            parsed = (request.path_params, request.query_params)
            if self._url_only:
                remembered = RememberedParameters(parsed)
                if self._valid_urls.remember(key, remembered, len(key[0]) + len(key[1])):
                    parsed = remembered
        return parsed

    async def __call__(self, scope, receive, send):
        scope.setdefault("extensions", {})[PARSED_PARAMETERS] = self._parsed_parameters(scope)
        mime_type, encoding = self._content_type(scope["headers"])
        if mime_type not in self._accepted_mime_types:
            self.validate_mime_type(mime_type)
            if len(self._accepted_mime_types) < _SMALL_CACHE:
                self._accepted_mime_types.add(mime_type)
        validator = self._body_validator(mime_type, encoding)
        if validator is not None:
            receive, scope = await validator.wrap_receive(receive, scope=scope)
        await self.next_app(scope, receive, send)


class _CompiledRequestValidationAPI(RequestValidationAPI):
    def make_operation(self, operation) -> CompiledRequestValidationOperation:
        return CompiledRequestValidationOperation(self.next_app, operation=operation,
                                                  strict_validation=self.strict_validation,
                                                  validator_map=self.validator_map)


class CompiledRequestValidationMiddleware(RequestValidationMiddleware):
    """Connexion's request validation middleware, with its operations compiled."""

    api_cls = _CompiledRequestValidationAPI


def validator_map(settings: Settings | None = None) -> dict:
    """Connexion's validator map with the caching validators, as classes of their own whose caches belong
    to one app: the caches keep the spec objects they were built from, and each app deep-copies its spec,
    so caches shared by every app would keep every app's spec for good. They carry the app's limits
    (``max_json_depth``, ``max_page_size``)."""
    settings = settings or Settings()
    parameter = type("CachedParameterValidator", (CachedParameterValidator,),
                     {"_plans": _Cache(), "max_page_size": settings.max_page_size})
    body = type("CachedJSONBodyValidator", (CachedJSONBodyValidator,),
                {"_validators": _Cache(), "max_json_depth": settings.max_json_depth})
    return {**CONNEXION_VALIDATORS, "parameter": parameter,
            "body": type(CONNEXION_VALIDATORS["body"])({**CONNEXION_VALIDATORS["body"], "*/*json": body})}
