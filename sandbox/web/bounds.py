"""What numbers and what JSON the sandbox takes: decided here, and only here.

Request validation (``validation.py``) applies it to every request body and query parameter, on the
compiled path and on Connexion's own (``create_app(compiled=False)``) alike, before any handler runs:

- a field or parameter of ``type: integer`` is an int32 (its ``format`` may say int64; none does);
- a field or parameter of ``type: number`` (rupees, percentages, rule keys, coordinates) lies within
  ±``AMOUNT_LIMIT`` (10^12);
- every number in a body, typed or not (``meta`` and other free-form fields included), is finite (no
  ``NaN``, ``Infinity`` or ``1e400``), and an integer fits in 64 bits (so no integer of thousands of
  digits reaches ``int()``);
- a body is nested at most ``max_json_depth`` levels (setting; a level is an object or an array);
- ``page_size`` is at most ``max_page_size`` (setting), in every paginated operation.

Anything else is a 400 naming the field by its JSON path (``items[0].quantity``). The reasons, and
why Decimal arithmetic on what is stored cannot fail within these bounds, are in
spec/sandbox-behaviour.md ("Numbers and limits of input").
"""

from __future__ import annotations

import json
import math

from connexion.exceptions import BadRequestProblem

AMOUNT_LIMIT = 10 ** 12
INTEGER_RANGES = {name: (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) for name, bits in (("int32", 32), ("int64", 64))}
DEFAULT_INTEGER_FORMAT = "int32"
ANY_INTEGER = INTEGER_RANGES["int64"]   # any integer anywhere in a body, typed or free-form
PAGE_SIZE = "page_size"


# --------------------------------------------------------------------------- typed fields (schemas)
def number_range(node: dict) -> tuple[int, int] | None:
    """The range a schema node's numbers must lie in, or None when it is not a numeric node."""
    kind = node.get("type")
    if kind == "integer":
        fmt = node.get("format")
        return (INTEGER_RANGES.get(fmt) if isinstance(fmt, str) else None) or INTEGER_RANGES[DEFAULT_INTEGER_FORMAT]
    if kind == "number":
        return -AMOUNT_LIMIT, AMOUNT_LIMIT
    return None


def bounded_schema(node):
    """A body schema with every numeric node's range written as ``minimum``/``maximum`` (in an ``allOf``, so
    the node's own bounds and keywords stay as they are): the validators, Python's and jsonschema-rs's,
    refuse what is out of range, and the Python one words it with the field's path."""
    if isinstance(node, list):
        return [bounded_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: bounded_schema(v) for k, v in node.items()}
    bounds = number_range(node)
    if bounds:
        out = {"allOf": [out, {"minimum": bounds[0], "maximum": bounds[1]}]}
    return out


def parameter_schema(name: str, schema: dict, max_page_size: int) -> dict:
    """A query or path parameter's schema with its range (and ``page_size``'s maximum) written in."""
    bounds = number_range(schema)
    if bounds is None:
        return schema
    low, high = bounds
    if name == PAGE_SIZE:
        high = min(high, max_page_size)
    return {**schema, "minimum": max(low, schema.get("minimum", low)),
            "maximum": min(high, schema.get("maximum", high))}


# --------------------------------------------------------------------------- any JSON (one pass)
class _LongInteger:
    """An integer literal too long for ``int()`` (Python refuses more than 4,300 digits)."""

    def __init__(self, digits: str) -> None:
        self.digits = digits


def loads(text: str, max_depth: int):
    """The JSON value of ``text``, refused (``BadRequestProblem``) when it is not JSON or not a value the
    sandbox takes: too deep, a number that is not finite, an integer outside 64 bits."""
    try:
        body = _decoded(text, max_depth)
    except ValueError:
        # An integer of more digits than int() takes: parse again, keeping those as markers to name them.
        body = _decoded(text, max_depth, parse_int=lambda s: int(s) if len(s) <= 20 else _LongInteger(s))
    problem = _problem(body, 1, max_depth)
    if problem is not None:
        path, message = problem
        raise BadRequestProblem(detail=f"{path_of(reversed(path))}: {message}")
    return body


def _decoded(text: str, max_depth: int, **hooks):
    try:
        return json.loads(text, **hooks)
    except json.JSONDecodeError as exc:
        raise BadRequestProblem(detail=str(exc)) from None
    except RecursionError:
        # The decoder gave up far deeper than any limit: the path is not known, the reason is.
        raise BadRequestProblem(detail=f"request body: JSON nested deeper than {max_depth} levels "
                                       f"(max_json_depth)") from None


def _problem(value, depth: int, max_depth: int) -> tuple[list, str] | None:
    """The first value in ``value`` the sandbox does not take: (its path, innermost first; why), or None.

    One pass; containers below the depth limit only, so the recursion is bounded by ``max_depth``."""
    kind = type(value)
    if kind is dict or kind is list:
        if depth > max_depth:
            return [], f"JSON nested deeper than {max_depth} levels (max_json_depth)"
        for key, item in (value.items() if kind is dict else enumerate(value)):
            t = type(item)
            if t is str or t is bool or item is None:
                continue
            problem = _problem(item, depth + 1, max_depth)
            if problem is not None:
                problem[0].append(key)
                return problem
        return None
    if kind is float:
        if not math.isfinite(value):
            shown = "NaN" if value != value else ("-Infinity" if value < 0 else "Infinity")
            return [], f"{shown} is not a finite number (NaN, Infinity and numbers beyond 1e308 are refused)"
        return None
    if kind is int:
        if not ANY_INTEGER[0] <= value <= ANY_INTEGER[1]:
            return [], f"{_shown(str(value))} is outside the 64-bit integers the sandbox takes"
        return None
    if kind is _LongInteger:
        return [], f"{_shown(value.digits)} is outside the 64-bit integers the sandbox takes"
    return None


def _shown(digits: str) -> str:
    return digits if len(digits) <= 40 else f"an integer of {len(digits.lstrip('-'))} digits"


def path_of(parts) -> str:
    """``["items", 0, "quantity"]`` as ``items[0].quantity`` (the paths domain errors name); the whole body
    as such."""
    out = ""
    for part in parts:
        out += f"[{part}]" if type(part) is int else (f".{part}" if out else str(part))
    return out or "request body"
