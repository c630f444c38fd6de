"""The one place that turns errors into HTTP responses in each API's own error shape.

Fynd: ``{"success": false, "message": ..., "error": ...}``;
EnKash: ``{"response_code": <non-zero>, "response_message": ...}``.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from ..domain.errors import (
    CatalogError,
    InvalidValue,
    LimitReached,
    NotFound,
    OutOfStock,
    Refused,
    SandboxError,
    StateUnavailable,
    Unserviceable,
)
from .routing import allowed_methods

log = logging.getLogger("cartwright.sandbox")

ENKASH_PREFIX = "/api/"
STATUS_BY_ERROR: list[tuple[type[SandboxError], int]] = [
    (StateUnavailable, 503), (NotFound, 404), (LimitReached, 429), (OutOfStock, 400), (Unserviceable, 400), (InvalidValue, 400), (Refused, 400),
    (CatalogError, 400), (SandboxError, 400),
]
ERROR_NAMES = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound", 405: "MethodNotAllowed",
               413: "PayloadTooLarge", 415: "UnsupportedMediaType", 500: "InternalServerError",
               501: "NotImplemented"}
# Answered by the server itself (web/server.py), for a connection or a request the application never saw.
ERROR_NAMES.update({408: "RequestTimeout", 429: "TooManyRequests", 431: "RequestHeaderFieldsTooLarge",
                    503: "ServiceUnavailable"})
# Statuses a fault rule or ``Prefer: code=`` may force (web/controls.py); any other is named from its phrase.
ERROR_NAMES.update({403: "Forbidden", 409: "Conflict", 422: "UnprocessableEntity", 502: "BadGateway",
                    504: "GatewayTimeout"})


class ForcedAnswer(Exception):
    """An answer a client forced (a fault rule, ``Prefer``), or the reason it cannot have it (web/controls.py)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_name(status: int) -> str:
    name = ERROR_NAMES.get(status)
    if name is None:
        try:
            name = "".join(w.capitalize() for w in HTTPStatus(status).phrase.replace("-", " ").split())
        except ValueError:
            name = "Error"
    return name


def error_body(path: str, status: int, message: str) -> dict:
    """The error document for ``path``'s API."""
    if path.startswith(ENKASH_PREFIX):
        return {"response_code": status, "response_message": message}
    return {"success": False, "message": message, "error": error_name(status)}


def error_bytes(path: str, status: int, message: str) -> bytes:
    return json.dumps(error_body(path, status, message)).encode()


def _response(request: ConnexionRequest, status: int, message: str,
              headers: dict[str, str] | None = None) -> ConnexionResponse:
    return ConnexionResponse(status_code=status, mimetype="application/json",
                             body=error_bytes(request.url.path, status, message), headers=headers)


# The handlers are coroutines: Connexion runs plain functions in a thread pool, where the exception being
# handled is no longer the thread's current one (a traceback logged there was lost: "NoneType: None").
async def sandbox_error(request: ConnexionRequest, exc: SandboxError) -> ConnexionResponse:
    status = next(code for kind, code in STATUS_BY_ERROR if isinstance(exc, kind))
    if request.url.path.startswith(ENKASH_PREFIX) and status == 404:
        status = 400  # EnKash documents no 404: an unknown id is a refused value there
    if status == 503:   # the shared state is away or busy: nothing was changed, and it may be back in a moment
        log.warning("%s %s: %s", request.method, request.url.path, exc.message)
        return _response(request, status, exc.message, {"Retry-After": "1"})
    return _response(request, status, exc.message)


async def problem(request: ConnexionRequest, exc: ProblemException) -> ConnexionResponse:
    """Connexion's own problems (validation, auth, routing) in the API's shape."""
    message = exc.detail or exc.title or ERROR_NAMES.get(exc.status, "Error")
    if exc.status == 501:
        message = f"{request.method} {request.url.path} is not implemented by this sandbox yet"
    return _response(request, exc.status, message)


async def http_error(request: ConnexionRequest, exc: HTTPException) -> ConnexionResponse:
    messages = {404: f"no operation at {request.url.path}",
                405: f"{request.method} is not allowed on {request.url.path}"}
    headers = None
    if exc.status_code == 405:   # RFC 9110: a 405 names the methods the path takes
        allowed = ", ".join(allowed_methods(request.scope))
        headers = {"Allow": allowed or (exc.headers or {}).get("Allow", "")}
    return _response(request, exc.status_code, messages.get(exc.status_code, str(exc.detail)), headers)


async def forced(request: ConnexionRequest, exc: ForcedAnswer) -> ConnexionResponse:
    return _response(request, exc.status, exc.message)


async def undecodable(request: ConnexionRequest, exc: UnicodeDecodeError) -> ConnexionResponse:
    # Connexion decodes JSON bodies with json.loads, which raises this (not JSONDecodeError) on bad UTF-8.
    return _response(request, 400, f"request body is not UTF-8 JSON (bad byte at {exc.start})")


async def unexpected(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path,
              exc_info=(type(exc), exc, exc.__traceback__))
    return _response(request, 500, f"internal error: {type(exc).__name__}")


HANDLERS = [(SandboxError, sandbox_error), (ForcedAnswer, forced), (ProblemException, problem), (HTTPException, http_error),
            (UnicodeDecodeError, undecodable), (Exception, unexpected)]
