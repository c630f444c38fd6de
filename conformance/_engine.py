"""The kit's one engine: Schemathesis 4's own engine, configured for a cart API, its events kept as data.

``run_conformance`` builds a Schemathesis config (checks, phases, generation mode, seed, headers, fixed
path parameters, rate limit, timeout), loads the schema (in process from the sandbox's ASGI app, in an
application of the kit's own, or the bundled spec against ``--base-url``), runs
``schemathesis.engine.from_schema(schema).execute()`` and folds its events into a ``RunResult``: one
``OperationResult`` per selected operation (its answers by status, each failure a ``Finding`` with the curl
lines that reproduce it), then runs the flows (``_flows``). Around them it snapshots and puts back what the
run may change (``_tidy``), steers known-good ids into generated requests (``KNOWN_IDS``), and fails what was
not tested (``_no_vacuous_pass``). The CLI, the pytest plugin and the tests all call it; the reports render
its result.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import time
import warnings
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._progress import Progress

PHASES = ("examples", "coverage", "fuzzing", "stateful", "flows")
ENGINE_PHASES = PHASES[:4]  # Schemathesis's; `flows` is the kit's own (see _flows)
MODES = ("positive", "negative", "all")
DEFAULT_MAX_EXAMPLES = 20
SANDBOX_TOKEN = "sandbox"
# In process there is no URL: curl lines point at `cartwright serve`'s default address instead.
SERVE_URL = "http://127.0.0.1:8080"
ASGI_BASE = "http://localhost"
ASGI_HOSTS = ("http://localhost", "http://testserver")  # what Schemathesis's ASGI transport puts in curl lines
# In process the kit tests an application of its own, so a run never touches another application's carts or
# settings (a `--path-param` overrides either).
KIT_COMPANY_ID = "1"
KIT_APPLICATION_ID = "cartwright-kit"
# Operations that change application-wide settings (every later cart of the application feels them): against a
# URL, generated requests reach them only with --allow-writes.
APP_WIDE_WRITES = frozenset({"createCartMetaConfig", "updateCartMetaConfig", "createCoupon", "updateCoupon",
                             "deleteCoupon", "createPromotion", "updatePromotion", "deletePromotion"})
# Operations that place orders (stock is taken; orders cannot be cancelled through the API): against a URL,
# generated requests reach them only with --allow-orders.
ORDERS = frozenset({"platformCheckoutCartV2", "checkoutCart", "overrideCart"})
# Operations whose answers carry a cart the run may have created (generated requests' carts are archived at
# the end): its id at `id`, or at `cart.id`.
CART_ANSWERS = frozenset({"platformAddItems", "getCart", "platformUpdateCart", "addItems", "updateCart",
                          "updateCartUser", "applyCoupon", "removeCoupon", "selectAddress", "selectPaymentMode",
                          "selectPaymentModeV2", "updateCartWithSharedItems"})
# Operations addressing one thing by an id a generator cannot know: (where, parameter, kind of thing). Known
# values of that kind (a cart the run made or found, the stores and addresses found through it, the
# application's coupons, promotions and cart configuration) go into their generated requests.
KNOWN_IDS = {
    "getCart": ("query", "id", "cart"), "getItemCount": ("query", "id", "cart"),
    "getShipments": ("query", "id", "cart"), "getAbandonedCartDetails": ("query", "id", "cart"),
    "getAppCoupons": ("query", "id", "cart"), "validateCouponForPayment": ("query", "id", "cart"),
    "getPromotionPaymentOffers": ("query", "id", "cart"), "getPriceAdjustments": ("query", "cart_id", "cart"),
    "getAvailableDeliveryModes": ("query", "id", "cart"), "getAddresses": ("query", "cart_id", "cart"),
    "getStoreAddressByUid": ("query", "store_uid", "store"), "getAddressById": ("path", "id", "address"),
    "getCouponById": ("path", "id", "coupon"), "getPromotionById": ("path", "id", "promotion"),
    # Writes to application-wide documents (run only where they may: in process, or --allow-writes, and put
    # back at the end): a generated update reaches a real document, as a client's would. Deletes are not
    # steered (a deleted coupon comes back only under a new id); the flows delete drafts of their own.
    "updateCartMetaConfig": ("path", "cart_meta_id", "config"), "updateCoupon": ("path", "id", "coupon"),
    "updatePromotion": ("path", "id", "promotion"),
}

# Schemathesis checks left off by default, each because it would flag a correct implementation of
# this API (a false alarm is as bad as a missed defect). `--check NAME` turns one back on.
OFF_BY_DEFAULT = {
    # Not part of the contract: the documents say nothing about undeclared methods or `Allow`.
    "unsupported_method": "undeclared methods are outside the documented contract",
    # The sandbox accepts any bearer token unless started with --tokens; turn it on for deployments
    # that enforce auth.
    "ignored_auth": "the sandbox accepts any bearer token by default",
}


# What a correct implementation may answer to schema-valid data. Besides Schemathesis's defaults, 400:
# the Fynd API refuses schema-valid requests for business reasons with 400 (unknown item, no stock,
# coupon not applicable), and EnKash answers unknown ids with 400. Anything else (405, 413, 415,
# 422, ...) to a valid request is still reported by `positive_data_acceptance`.
ACCEPTED_STATUSES = ["2XX", "3XX", "400", "401", "403", "404", "409", "429", "5XX"]


class KitError(Exception):
    """The run could not start or the engine stopped: bad options, an unloadable schema, a fatal error."""


# --------------------------------------------------------------------------- results as data
@dataclass(frozen=True)
class Finding:
    """One distinct failure of one operation: the check, what it said, and how to reproduce it."""

    operation: str  # "GET /service/..."
    operation_id: str
    check: str
    title: str
    message: str
    curl: str  # the reproducing request(s), one curl line each, oldest first
    status: int | None = None
    phase: str = ""


def histogram(statuses: Counter) -> str:
    """``Counter({200: 3, 400: 12})`` as ``"200×3 400×12"`` (``"none"`` when empty)."""
    return " ".join(f"{code}×{n}" for code, n in sorted(statuses.items())) or "none"


@dataclass
class OperationResult:
    operation: str
    operation_id: str
    cases: int = 0
    elapsed: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)  # status code -> answers, every phase (the flows too)
    positive: int = 0  # schema-valid cases Schemathesis's phases sent
    not_run: str = ""  # why the operation was not run at all (then it neither passed nor failed)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def ran(self) -> bool:
        return not self.not_run

    @property
    def successes(self) -> int:
        """Answers with a 2xx status."""
        return sum(n for code, n in self.statuses.items() if 200 <= code < 300)

    @property
    def verdict(self) -> str:
        if self.findings:
            return "FAILED"
        return "ok" if self.ran else "not run"


@dataclass
class RunResult:
    target: str
    seed: int
    max_examples: int
    checks: list[str]
    phases: tuple[str, ...] = PHASES
    mode: str = "all"
    operations: list[OperationResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # run-wide problems not tied to an operation
    elapsed: float = 0.0
    not_run: list[tuple[str, str]] = field(default_factory=list)  # phases and flow checks not run: (what, why)
    leftovers: list[str] = field(default_factory=list)  # what the run changed and could not undo

    @property
    def failed(self) -> list[OperationResult]:
        return [o for o in self.operations if not o.ok]

    @property
    def passed(self) -> list[OperationResult]:
        return [o for o in self.operations if o.ok and o.ran]

    @property
    def skipped(self) -> list[OperationResult]:
        """Operations not run at all (they neither passed nor failed)."""
        return [o for o in self.operations if o.ok and not o.ran]

    @property
    def statuses(self) -> Counter:
        total: Counter = Counter()
        for o in self.operations:
            total.update(o.statuses)
        return total

    @property
    def ok(self) -> bool:
        """Nothing failed, nothing went wrong run-wide, and something was tested."""
        return not self.failed and not self.errors and bool(self.passed)


# --------------------------------------------------------------------------- options
def _names(text: str | Iterable[str], known: tuple[str, ...], what: str) -> tuple[str, ...]:
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for item in (i.strip().lower() for i in items if i.strip()):
        if item not in known:
            raise KitError(f"unknown {what} {item!r} (known: {', '.join(known)})")
        if item not in out:
            out.append(item)
    if not out:
        raise KitError(f"at least one {what} is needed")
    return tuple(out)


def parse_phases(text: str | Iterable[str]) -> tuple[str, ...]:
    """``"examples,fuzzing"`` (or a sequence) as a tuple of known phases, no repeats."""
    return _names(text, PHASES, "phase")


def check_names() -> list[str]:
    """Every check the engine knows: Schemathesis's registry, which includes the cart invariants."""
    import schemathesis.specs.openapi.checks  # noqa: F401 - registers the OpenAPI checks
    from schemathesis.checks import CHECKS

    from . import _checks  # noqa: F401 - registers the cart invariants

    return list(CHECKS.get_all_names())


