"""``create_app``: the Connexion AsyncApp serving the captured spec and the admin API."""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import yaml
from connexion import AsyncApp
from connexion.middleware import ConnexionMiddleware, MiddlewarePosition
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from starlette.middleware.cors import CORSMiddleware

from .._sandbox import Sandbox
from .._settings import Settings
from ..domain.storage import Storage
from . import errors
from .address_api import AddressApi
from .admin_api import AdminApi
from .arrival import ArrivalOrder
from .cart_api import CartApi
from .cart_offers_api import CartOffersApi
from .checkout_api import CheckoutApi
from .compiled import CompiledOperations, bearer_handler, compiled_middlewares
from .compress import GZipLargeAnswers
from .controls import RequestControls, operation_answers
from .journal import RequestJournal
from .journey_api import JourneyApi
from .jsonify import JSONIFIER
from .lifecycle import lifespan_for
from .limits import BodyLimit
from .memo import BUDGET
from .offers_api import OffersApi
from .operations import resolver
from .served_spec import SpecServingSwaggerUIMiddleware
from .shared import following
from .validation import validator_map
from .voucher_api import VoucherApi

# sandbox/openapi.yaml is a symlink to spec/openapi.yaml, so the spec ships inside the wheel too
# (a non-editable install has no spec/ folder).
SPEC = Path(__file__).resolve().parents[1] / "openapi.yaml"
ADMIN_SPEC = Path(__file__).resolve().parents[1] / "admin.yaml"


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> dict:
    with path.open(encoding="utf-8") as f:
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def admin_token_set(settings: Settings) -> frozenset[str] | None:
    """The tokens the admin API takes: its own token, else the API's; None (open) when the API is open."""
    return frozenset({settings.admin_token}) if settings.admin_token else settings.tokens


