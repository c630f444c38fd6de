"""The sandbox's request validators, given to Connexion through its public validator map.

Both paths use them: Connexion's own request validation (``create_app(compiled=False)``) builds them per
request, and the compiled operations (``compiled.py``) build them once per operation and call their public
methods. The checks are Connexion's plus the bounds of ``bounds.py`` (numbers' ranges, NaN and Infinity,
nesting depth, ``page_size``); messages name the parameter, or the body field by its JSON path.

``ParameterValidator`` compiles each parameter's ``Draft4Validator`` when it is built (Connexion deep-copies
and compiles on every check), and checks scalar parameters without the validator's machinery where the
answer is certain. ``JSONBodyValidator`` overrides ``_parse`` and ``_validate``, the two hooks Connexion's
validator interface (``connexion.validators.abstract``) documents for custom validators; built with
``fast=True`` it asks jsonschema-rs for a quick "valid" first (``BodyValidator``), and every refusal is the
Python validator's.
"""

from __future__ import annotations

import functools
import math
import typing as t

import jsonschema_rs
from connexion.exceptions import BadRequestProblem, ExtraParameterProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.utils import is_null, is_nullable
from connexion.validators import (
    VALIDATOR_MAP as CONNEXION_VALIDATORS,
    JSONRequestBodyValidator,
    ParameterValidator as ConnexionParameterValidator,
)
from jsonschema import Draft4Validator, FormatChecker, ValidationError

from .._settings import Settings
from . import bounds

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


class _Param(t.NamedTuple):
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


class ParameterValidator(ConnexionParameterValidator):
    """Connexion's parameter validator, same answers and messages, its validators compiled when it is built."""

    max_page_size = Settings.max_page_size

    def __init__(self, parameters, uri_parser, strict_validation=False, security_query_params=None) -> None:
        super().__init__(parameters, uri_parser, strict_validation=strict_validation,
                         security_query_params=security_query_params)
        self.compiled = {where: tuple(self._compile(where, p) for p in ps) for where, ps in self.parameters.items()}

    def _compile(self, where: str, p: dict) -> _Param:
        schema = bounds.parameter_schema(p["name"], p.get("schema", p), self.max_page_size)
        return _Param(p["name"], p["name"].replace("-", "_") if where == "path" else p["name"], bool(is_nullable(p)),
                      bool(p.get("required")), Draft4Validator(schema, format_checker=_FORMAT_CHECKER),
                      _certainly_valid(schema))

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

    def validate_request(self, request) -> None:
        if self.strict_validation:
            query_errors = self.validate_query_parameter_list(request, security_params=self.security_query_params)
            if query_errors:
                raise ExtraParameterProblem(param_type="query", extra_params=query_errors)
        for where in ("query", "path", "header", "cookie"):
            params = self.compiled.get(where)
            if not params:
                continue
            values = (request.query_params if where == "query" else request.path_params if where == "path"
                      else request.headers if where == "header" else request.cookies)
            for p in params:
                error = self._check(where, values.get(p.key), p)
                if error:
                    raise BadRequestProblem(detail=error)


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
    (its date-time check accepts what the Python one refuses, e.g. leap seconds). ``fast=False``: the
    Python validator alone (for validators built per request, where compiling jsonschema-rs would cost more).
    """

    def __init__(self, schema: dict, fast: bool = True) -> None:
        schema = bounds.bounded_schema(schema)
        self.python = Draft4RequestValidator(schema, format_checker=_FORMAT_CHECKER)
        self.rust = None
        fast_schema = _fast_schema(schema) if fast else None
        if fast_schema is not None:
            try:
                self.rust = jsonschema_rs.Draft4Validator(fast_schema, validate_formats=False)
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


class JSONBodyValidator(JSONRequestBodyValidator):
    """Connexion's JSON body validator: the body parsed by ``bounds.loads`` (what the sandbox does not take is
    refused, naming the field) and checked by a ``BodyValidator``, its message naming the field by JSON path."""

    max_json_depth = Settings.max_json_depth
    fast = False  # jsonschema-rs first: for validators built once per operation (compiled.py)

    def __init__(self, *, schema: dict, required: bool = False, nullable: bool = False, encoding: str,
                 strict_validation: bool, **kwargs) -> None:
        super().__init__(schema=schema, required=required, nullable=nullable, encoding=encoding,
                         strict_validation=strict_validation, **kwargs)
        self.schema, self.nullable, self.encoding = schema, nullable, encoding

    @functools.cached_property
    def checker(self) -> BodyValidator:
        return BodyValidator(self.schema, fast=self.fast)

    def parse(self, data: bytes):
        """The JSON value of a whole body (None when empty)."""
        text = data.decode(self.encoding)
        return bounds.loads(text, self.max_json_depth) if text else None

    def check(self, body) -> None:
        """The check ``wrap_receive`` makes of a parsed body (``BadRequestProblem`` when it fails)."""
        if not (body is None and self.nullable):
            self._validate(body)

    async def _parse(self, stream, scope):
        return self.parse(b"".join([message async for message in stream]))

    def _validate(self, body) -> None:
        if not self.nullable and body is None:
            raise BadRequestProblem("Request body must not be empty")
        try:
            self.checker.validate(body)
        except ValidationError as exception:
            raise BadRequestProblem(detail=f"{bounds.path_of(exception.path)}: {exception.message}"
                                    if exception.path else exception.message) from None


def validator_map(settings: Settings | None = None) -> dict:
    """Connexion's validator map with the sandbox's validators, as classes carrying the app's limits
    (``max_json_depth``, ``max_page_size``)."""
    settings = settings or Settings()
    parameter = type("ParameterValidator", (ParameterValidator,), {"max_page_size": settings.max_page_size})
    body = type("JSONBodyValidator", (JSONBodyValidator,), {"max_json_depth": settings.max_json_depth})
    return {**CONNEXION_VALIDATORS, "parameter": parameter,
            "body": type(CONNEXION_VALIDATORS["body"])({**CONNEXION_VALIDATORS["body"], "*/*json": body})}