def enabled_checks(enable: Iterable[str] = (), disable: Iterable[str] = ()) -> list[str]:
    """The checks a run uses: all registered ones but ``OFF_BY_DEFAULT``, plus ``enable``, minus ``disable``."""
    known = check_names()
    for name in [*enable, *disable]:
        if name not in known:
            raise KitError(f"unknown check {name!r} (known: {', '.join(sorted(known))})")
    on = [n for n in known if n not in OFF_BY_DEFAULT or n in enable]
    return [n for n in on if n not in set(disable)]


def cache_dir() -> Path:
    """Where the kit keeps Hypothesis's files (its example database, its constants cache): ``$CARTWRIGHT_CACHE_DIR``,
    else ``$XDG_CACHE_HOME/cartwright``, else ``~/.cache/cartwright``; never the working directory."""
    if os.environ.get("CARTWRIGHT_CACHE_DIR"):
        return Path(os.environ["CARTWRIGHT_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cartwright"


def schemathesis_config(*, checks: list[str], phases: tuple[str, ...], mode: str, max_examples: int, seed: int,
                        headers: dict[str, str], path_params: dict[str, str], rate_limit: str | None,
                        request_timeout: float | None, workers: int = 1, read_only: bool = False,
                        database: str = "none"):
    """The Schemathesis config for one run (the same structure as its TOML file)."""
    from schemathesis.config import ConfigError, SchemathesisConfig

    data: dict[str, Any] = {
        "seed": seed,
        "workers": workers,
        "headers": dict(headers),
        "parameters": {f"path.{k}": v for k, v in path_params.items()},
        "generation": {"max-examples": max_examples, "mode": mode, "database": database},
        "phases": {p: {"enabled": p in phases} for p in ENGINE_PHASES},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in checks}},
        "output": {"sanitization": {"enabled": True}},
    }
    if "positive_data_acceptance" in checks:
        data["checks"]["positive_data_acceptance"]["expected-statuses"] = ACCEPTED_STATUSES
    if read_only or "unsupported_method" not in checks:
        # Coverage sends undeclared methods (TRACE, DELETE, ...) only for `unsupported_method`; a
        # read-only run must never send them.
        data["phases"]["coverage"]["unexpected-methods"] = []
    if rate_limit:
        data["rate-limit"] = rate_limit
    if request_timeout:
        data["request-timeout"] = request_timeout
    try:
        return SchemathesisConfig.from_dict(data)
    except ConfigError as exc:   # an option Schemathesis refuses (workers, rate limit...): one line, no traceback
        raise KitError(" ".join(str(exc).split())) from None


