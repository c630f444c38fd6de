"""JSON by orjson, and by the standard library where orjson cannot: the one codec of the state's records (both
storages) and the fallback of responses (``web/jsonify.py``).

orjson writes no integer beyond 64 bits (and would read one back as a float) and no string holding a lone
surrogate (a ``\\ud800`` a request body may carry); JSON has room for both. A value holding one is written by the
standard library (``stdlib_json``); a record written so starts with a NUL byte (``STDLIB``: never the first byte of
JSON), so it is read by the standard library too. Records are stored in this format (a Redis holds it): whatever it
becomes must still read what it was.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

STDLIB = b"\x00"
"""The first byte of a record the standard library wrote."""


def stdlib_json(value: Any) -> bytes:
    """``value`` as JSON by the standard library: what orjson refuses to write (``TypeError``). ASCII, non-ASCII
    escaped (a lone surrogate has no UTF-8); allow_nan=False: never a bare NaN or Infinity, which is not JSON."""
    return json.dumps(value, allow_nan=False).encode()


def encode(record: Any) -> bytes:
    """A record as stored: orjson's JSON, else ``STDLIB`` and the standard library's."""
    try:
        return orjson.dumps(record)
    except TypeError:
        return STDLIB + stdlib_json(record)


def decode(stored: bytes) -> Any:
    """The record ``encode`` wrote, a fresh value."""
    if stored[0] == 0:
        return json.loads(stored[1:])
    return orjson.loads(stored)
