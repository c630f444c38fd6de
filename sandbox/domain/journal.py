"""The request journal read back: which entries a query matches, and how an entry is shown.

Entries are what ``web/journal.py`` keeps for each request, newest first: flat records (cheap to make on every
request) of ``at`` (seconds since the epoch), ``method``, ``path``, ``query``, ``operation_id``, ``status``
(None: no answer), ``duration_ms``, ``request_headers`` (``name: value`` lines), ``request_body`` and
``response_body`` (their bytes, cut at the journal's limit, each kept as the character of that code: latin-1;
``request_bytes``/``response_bytes`` give the whole size of one cut), and what the controls did: ``faults``, ``prefer``, ``dropped``. ``shown`` gives the admin API's view.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from .errors import InvalidValue
from .fields import when


@dataclass(frozen=True)
class RequestQuery:
    """Which requests: each filter given must hold (``path``: a glob, ``*`` and ``?``; ``status``: ``404`` or a
    class, ``4xx``; ``since``/``until``: when the request arrived, by the wall clock, bounds included)."""

    operation_id: str | None = None
    method: str | None = None
    path: str | None = None
    status: str | None = None
    since: float | None = None
    until: float | None = None

    @classmethod
    def of(cls, operation_id: str | None = None, method: str | None = None, path: str | None = None,
           status: str | None = None, since: str | None = None, until: str | None = None) -> RequestQuery:
        """A query from the admin API's parameters, or InvalidValue naming the one that is wrong."""
        status = status.lower() if status is not None else None
        if status is not None and not (len(status) == 3 and status[0] in "12345"
                                       and (status[1:] == "xx" or status.isascii() and status[1:].isdigit())):
            raise InvalidValue(f"status: {status!r} is not a status (404) or a class of them (4xx)", field="status",
                               value=status)
        return cls(operation_id, method.upper() if method else None, path, status,
                   _moment(since, "since"), _moment(until, "until"))

    def matches(self, entry: dict) -> bool:
        if self.operation_id is not None and entry.get("operation_id") != self.operation_id:
            return False
        if self.method is not None and entry["method"] != self.method:
            return False
        if self.path is not None and not fnmatch.fnmatchcase(entry["path"], self.path):
            return False
        if self.status is not None:
            status = str(entry.get("status"))
            if status != self.status and not (self.status.endswith("xx") and status[0] == self.status[0]):
                return False
        if self.since is not None and entry["at"] < self.since:
            return False
        return self.until is None or entry["at"] <= self.until

    def select(self, entries: list[dict]) -> list[dict]:
        return [e for e in entries if self.matches(e)]


def _moment(value: str | None, field: str) -> float | None:
    """A query's instant in seconds since the epoch. A "+" of a zone offset sent unencoded in a URL arrives as a
    space: it is read back as the "+" it was."""
    moment = when(None if value is None else re.sub(r" (\d\d:?\d\d)$", r"+\1", value), field)
    return None if moment is None else moment.timestamp()


_FLAT = ("request_headers", "request_body", "response_body", "request_bytes", "response_bytes")


def shown(entry: dict) -> dict:
    """An entry as the admin API shows it: ``at`` an ISO 8601 instant, the request's headers (by name) and body
    under ``request``, the answer's body under ``response`` (``body_bytes``: the whole size of a body cut)."""
    at = datetime.fromtimestamp(entry["at"], UTC).isoformat(timespec="milliseconds")
    headers: dict[str, str] = {}
    for line in filter(None, entry.get("request_headers", "").split("\n")):
        name, _, value = line.partition(": ")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    request = {"headers": headers, "body": _text(entry.get("request_body", ""), "request_bytes" in entry)}
    response = {"body": _text(entry.get("response_body", ""), "response_bytes" in entry)}
    if "request_bytes" in entry:
        request["body_bytes"] = entry["request_bytes"]
    if "response_bytes" in entry:
        response["body_bytes"] = entry["response_bytes"]
    view = {k: v for k, v in entry.items() if k not in _FLAT}
    return {**view, "at": at.replace("+00:00", "Z"), "request": request, "response": response}


def _text(kept: str, cut: bool) -> str:
    """A body's text from the bytes kept (a character cut in two at the limit is left out)."""
    return kept.encode("latin-1").decode("utf-8", "ignore" if cut else "replace")