class _Steering:
    """Which positive cases get known-good values: the first two of every three an operation generates (so an
    operation with a single positive case gets one, and a third keep what was generated); the value is
    picked from the case itself, so the same seed sends the same requests."""

    def __init__(self) -> None:
        self.positive = 0

    def pick(self, case) -> int | None:
        """A number to pick a known value with, or None to leave the case as generated."""
        meta = case.meta
        if meta is None or not meta.generation.mode.is_positive:
            return None
        self.positive += 1
        if self.positive % 3 == 0:
            return None
        return zlib.crc32(json.dumps([case.body if isinstance(case.body, (dict, list)) else None, case.query],
                                     sort_keys=True, default=str).encode())


def steer_add_to_cart(schema, items: list[dict]) -> None:
    """Known-good items in generated add-to-cart requests, through a Schemathesis ``map_case`` hook on
    ``schema``: two of three positive platformAddItems cases (``_Steering``) add one of ``items`` and drop a
    generated cart ``id``. Item ids are opaque to a generator; without this, add-to-cart almost never succeeds, so the
    stateful phase never follows the links out of it and the cart invariants see only empty carts."""
    if not items:
        return
    steering = _Steering()

    def map_case(context, case):
        if not isinstance(case.body, dict):
            return case
        digest = steering.pick(case)
        if digest is not None:
            case.body = {**case.body, "items": [{**items[digest % len(items)], "quantity": 1}]}
            if case.query and "id" in case.query:
                case.query = {k: v for k, v in case.query.items() if k != "id"}
        return case

    # Filtered to the one operation: an unfiltered case hook would wrap every operation's strategy (and
    # made fuzzing five times slower).
    schema.hook.apply_to(operation_id="platformAddItems")(map_case)


def steer_known_ids(schema, known: dict[str, list]) -> None:
    """Known values in generated requests of the operations addressing one thing by its id (``KNOWN_IDS``): two
    of three positive cases (``_Steering``) name one of ``known[kind]``, a list filled in later, when the run has
    made or found such things (the hooks read it as it is then). A generated id names nothing, so without this
    those operations only ever see 4xx."""
    def hook(where: str, parameter: str, kind: str):
        steering = _Steering()

        def map_case(context, case):
            values = known.get(kind) or []
            digest = steering.pick(case) if values else None
            if digest is None:
                return case
            value = values[digest % len(values)]
            if where == "path":
                case.path_parameters = {**(case.path_parameters or {}), parameter: value}
            else:
                query = {k: v for k, v in (case.query or {}).items() if k not in ("user_id", "uid")}
                case.query = {**query, parameter: value}
            return case
        return map_case

    for operation_id, (where, parameter, kind) in KNOWN_IDS.items():
        schema.hook.apply_to(operation_id=operation_id)(hook(where, parameter, kind))


# --------------------------------------------------------------------------- schema loading
def spec_path() -> Path:
    """The bundled spec: the sandbox package's copy (a symlink to spec/openapi.yaml in the repository)."""
    from importlib.resources import files

    return Path(str(files("cartwright.sandbox").joinpath("openapi.yaml")))


def load_schema(config, *, app: Any = None, base_url: str | None = None, schema_location: str | None = None):
    """The Schemathesis schema: in process on ``app`` (an ASGI app serving ``/openapi.json``), or the spec
    (``schema_location``: a file or URL; default the bundled ``spec/openapi.yaml``) against ``base_url``."""
    import schemathesis

    if base_url is None:
        if schema_location:
            raise KitError("--schema needs --base-url (in process, the sandbox serves its own spec)")
        return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    location = schema_location or str(spec_path())
    if location.startswith(("http://", "https://")):
        schema = schemathesis.openapi.from_url(location, config=config)
    else:
        schema = schemathesis.openapi.from_path(location, config=config)
    schema.config.update(base_url=base_url.rstrip("/"))
    return schema


def select(schema, *, operation_ids=(), tags=(), read_only=False, exclude_ids=()):
    """The schema narrowed to the operations to test: by operationId and/or tag (either matching), without
    ``exclude_ids``, and only safe methods (GET) when read-only."""
    wanted_ids, wanted_tags, unwanted = set(operation_ids), set(tags), set(exclude_ids)

    def wanted(ctx) -> bool:
        raw = ctx.operation.definition.raw
        if read_only and ctx.operation.method.upper() != "GET":
            return False
        if raw.get("operationId") in unwanted:
            return False
        if wanted_ids or wanted_tags:
            return raw.get("operationId") in wanted_ids or bool(wanted_tags & set(raw.get("tags") or ()))
        return True

    # One filter: Schemathesis's chained include() calls do not narrow each other.
    return schema.include(func=wanted)


# --------------------------------------------------------------------------- events into results
def _no_links(event) -> bool:
    from schemathesis.engine.errors import RuntimeErrorKind

    return getattr(event.info, "_kind", None) == RuntimeErrorKind.SCHEMA_NO_LINKS_FOUND


def _created_ids(operation_id: str, body: Any) -> tuple[str | None, str | None]:
    """(cart id, address id) a 2xx answer of ``operation_id`` carries, for the clean-up."""
    if not isinstance(body, dict):
        return None, None
    if operation_id == "addAddress":
        return None, body.get("id") if isinstance(body.get("id"), str) else None
    if operation_id in CART_ANSWERS:
        cart = body.get("cart")
        if not isinstance(cart, dict):
            cart = body
        return (cart.get("id") if isinstance(cart.get("id"), str) else None), None
    return None, None


