"""Connexion's request validators, with the per-request work done once per operation instead.

Connexion (3.x) builds its request validators on every request. ``ParameterValidator`` deep-copies
each parameter and compiles a jsonschema validator for it; the URI parser it is given recomputes
its table of parameter schemas for every query parameter it resolves; the JSON body validator
compiles its validator too. Here, per operation and once, the parameters are grouped by location
with their compiled ``Draft4Validator``, the URI parser is replaced by a copy whose parameter
schemas are computed once, and the body validator is compiled once. The checks are Connexion's;
only parameter messages differ: they name the parameter.
"""

from __future__ import annotations

import typing as t

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

from .dispatch import PARSED_BODY, PARSED_PARAMETERS


def _format_checker() -> FormatChecker:
    """jsonschema's Draft 4 formats plus OpenAPI's integer widths: ``int32``/``int64`` are ranges the
    spec promises, so a value outside them is invalid input (400), as a client generated from the spec
    would never send it."""
    checker = FormatChecker(formats=Draft4Validator.FORMAT_CHECKER.checkers)
    for name, bits in (("int32", 32), ("int64", 64)):
        low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
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


class _Plan:
    """An operation's parameters, grouped by location and compiled."""

    def __init__(self, parameters: list[dict]) -> None:
        grouped: dict[str, list[dict]] = {}
        for p in parameters:
            grouped.setdefault(p["in"], []).append(p)
        self.grouped = grouped
        self.compiled = {where: tuple(self._param(where, p) for p in ps) for where, ps in grouped.items()}
        self._parser: tuple[object, OpenAPIURIParser] | None = None

    def parser(self, given: OpenAPIURIParser) -> OpenAPIURIParser:
        """``given`` with its schemas cached: one copy per operation (whose body schema it keeps)."""
        body = given._body_schema
        if self._parser is None or not (self._parser[0] is body or (not body and not self._parser[0])):
            self._parser = (body, _CachedSchemasURIParser.copy_of(given))
        return self._parser[1]

    @staticmethod
    def _param(where: str, p: dict) -> _Param:
        schema = p.get("schema", p)
        return _Param(p, p["name"], p["name"].replace("-", "_") if where == "path" else p["name"], bool(is_nullable(p)),
                      bool(p.get("required")), Draft4Validator(schema, format_checker=_FORMAT_CHECKER))


class CachedParameterValidator(ParameterValidator):
    """Connexion's ``ParameterValidator``, same answers and messages, with the work per operation done once."""

    _plans = _Cache()

    def __init__(self, parameters, uri_parser, strict_validation=False, security_query_params=None):
        plan = self._plans.get(parameters, lambda: _Plan(parameters))
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
            try:
                p.validator.validate(value)
            except ValidationError as exception:
                return f"{parameter_type} parameter '{p.name}': {exception.message}"
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


class CachedJSONBodyValidator(JSONRequestBodyValidator):
    """Connexion's JSON body validator, compiled once per body schema; it leaves the parsed body in the
    scope, so the handler's arguments are not parsed from the same bytes again (``dispatch.py``)."""

    _validators = _Cache()

    @property
    def _validator(self):
        return self._validators.get(self._schema, lambda: Draft4RequestValidator(
            self._schema, format_checker=_FORMAT_CHECKER))

    async def _parse(self, stream, scope):
        body = await super()._parse(stream, scope)
        scope.setdefault("extensions", {})[PARSED_BODY] = body
        return body


_SMALL_CACHE = 64  # content types seen per operation; more (odd clients) are worked out each time


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
        self._content_types: dict[bytes | None, tuple[str, str]] = {}
        self._accepted_mime_types: set[str] = set()
        self._body_validators: dict[tuple[str, str], object] = {}

    def _content_type(self, headers) -> tuple[str, str]:
        raw = next((v for k, v in headers if k.lower() == b"content-type"), None)
        found = self._content_types.get(raw)
        if found is None:
            found = self.extract_content_type(headers)
            if len(self._content_types) < _SMALL_CACHE:
                self._content_types[raw] = found
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

    async def __call__(self, scope, receive, send):
        request = ConnexionRequest(scope, uri_parser=self._parameters.uri_parser)
        self._parameters.validate_request(request)
        scope.setdefault("extensions", {})[PARSED_PARAMETERS] = (request.path_params, request.query_params)
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


VALIDATOR_MAP = {
    **CONNEXION_VALIDATORS,
    "parameter": CachedParameterValidator,
    "body": type(CONNEXION_VALIDATORS["body"])({**CONNEXION_VALIDATORS["body"], "*/*json": CachedJSONBodyValidator}),
}