def admin_spec(settings: Settings, *, protected: bool) -> dict:
    """The admin API's spec for these settings: the reseed size cap, and bearer auth on everything but
    ``/health`` when the admin API is protected."""
    spec = copy.deepcopy(_load(ADMIN_SPEC))
    reseed = spec["paths"]["/reseed"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    reseed["properties"]["size"]["maximum"] = settings.max_catalog_size
    if protected:
        spec.setdefault("components", {})["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        spec["security"] = [{"bearer": []}]
        spec["paths"]["/health"]["get"]["security"] = []
        for path in spec["paths"].values():
            for operation in path.values():
                if operation.get("security") != []:
                    operation.setdefault("responses", {})["401"] = {
                        "description": "No token, or not the admin token.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return spec


# Connexion's own per-request path: its middlewares, but the spec served as the sandbox serves it (served_spec.py).
PLAIN_MIDDLEWARES = [SpecServingSwaggerUIMiddleware if m is SwaggerUIMiddleware else m
                     for m in ConnexionMiddleware.default_middlewares]
# The same with request validation and dispatch compiled per operation (compiled.py).
MIDDLEWARES = compiled_middlewares(PLAIN_MIDDLEWARES)


class SandboxApp(AsyncApp):
    """Connexion's AsyncApp, its operations compiled (compiled.py): same answers, less work per request.

    ``compiled=False`` keeps Connexion's own per-request path, for tests comparing the two.
    """

    def __init__(self, *args, compiled: bool = True, **kwargs) -> None:
        # A copy: add_middleware inserts into the list it was given, and every app adds its own.
        super().__init__(*args, middlewares=list(MIDDLEWARES if compiled else PLAIN_MIDDLEWARES), **kwargs)


def create_app(settings: Settings | None = None, storage: Storage | None = None, *,
               compiled: bool = True, spec: dict | None = None) -> AsyncApp:
    """A sandbox app; its state is ``app.sandbox`` and lives exactly as long as the app.

    ``compiled=False`` serves through Connexion's own per-request path (slower, same answers). ``spec`` serves
    that API description instead of the bundled one (the capture tool records its examples on the spec it
    is writing).
    """
    settings = settings or Settings.from_env()
    served = _load(SPEC) if spec is None else spec
    answers = operation_answers(served)   # documented statuses and examples, for Prefer (controls.py)
    sandbox = Sandbox(settings, storage, operations=answers.keys())
    BUDGET.configure(settings.cache_max_bytes, settings.cache_max_key_bytes)
    app = SandboxApp(
        __name__,
        compiled=compiled,
        security_map={"bearer": bearer_handler(settings.tokens)},
        validator_map=validator_map(settings),
        jsonifier=JSONIFIER,
        lifespan=lifespan_for(sandbox),
    )
    handlers = [api(sandbox) for api in (CartApi, OffersApi, CartOffersApi, CheckoutApi, AddressApi, JourneyApi,
                                         VoucherApi)]
    around = following(sandbox) if sandbox.shared else None   # a state other processes change too
    # Not copied, though the parsed spec is cached: Connexion copies what it is given (Specification.from_dict,
    # then a deep copy before resolving $refs); tests/test_sandbox_operations.py checks it stays as it was.
    app.add_api(served, resolver=resolver(served, *handlers, around=around), pythonic_params=True,
                validate_responses=settings.validate_responses, name="fynd")
    admin_tokens = admin_token_set(settings)
    admin_api_spec = admin_spec(settings, protected=admin_tokens is not None)
    app.add_api(admin_api_spec, base_path=settings.admin_prefix,
                resolver=resolver(admin_api_spec, AdminApi(sandbox, answers), around=around),
                validate_responses=settings.validate_responses,
                name="admin", swagger_ui_options=None, security_map={"bearer": bearer_handler(admin_tokens)})
    for kind, handler in errors.HANDLERS:
        app.add_error_handler(kind, handler)
    # Added outermost first. Gzip outside the journal (which keeps bodies as the app wrote them); the journal
    # sees every request and every answer, CORS headers go on every answer (a 413 included), and a preflight
    # is answered before anything else.
    app.add_middleware(GZipLargeAnswers, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(RequestJournal, position=MiddlewarePosition.BEFORE_EXCEPTION, sandbox=sandbox,
                       size=settings.journal_size, body_bytes=settings.journal_body_bytes,
                       admin_prefix=settings.admin_prefix)
    if settings.cors:
        app.add_middleware(SandboxCORS, position=MiddlewarePosition.BEFORE_EXCEPTION,
                           allow_origins=list(settings.cors_origins), allow_methods=["*"], allow_headers=["*"],
                           max_age=600)
    if settings.arrival_order:   # outside the body limit, before any work
        app.add_middleware(ArrivalOrder, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(BodyLimit, position=MiddlewarePosition.BEFORE_EXCEPTION, limit=settings.max_body_bytes)
    # After security (a bad token is still 401), before validation (a forced answer needs no valid body).
    # Connexion's BEFORE_VALIDATION position names its own validation middleware, which the compiled operations
    # replace (compiled.py): before whichever of the two validates.
    stack = app.middleware.middlewares
    validation = next(i for i, m in enumerate(stack)
                      if isinstance(m, type) and issubclass(m, (RequestValidationMiddleware, CompiledOperations)))
    stack.insert(validation, functools.partial(RequestControls, sandbox=sandbox, answers=answers))
    app.sandbox = sandbox
    return app


class SandboxCORS(CORSMiddleware):
    """Starlette's CORS middleware, with a lighter path that answers the same for a request without ``Origin``
    (not a CORS request: every request of a server-side client): only ``Vary: Origin`` is added, where
    Starlette's own path parses the request's headers and rebuilds the answer's for it."""

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, _ in scope["headers"]:
            if name == b"origin":
                return await super().__call__(scope, receive, send)

        async def vary(message):
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                for i, (name, value) in enumerate(headers):
                    if name.lower() == b"vary":
                        headers[i] = (name, value + b", Origin")
                        break
                else:
                    headers.append((b"vary", b"Origin"))
            await send(message)
        return await self.app(scope, receive, vary)


def app_from_environment() -> AsyncApp:
    """The app each worker of ``cartwright serve --workers N`` serves: uvicorn's multi-process mode imports this
    factory in every worker, which reads its settings from the CARTWRIGHT_* variables the command set."""
    from .._cli import quiet_collector

    app = create_app(Settings.from_env())
    quiet_collector()
    return app