class _Collector:
    """Folds the engine's events into a ``RunResult``, and shows progress (``Progress``) as they come."""

    def __init__(self, run: RunResult, operations: list, show: Progress, curl_base: str | None):
        self.run, self.show, self.curl_base = run, show, curl_base
        self.by_label: dict[str, OperationResult] = {o.operation: o for o in run.operations}
        self.total = len(operations)
        self.seen: set[tuple[str, str, str]] = set()
        self.carts: set[str] = set()  # carts generated requests were answered with (archived at the end)
        self.addresses: set[str] = set()  # addresses generated requests saved (deleted at the end)
        self.skipped_phases: dict[str, str] = {}

    def say(self, line: str) -> None:
        self.show.say(line)

    def _curl(self, text: str) -> str:
        if self.curl_base:
            for host in ASGI_HOSTS:
                text = text.replace(host, self.curl_base)
        return text

    def handle(self, event) -> None:
        from schemathesis.engine import events

        if isinstance(event, events.PhaseStarted) and event.phase.is_enabled and event.phase.name.value in PHASES:
            name = event.phase.name.value
            self.show.phase_started(name, None if name == "stateful" else self.total,
                                    "scenario(s)" if name == "stateful" else "operation(s)")
        elif isinstance(event, events.PhaseFinished) and event.phase.name.value in PHASES:
            if event.phase.is_enabled:
                self.show.phase_finished(event.status.value)
            elif event.phase.name.value in self.run.phases:
                self.skipped_phases[event.phase.name.value] = str(event.phase.skip_reason or "skipped by the engine")
        elif isinstance(event, events.ScenarioFinished):
            self._scenario(event)
        elif isinstance(event, events.NonFatalError):
            if _no_links(event):
                # A selection without linked operations has nothing to chain: the phase is not applicable.
                self.skipped_phases["stateful"] = "nothing to chain (no links between the selected operations)"
                self.say("phase stateful: nothing to chain (no links between the selected operations)")
                return
            res = self.by_label.get(event.label) if event.related_to_operation else None
            message = event.info.format(base_url_is_set=True) if hasattr(event.info, "format") else str(event.value)
            if res is None:
                self.run.errors.append(f"{event.label}: {event.info.title}: {message.strip()}")
                self.say(f"ERROR {event.label}: {event.info.title}")
            else:
                self.add(res, Finding(res.operation, res.operation_id, "engine", event.info.title,
                                       message.strip(), "", None, getattr(event.phase, "value", "") or ""))
        elif isinstance(event, events.FatalError):
            raise KitError(f"the engine stopped: {type(event.exception).__name__}: {event.exception}")

    def add(self, res: OperationResult, finding: Finding) -> None:
        """Keep ``finding`` unless the operation already has one from the same check with the same title."""
        key = (res.operation, finding.check, finding.title)
        if key in self.seen:
            return
        self.seen.add(key)
        res.findings.append(finding)
        self.show.advance(failures=1)
        first = finding.message.splitlines()[0][:160] if finding.message else ""
        self.say(f"FAILED {res.operation} ({res.operation_id}): {finding.title} [{finding.check}, {finding.phase}]"
                 + (f": {first}" if first else ""))

    def _scenario(self, event) -> None:
        recorder, phase = event.recorder, event.phase.value
        cases = 0
        # Cases, answers and time per operation (a stateful scenario spans several operations).
        for case_id, node in recorder.cases.items():
            res = self.by_label.get(node.value.operation.label)
            if res is None:
                continue
            res.cases += 1
            cases += 1
            meta = node.value.meta
            if meta is None or meta.generation.mode.is_positive:
                res.positive += 1
            interaction = recorder.interactions.get(case_id)
            if interaction is not None and interaction.response is not None:
                response = interaction.response
                res.elapsed += response.elapsed
                res.statuses[response.status_code] += 1
                if 200 <= response.status_code < 300 and (res.operation_id in CART_ANSWERS
                                                          or res.operation_id == "addAddress"):
                    try:
                        cart_id, address_id = _created_ids(res.operation_id, response.json())
                    except Exception:  # noqa: BLE001 - not JSON: nothing to clean up
                        cart_id = address_id = None
                    self.carts.update([cart_id] if cart_id else [])
                    self.addresses.update([address_id] if address_id else [])
        for case_id, checks in recorder.checks.items():
            node = recorder.cases.get(case_id)
            res = self.by_label.get(node.value.operation.label) if node else None
            for check in checks:
                info = check.failure_info
                if info is None or res is None:
                    continue
                interaction = recorder.interactions.get(case_id)
                status = interaction.response.status_code if interaction and interaction.response else None
                steps = [s.curl for s in info.steps] or [info.code_sample]
                failure = info.failure
                self.add(res, Finding(res.operation, res.operation_id, check.name,
                                       getattr(failure, "title", None) or type(failure).__name__,
                                       (getattr(failure, "message", None) or str(failure)).strip(),
                                       "\n".join(self._curl(s) for s in steps), status, phase))
        self.show.advance(operations=1, cases=cases)


# --------------------------------------------------------------------------- the kit's own requests
class _Paced:
    """An httpx-like client whose requests take their turn in the run's rate limit (Schemathesis's limiter for
    ``--rate-limit``, shared with the generated requests)."""

    def __init__(self, client: Any, config: Any):
        self.client, self.config = client, config

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        from schemathesis.core.rate_limit import ratelimit

        with ratelimit(getattr(self.config, "rate_limit", None), getattr(self.config, "base_url", None)):
            return self.client.request(method, url, **kwargs)


@contextlib.contextmanager
def kit_client(plan: Plan) -> Iterator[Any]:
    """An httpx-like client for the kit's own requests to the target (flows, snapshots, clean-up)."""
    if plan.base_url is None:
        from starlette.testclient import TestClient

        with TestClient(plan.app, headers=plan.headers, base_url=ASGI_BASE) as client:
            yield client
        return
    import httpx

    with httpx.Client(base_url=plan.base_url.rstrip("/"), headers=plan.headers,
                      timeout=plan.request_timeout or 30) as client:
        yield _Paced(client, plan.schema.config)


# --------------------------------------------------------------------------- the entry point
@dataclass
class Plan:
    """A run's resolved options and its loaded, narrowed Schemathesis schema (``prepare`` makes one)."""

    schema: Any
    operations: list
    app: Any
    base_url: str | None
    headers: dict[str, str]
    path_params: dict[str, str]
    seed: int
    checks: list[str]
    phases: tuple[str, ...]
    mode: str
    max_examples: int
    read_only: bool
    request_timeout: float | None
    cart_items: list[dict]
    coupons: list[str]
    phases_asked: bool = False  # the caller chose the phases (a skipped one fails the run)
    allow_writes: bool = False
    allow_orders: bool = False
    not_allowed: dict[str, tuple[str, str]] = field(default_factory=dict)  # op id -> (label, why not run)
    asked_ids: tuple[str, ...] = ()
    area_code: str | None = None
    payment_mode: str = "COD"
    known: dict[str, list] = field(default_factory=dict)  # kind -> ids the steering hooks put into requests
    items_given: bool = False
    coupons_given: bool = False

    @property
    def base(self) -> str | None:
        """The operations' base path (``…/company/{c}/application/{a}``), when both ids are fixed."""
        from ._flows import CART_BASE

        if not {"company_id", "application_id"} <= set(self.path_params):
            return None
        return CART_BASE.format(**self.path_params)

    @property
    def app_writes(self) -> bool:
        """Whether application-wide settings may change (in process: the kit's own application)."""
        return not self.read_only and (self.base_url is None or self.allow_writes)

    @property
    def orders(self) -> bool:
        return not self.read_only and (self.base_url is None or self.allow_orders)


def prepare(*, app: Any = None, base_url: str | None = None, schema_location: str | None = None,
            token: str | None = None, headers: dict[str, str] | None = None,
            path_params: dict[str, str] | None = None, operation_ids=(), tags=(), exclude_operation_ids=(),
            read_only: bool = False, max_examples: int = DEFAULT_MAX_EXAMPLES, seed: int | None = None,
            phases: str | Iterable[str] | None = None, mode: str = "all", enable_checks=(), disable_checks=(),
            rate_limit: str | None = None, request_timeout: float | None = None, workers: int = 1,
            cart_items: list[dict] | None = None, coupons: list[str] | None = None, allow_writes: bool = False,
            allow_orders: bool = False, area_code: str | None = None, payment_mode: str | None = None) -> Plan:
    """Resolve the options and load the schema, configured for the run (see ``run_conformance``).

    ``plan.schema`` is a plain Schemathesis schema carrying the kit's config (checks, headers, fixed path
    parameters, seed): the pytest plugin hands it to test authors. Raises ``KitError`` on bad options."""
    phases_asked = phases is not None
    phases = parse_phases(PHASES if phases is None else phases)
    if mode not in MODES:
        raise KitError(f"unknown mode {mode!r} (known: {', '.join(MODES)})")
    if max_examples < 1:
        raise KitError("--max-examples must be at least 1")
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    # A run without a seed may draw on examples earlier runs found; a seeded one sends the same requests every time.
    database = "none" if seed is not None else str(cache_dir() / "hypothesis" / "examples")
    seed = random.randrange(2**31) if seed is None else seed
    if base_url is None and app is None:
        from cartwright.sandbox import Settings, create_app

        # The run's seed seeds the sandbox's ids too: the same seed, the same run.
        app = create_app(Settings(id_seed=seed))
    if token is None and base_url is None:
        token = SANDBOX_TOKEN
    all_headers = dict(headers or {})
    if token:
        all_headers.setdefault("Authorization", f"Bearer {token}")
    path_params = dict(path_params or {})
    if base_url is None:
        path_params.setdefault("company_id", KIT_COMPANY_ID)
        path_params.setdefault("application_id", KIT_APPLICATION_ID)
    checks = enabled_checks(enable_checks, disable_checks)
    items_given = bool(cart_items)
    if base_url is None and not cart_items:
        from starlette.testclient import TestClient

        from ._flows import catalog_items

        with TestClient(app) as client:
            cart_items = catalog_items(client)
    config = schemathesis_config(checks=checks, phases=phases, mode=mode, max_examples=max_examples, seed=seed,
                                 headers=all_headers, path_params=path_params, rate_limit=rate_limit,
                                 request_timeout=request_timeout, workers=workers, read_only=read_only,
                                 database=database)
    try:
        loaded = load_schema(config, app=app, base_url=base_url, schema_location=schema_location)
        everything = select(loaded, operation_ids=operation_ids, tags=tags, read_only=read_only,
                            exclude_ids=exclude_operation_ids)
        not_allowed: dict[str, tuple[str, str]] = {}
        if base_url is not None and not read_only:
            for result in everything.get_all_operations():
                op = result.ok()
                op_id = op.definition.raw.get("operationId", "")
                if op_id in APP_WIDE_WRITES and not allow_writes:
                    not_allowed[op_id] = (op.label, "it changes application-wide settings: pass --allow-writes")
                elif op_id in ORDERS and not allow_orders:
                    not_allowed[op_id] = (op.label, "it places real orders: pass --allow-orders")
        schema = select(loaded, operation_ids=operation_ids, tags=tags, read_only=read_only,
                        exclude_ids=[*exclude_operation_ids, *not_allowed])
        operations = [r.ok() for r in schema.get_all_operations()]
        steer_add_to_cart(schema, list(cart_items or []))
        known: dict[str, list] = {}
        steer_known_ids(schema, known)
    except KitError:
        raise
    except Exception as exc:  # noqa: BLE001 - an unloadable schema is a usage problem, said plainly
        raise KitError(f"could not load the schema: {type(exc).__name__}: {exc}") from exc
    return Plan(schema, operations, app, base_url, all_headers, path_params, seed, checks, phases, mode,
                max_examples, read_only, request_timeout, list(cart_items or []), list(coupons or []),
                phases_asked=phases_asked, allow_writes=allow_writes, allow_orders=allow_orders,
                not_allowed=not_allowed, asked_ids=tuple(operation_ids), area_code=area_code,
                payment_mode=(payment_mode or "COD").upper(), known=known, items_given=items_given,
                coupons_given=bool(coupons))


@contextlib.contextmanager
def _hypothesis_home(path: Path) -> Iterator[None]:
    """Hypothesis's files (its constants cache, the example database) under ``path`` for the block, instead of
    ``.hypothesis/`` in the working directory; the previous home is put back afterwards."""
    from hypothesis import configuration

    previous = configuration.storage_directory(intent_to_write=False).home_directory
    configuration.set_hypothesis_home_dir(path)
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(previous)


def _fold_flows(run: RunResult, collector: _Collector, outcome, client) -> None:
    """File the flows' findings and answers under the operations they name."""
    by_id = {o.operation_id: o for o in run.operations}
    for op_id, statuses in client.statuses.items():
        res = by_id.get(op_id)
        if res is not None:
            res.statuses.update(statuses)
            res.cases += sum(statuses.values())
    for f in outcome.findings + client.problems:
        res = by_id.get(f.filed_under) or by_id.get("platformAddItems")
        if res is None:
            continue
        title = ("Cart invariant violated: " if not f.failure.check.endswith("_conformance") else "") + f.failure.check
        collector.add(res, Finding(res.operation, res.operation_id, f.failure.check, title,
                                   f"{f.failure.operation}: {f.failure.message}", f.curl,
                                   f.failure.numbers.get("status"), "flows"))
    for op_id, why in outcome.explained.items():  # why an operation with no 2xx answer could have none here
        if op_id in by_id and not by_id[op_id].successes:
            by_id[op_id].notes.append(why)


def _flows_phase(plan: Plan, run: RunResult, collector: _Collector, show: Progress, client: Any) -> None:
    """Run the flows (``_flows.Flows``) on the kit's client, or say why they cannot run."""
    from ._flows import FlowClient, Flows, admin_stock, catalog_items, catalog_pincode, coupon_codes

    def cannot(why: str) -> None:
        run.not_run.append(("phase flows", why))
        show.say(f"phase flows: not run ({why})")

    if plan.read_only:
        return cannot("a read-only run sends no writes")
    if not any(o.operation_id == "platformAddItems" and o.ran for o in run.operations):
        return cannot("it needs platformAddItems among the selected operations")
    base = plan.base
    if base is None:
        return cannot("give --path-param company_id=... and application_id=...")
    items, coupons, area_code = list(plan.cart_items), list(plan.coupons), plan.area_code
    if plan.base_url is None:
        items = catalog_items(client, min_stock=8) or items
        coupons = coupons or coupon_codes(client, base)
        area_code = area_code or catalog_pincode(client)
    if not items:
        return cannot("no known item: give --cart-item ITEM_ID:SIZE (twice, two products)")
    show.phase_started("flows", None, "check(s)")
    flow_client = FlowClient(client, SERVE_URL if plan.base_url is None else plan.base_url, plan.headers, plan.schema)

    sent = [0]

    def say(line: str) -> None:  # a check done: count it and the requests sent since the last one
        show.say(line)
        show.advance(operations=1, cases=flow_client.requests - sent[0])
        sent[0] = flow_client.requests

    stock = admin_stock(client, plan.path_params.get("company_id"))
    outcome = Flows(flow_client, base, items, coupons, say, area_code=area_code, payment_mode=plan.payment_mode,
                    orders=plan.orders, app_writes=plan.app_writes,
                    stock=stock if stock([]) is not None else None,
                    application_id=plan.path_params.get("application_id", ""), seed=plan.seed,
                    coupons_given=plan.coupons_given,
                    selected=frozenset(o.operation_id for o in run.operations if o.ran)).run()
    show.advance(cases=flow_client.requests - sent[0])
    _fold_flows(run, collector, outcome, flow_client)
    for what, why in outcome.not_run:
        run.not_run.append((f"flows: {what}", why))
    run.leftovers.extend(outcome.leftovers)
    for asked in outcome.asked_but_not_run:
        run.errors.append(f"asked for but not run: {asked}")
    if plan.allow_orders and plan.base_url is not None and not area_code:
        run.errors.append("--allow-orders was given, but the checkout flow cannot run without a PIN code to deliver "
                          "to: give --area-code PIN")
    show.phase_finished("failure" if outcome.findings or flow_client.problems else "success")


def _no_vacuous_pass(plan: Plan, run: RunResult, carts_known: bool) -> None:
    """Fail what was not tested: an operation with schema-valid cases and not one 2xx answer, a run where every
    answer was 401/403, a phase asked for that did not run, an operation asked for that may not run."""
    for res in run.operations:
        if res.ran and not res.cases and not res.findings:
            res.not_run = f"no request reached it (phases: {', '.join(plan.phases)})"
    total = run.statuses
    refused = sum(n for code, n in total.items() if code in (401, 403))
    auth_broken = bool(total) and refused == sum(total.values())
    if auth_broken:
        run.errors.append(f"every one of the run's {refused} answers was 401/403: the target refused the "
                          f"credentials (check --token or --header); nothing was tested")
    for res in run.operations:
        if not res.ran or res.positive == 0 or res.successes:
            continue
        if res.notes:
            continue  # the flows found why no request of it can succeed here (see the report's notes)
        if auth_broken:
            hint = "the token was refused"
        elif plan.phases == ("examples",):
            hint = ("only the examples phase ran, and the spec's examples name carts, coupons and addresses made "
                    "where they were recorded: add the stateful or flows phase, which make their own")
        elif KNOWN_IDS.get(res.operation_id, ("", "", ""))[2] == "cart" and not carts_known:
            hint = "it reads a cart, and the run had none to read: give --cart-item (or run where carts exist)"
        elif plan.base_url is not None and not plan.items_given:
            hint = "give known-good values: --cart-item ITEM_ID:SIZE (twice), --coupon, --area-code"
        elif plan.base_url is not None and not plan.area_code:
            hint = "its success path needs known-good values the flows did not have: give --area-code PIN"
        else:
            hint = ("give known-good values (--cart-item, --coupon, --area-code, --path-param NAME=VALUE) or leave "
                    "it out with --exclude-operation-id")
        res.findings.append(Finding(res.operation, res.operation_id, "no_success", "No 2xx answer: not tested",
                                    f"{res.positive} schema-valid request(s) and not one 2xx answer (answers: "
                                    f"{histogram(res.statuses)}): its success path was never tested; {hint}", "",
                                    None, ", ".join(plan.phases)))
    for phase, why in run.not_run:
        name = phase.removeprefix("phase ")
        if phase.startswith("phase ") and plan.phases_asked and name in plan.phases:
            run.errors.append(f"phase {name} was asked for but did not run: {why}")
    for op_id in plan.asked_ids:
        if op_id in plan.not_allowed:
            run.errors.append(f"{op_id} was asked for but may not run against a URL: "
                              f"{plan.not_allowed[op_id][1]}")


def execute(plan: Plan, progress: Callable[[str], None] | None = None, *, console: Any = None) -> RunResult:
    """Run a prepared plan: Schemathesis's engine for its phases, then the flows phase; put back what the run
    changed (``_tidy``); fail what was not tested. ``progress`` gets the progress lines; ``console`` (a
    ``rich.console.Console``) shows a bar per phase instead."""
    from . import _tidy

    show = Progress(progress, console)
    run = RunResult(plan.base_url or "in-process sandbox", plan.seed, plan.max_examples, plan.checks, plan.phases,
                    plan.mode)
    try:
        _execute(plan, run, show, _tidy)
    finally:
        show.close()
    return run


def _execute(plan: Plan, run: RunResult, show: Progress, _tidy) -> None:
    say = show.say
    say(f"cartwright conform: {len(plan.operations)} operation(s) on {run.target}; phases {', '.join(plan.phases)}; "
        f"mode {plan.mode}; {plan.max_examples} example(s) per operation; seed {plan.seed}")
    run.operations = [OperationResult(op.label, op.definition.raw.get("operationId", "")) for op in plan.operations]
    run.operations += [OperationResult(label, op_id, not_run=why) for op_id, (label, why) in plan.not_allowed.items()]
    for res in run.operations[len(plan.operations):]:
        say(f"not run: {res.operation} ({res.operation_id}): {res.not_run}")
    if not plan.operations:
        _no_vacuous_pass(plan, run, False)
        _summary(run, say)
        return
    collector = _Collector(run, plan.operations, show, SERVE_URL if plan.base_url is None else None)
    started = time.monotonic()
    base, writes = plan.base, not plan.read_only
    before = open_before = seed_cart = None
    with kit_client(plan) as client:
        if base is not None:
            if plan.app_writes:
                before = _tidy.snapshot(client, base)
            open_before = _tidy.open_carts(client, base)
            seed_cart = _seed_cart(plan, client, base) if writes else None
            plan.known.update(_discover(client, base, [seed_cart] if seed_cart else sorted(open_before or ())[:3],
                                        before))
    if set(plan.phases) & set(ENGINE_PHASES):
        from schemathesis.engine import from_schema

        with _hypothesis_home(cache_dir() / "hypothesis"):
            for event in from_schema(plan.schema).execute():
                collector.handle(event)
    for phase, why in collector.skipped_phases.items():
        run.not_run.append((f"phase {phase}", why))
    with kit_client(plan) as client:
        if before is not None:
            run.leftovers.extend(_tidy.restore(client, base, before))  # the flows see the application as it was
            # What is back is the baseline from here on (a coupon created again has a new id, a configuration
            # created where there was none stays): the flows' own changes are undone down to it.
            before = _tidy.snapshot(client, base)
        if "flows" in plan.phases:
            _flows_phase(plan, run, collector, show, client)
        if base is not None and writes:
            if seed_cart:
                collector.carts.add(seed_cart)
            if open_before is None and collector.carts:
                run.leftovers.append(f"{len(collector.carts)} cart(s) generated requests were answered with: not "
                                     f"archived, since the application's open carts could not be listed first")
            elif open_before is not None:
                run.leftovers.extend(_tidy.archive_carts(client, base, collector.carts, open_before))
            run.leftovers.extend(_tidy.delete_addresses(client, base, collector.addresses))
            if before is not None:
                left = _tidy.restore(client, base, before)
                run.leftovers.extend(x for x in left if x not in run.leftovers)
        config = next((o for o in run.operations if o.operation_id == "fetchCartMetaConfig"), None)
        if config is not None and config.ran and not config.successes and base is not None:
            r = client.request("GET", f"{base}/cart_configuration")
            if r.status_code == 404:
                config.notes.append("the application has no cart configuration: GET answers 404, as documented, "
                                    "so there was none to read (a run that may write creates one)")
        if plan.base_url is not None and any(o.operation_id == "addVoucherToCart" and o.successes
                                             for o in run.operations):
            run.leftovers.append("EnKash voucher cart entries added by the run (the API has no way to remove them)")
    if plan.base_url is None:
        run.leftovers.clear()  # in process the kit's own application took them: nobody else's mess
    run.elapsed = time.monotonic() - started
    _no_vacuous_pass(plan, run, bool(plan.known.get("cart")))
    show.close()  # the summary prints below the bars, not under a live display
    _summary(run, say)


def _discover(client: Any, base: str, carts: list[str], state: Any = None) -> dict[str, list]:
    """Ids for the steering hooks (``KNOWN_IDS``): ``carts`` (the seed cart, or a few of the application's open carts);
    the stores of the first one's lines; the addresses of its user; coupons and promotions (from ``state``, the
    snapshot, else their lists' first page) and the cart configuration (from ``state``). GET requests only."""
    known: dict[str, list] = {"cart": carts}
    if state is not None:
        known["coupon"], known["promotion"] = sorted(state.coupons)[:5], sorted(state.promotions)[:5]
        known["config"] = [state.config["_id"]] if isinstance(state.config, dict) and state.config.get("_id") else []
    else:
        for kind, url in (("coupon", f"{base}/coupon?page_size=5"), ("promotion", f"{base}/promotion?page_size=5")):
            r = client.request("GET", url)
            found = r.json().get("items") or [] if r.status_code == 200 and isinstance(r.json(), dict) else []
            known[kind] = [d["_id"] for d in found if isinstance(d, dict) and isinstance(d.get("_id"), str)]
    if not carts:
        return known
    r = client.request("GET", f"{base}/detail?id={carts[0]}")
    items = r.json().get("items") or [] if r.status_code == 200 and isinstance(r.json(), dict) else []
    stores = [((it.get("article") or {}).get("store") or {}).get("uid") for it in items if isinstance(it, dict)]
    known["store"] = sorted({s for s in stores if isinstance(s, int)})
    r = client.request("GET", f"{base}/address?cart_id={carts[0]}")
    found = r.json().get("address") or [] if r.status_code == 200 and isinstance(r.json(), dict) else []
    known["address"] = [a["id"] for a in found if isinstance(a, dict) and isinstance(a.get("id"), str)][:3]
    return known


def _seed_cart(plan: Plan, client: Any, base: str) -> str | None:
    """A cart of one known-good item, for generated reads of a cart (archived at the end)."""
    if not plan.cart_items:
        return None
    r = client.request("POST", f"{base}/detail", json={"user_id": "cartwright-conformance-reads",
                                                       "items": [{**plan.cart_items[0], "quantity": 1}]})
    if not 200 <= r.status_code < 300:
        return None
    cart = (r.json() or {}).get("cart")
    return cart.get("id") if isinstance(cart, dict) else None


def _summary(run: RunResult, say: Callable[[str], None]) -> None:
    for n, res in enumerate(run.operations, 1):
        if not res.ran:
            verdict = f"not run: {res.not_run}"
        else:
            verdict = "ok" if res.ok else f"FAILED ({len(res.findings)})"
        say(f"[{n}/{len(run.operations)}] {res.operation} ({res.operation_id}): {res.cases} case(s), "
            f"answers {histogram(res.statuses)} ({res.successes} 2xx), {verdict}")
    for what, why in run.not_run:
        say(f"not run: {what}: {why}")
    for line in run.leftovers:
        say(f"left behind: {line}")
    for error in run.errors:
        say(f"ERROR: {error}")
    total = run.statuses
    successes = sum(n for code, n in total.items() if 200 <= code < 300)
    say(f"cartwright conform: {len(run.passed)} passed, {len(run.failed)} failed, {len(run.skipped)} not run "
        f"in {run.elapsed:.1f}s; {sum(total.values())} answers, {successes} 2xx"
        + ("" if run.ok else " — FAILED"))


def run_conformance(*, progress: Callable[[str], None] | None = None, console: Any = None,
                    **options: Any) -> RunResult:
    """Test the selected operations with Schemathesis's engine plus the flows phase; every finding is data.

    Options (all keyword, as ``prepare`` takes them): ``app`` (or, with neither ``app`` nor ``base_url``,
    a fresh sandbox) is tested in process (in the application ``cartwright-kit`` of company ``1`` unless
    ``path_params`` say otherwise), ``base_url`` over HTTP with ``schema_location`` (default the bundled spec);
    ``token``, ``headers``, ``path_params``; ``operation_ids``/``tags`` select (either matching),
    ``exclude_operation_ids`` leave out, ``read_only`` sends GET only; ``max_examples``, ``seed`` (given: no
    example database, so the same seed sends the same requests); ``phases``: any of examples, coverage,
    fuzzing, stateful, flows (default all; given explicitly, one that cannot run fails the run); ``mode``:
    positive (schema-valid requests), negative (invalid ones, which must be refused) or all;
    ``enable_checks``/``disable_checks`` adjust ``OFF_BY_DEFAULT``; ``rate_limit`` ("10/s"),
    ``request_timeout`` (seconds), ``workers``; ``cart_items`` (two add-to-cart items), ``coupons``,
    ``area_code`` (a PIN code to deliver to) and ``payment_mode`` (default COD) feed the flows against a
    deployment (in process: from the sandbox); against a URL, ``allow_writes`` lets requests change
    application-wide settings (cart configuration, coupons, promotions) and ``allow_orders`` place orders.
    Raises ``KitError`` on bad options or when the engine cannot run."""
    return execute(prepare(**options), progress, console=console)
