"""The kit's one engine: Schemathesis 4's own engine, configured for a cart API, its events kept as data.

``run_conformance`` builds a Schemathesis config (checks, phases, generation mode, seed, headers, fixed
path parameters, rate limit, timeout), loads the schema (in process
from the sandbox's ASGI app, or the bundled spec against ``--base-url``), runs
``schemathesis.engine.from_schema(schema).execute()`` and folds its events into a ``RunResult``: one
``OperationResult`` per selected operation, each failure a ``Finding`` with the curl lines that
reproduce it. The CLI, the pytest plugin and the tests all call it; the reports render its result.
"""

from __future__ import annotations

import json
import random
import time
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

PHASES = ("examples", "coverage", "fuzzing", "stateful", "flows")
ENGINE_PHASES = PHASES[:4]  # Schemathesis's; `flows` is the kit's own (see _flows)
MODES = ("positive", "negative", "all")
DEFAULT_MAX_EXAMPLES = 20
SANDBOX_TOKEN = "sandbox"
# In process there is no URL: curl lines point at `cartwright serve`'s default address instead.
SERVE_URL = "http://127.0.0.1:8080"
ASGI_BASE = "http://localhost"
ASGI_HOSTS = ("http://localhost", "http://testserver")  # what Schemathesis's ASGI transport puts in curl lines

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


@dataclass
class OperationResult:
    operation: str
    operation_id: str
    cases: int = 0
    elapsed: float = 0.0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


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

    @property
    def failed(self) -> list[OperationResult]:
        return [o for o in self.operations if not o.ok]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors and bool(self.operations)


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


def schemathesis_config(*, checks: list[str], phases: tuple[str, ...], mode: str, max_examples: int, seed: int,
                        headers: dict[str, str], path_params: dict[str, str], rate_limit: str | None,
                        request_timeout: float | None, workers: int = 1, read_only: bool = False):
    """The Schemathesis config for one run (the same structure as its TOML file)."""
    from schemathesis.config import SchemathesisConfig

    data: dict[str, Any] = {
        "seed": seed,
        "workers": workers,
        "headers": dict(headers),
        "parameters": {f"path.{k}": v for k, v in path_params.items()},
        "generation": {"max-examples": max_examples, "mode": mode, "database": "none"},
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
    return SchemathesisConfig.from_dict(data)


def steer_add_to_cart(schema, items: list[dict]) -> None:
    """Known-good items in generated add-to-cart requests, through a Schemathesis ``map_case`` hook on
    ``schema``: two of three positive platformAddItems cases (chosen from the case itself, so the same
    seed steers the same cases) add one of ``items`` and drop a generated cart ``id``. Item ids are
    opaque to a generator; without this, add-to-cart almost never succeeds, so the stateful phase never
    follows the links out of it and the cart invariants see only empty carts."""
    if not items:
        return

    def map_case(context, case):
        meta = case.meta
        if meta is None or not meta.generation.mode.is_positive or not isinstance(case.body, dict):
            return case
        digest = zlib.crc32(json.dumps(case.body, sort_keys=True, default=str).encode())
        if digest % 3:
            case.body = {**case.body, "items": [{**items[digest % len(items)], "quantity": 1}]}
            if case.query and "id" in case.query:
                case.query = {k: v for k, v in case.query.items() if k != "id"}
        return case

    # Filtered to the one operation: an unfiltered case hook would wrap every operation's strategy (and
    # made fuzzing five times slower).
    schema.hook.apply_to(operation_id="platformAddItems")(map_case)


# --------------------------------------------------------------------------- schema loading
def spec_path() -> Path:
    """The bundled spec: the sandbox package's copy (a symlink to spec/openapi.yaml in the repository)."""
    from importlib.resources import files

    return Path(str(files("sandbox").joinpath("openapi.yaml")))


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


def select(schema, *, operation_ids=(), tags=(), read_only=False):
    """The schema narrowed to the operations to test: by operationId and/or tag (either matching), and
    only safe methods (GET) when read-only."""
    wanted_ids, wanted_tags = set(operation_ids), set(tags)

    def wanted(ctx) -> bool:
        raw = ctx.operation.definition.raw
        if read_only and ctx.operation.method.upper() != "GET":
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


class _Collector:
    """Folds the engine's events into a ``RunResult``; says progress lines as phases start and end."""

    def __init__(self, run: RunResult, operations: list, say: Callable[[str], None], curl_base: str | None):
        self.run, self.say, self.curl_base = run, say, curl_base
        self.by_label: dict[str, OperationResult] = {}
        for op in operations:
            res = OperationResult(op.label, op.definition.raw.get("operationId", ""))
            self.by_label[op.label] = res
            run.operations.append(res)
        self.seen: set[tuple[str, str, str]] = set()
        self.phase_failures = 0

    def _curl(self, text: str) -> str:
        if self.curl_base:
            for host in ASGI_HOSTS:
                text = text.replace(host, self.curl_base)
        return text

    def handle(self, event) -> None:
        from schemathesis.engine import events

        if isinstance(event, events.PhaseStarted) and event.phase.is_enabled and event.phase.name.value in PHASES:
            self.phase_failures = 0
            self.say(f"phase {event.phase.name.value}: started")
        elif isinstance(event, events.PhaseFinished) and event.phase.name.value in PHASES:
            if event.phase.is_enabled:
                self.say(f"phase {event.phase.name.value}: {event.status.value}"
                         + (f", {self.phase_failures} new failure(s)" if self.phase_failures else ""))
        elif isinstance(event, events.ScenarioFinished):
            self._scenario(event)
        elif isinstance(event, events.NonFatalError):
            if _no_links(event):
                # A selection without linked operations has nothing to chain: the phase is not applicable.
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
        self.phase_failures += 1
        first = finding.message.splitlines()[0][:160] if finding.message else ""
        self.say(f"FAILED {res.operation} ({res.operation_id}): {finding.title} [{finding.check}, {finding.phase}]"
                 + (f": {first}" if first else ""))

    def _scenario(self, event) -> None:
        recorder, phase = event.recorder, event.phase.value
        # Cases and time per operation (a stateful scenario spans several operations).
        for case_id, node in recorder.cases.items():
            res = self.by_label.get(node.value.operation.label)
            if res is None:
                continue
            res.cases += 1
            interaction = recorder.interactions.get(case_id)
            if interaction is not None and interaction.response is not None:
                res.elapsed += interaction.response.elapsed
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


def _flows_phase(collector: _Collector, *, app, base_url, headers, path_params, read_only, cart_items, coupons,
                 request_timeout) -> None:
    """Run ``_flows.run_flows`` when add-to-cart is selected and the run may write; file its findings
    under the operations they name."""
    from ._flows import CART_BASE, RecordingClient, coupon_codes, operation_id_of, run_flows

    say, run = collector.say, collector.run
    if read_only or not any(o.operation_id == "platformAddItems" for o in run.operations):
        say("phase flows: skipped (needs platformAddItems selected and a run that may write)")
        return
    if base_url is None:
        from starlette.testclient import TestClient

        ids = {"company_id": path_params.get("company_id", "1"),
               "application_id": path_params.get("application_id", "app-1")}
        raw_client, curl_base = TestClient(app, headers=headers, base_url=ASGI_BASE), SERVE_URL
    else:
        import httpx

        if not {"company_id", "application_id"} <= set(path_params):
            say("phase flows: skipped (give --path-param company_id=... and application_id=...)")
            return
        ids = path_params
        raw_client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=request_timeout or 30)
        curl_base = base_url
    base = CART_BASE.format(**ids)
    with raw_client:
        if base_url is None and not coupons:
            coupons = coupon_codes(raw_client, base)
        if not cart_items:
            say("phase flows: skipped (no known item: give --cart-item ITEM_ID:SIZE, twice)")
            return
        say("phase flows: started")
        recording = RecordingClient(raw_client, curl_base, headers)
        findings, notes = run_flows(recording, base, cart_items, coupons, say)
    by_id = {o.operation_id: o for o in run.operations}
    by_id["platformAddItems"].cases += recording.requests
    for note in notes:
        say(f"phase flows: {note}")
    for f in findings:
        op_id = operation_id_of(f.failure.operation)
        res = by_id.get(op_id) or by_id["platformAddItems"]
        collector.add(res, Finding(res.operation, res.operation_id, f.failure.check, f"Cart invariant violated: "
                                    f"{f.failure.check}", f"{f.failure.operation}: {f.failure.message}", f.curl,
                                    f.failure.numbers.get("status"), "flows"))
    say(f"phase flows: {'failure' if findings else 'success'}")


def _kept_configuration(plan, say):
    """``_keep.kept_cart_configuration`` for the plan's target and the application the flows phase uses."""
    from ._keep import kept_cart_configuration

    if plan.base_url is None:
        from starlette.testclient import TestClient

        ids = {"company_id": plan.path_params.get("company_id", "1"),
               "application_id": plan.path_params.get("application_id", "app-1")}
        client_for = lambda: TestClient(plan.app, headers=plan.headers, base_url=ASGI_BASE)  # noqa: E731
    else:
        import httpx

        ids = plan.path_params if {"company_id", "application_id"} <= set(plan.path_params) else None
        client_for = lambda: httpx.Client(base_url=plan.base_url.rstrip("/"), headers=plan.headers,  # noqa: E731
                                          timeout=plan.request_timeout or 30)
    return kept_cart_configuration(client_for, ids, {o.definition.raw.get("operationId", "") for o in plan.operations},
                                   plan.read_only, say)


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


def prepare(*, app: Any = None, base_url: str | None = None, schema_location: str | None = None,
            token: str | None = None, headers: dict[str, str] | None = None,
            path_params: dict[str, str] | None = None, operation_ids=(), tags=(),
            read_only: bool = False, max_examples: int = DEFAULT_MAX_EXAMPLES, seed: int | None = None,
            phases: str | Iterable[str] = PHASES, mode: str = "all", enable_checks=(), disable_checks=(),
            rate_limit: str | None = None, request_timeout: float | None = None, workers: int = 1,
            cart_items: list[dict] | None = None, coupons: list[str] | None = None) -> Plan:
    """Resolve the options and load the schema, configured for the run (see ``run_conformance``).

    ``plan.schema`` is a plain Schemathesis schema carrying the kit's config (checks, headers, fixed path
    parameters, seed): the pytest plugin hands it to test authors. Raises ``KitError`` on bad options."""
    phases = parse_phases(phases)
    if mode not in MODES:
        raise KitError(f"unknown mode {mode!r} (known: {', '.join(MODES)})")
    if max_examples < 1:
        raise KitError("--max-examples must be at least 1")
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    seed = random.randrange(2**31) if seed is None else seed
    if base_url is None and app is None:
        from sandbox import Settings, create_app

        # The run's seed seeds the sandbox's ids too: the same seed, the same run.
        app = create_app(Settings(id_seed=seed))
    if token is None and base_url is None:
        token = SANDBOX_TOKEN
    all_headers = dict(headers or {})
    if token:
        all_headers.setdefault("Authorization", f"Bearer {token}")
    checks = enabled_checks(enable_checks, disable_checks)
    if base_url is None and not cart_items:
        from starlette.testclient import TestClient

        from ._flows import catalog_items

        with TestClient(app) as client:
            cart_items = catalog_items(client)
    config = schemathesis_config(checks=checks, phases=phases, mode=mode, max_examples=max_examples, seed=seed,
                                 headers=all_headers, path_params=dict(path_params or {}), rate_limit=rate_limit,
                                 request_timeout=request_timeout, workers=workers, read_only=read_only)
    try:
        schema = select(load_schema(config, app=app, base_url=base_url, schema_location=schema_location),
                        operation_ids=operation_ids, tags=tags, read_only=read_only)
        operations = [r.ok() for r in schema.get_all_operations()]
        steer_add_to_cart(schema, list(cart_items or []))
    except KitError:
        raise
    except Exception as exc:  # noqa: BLE001 - an unloadable schema is a usage problem, said plainly
        raise KitError(f"could not load the schema: {type(exc).__name__}: {exc}") from exc
    return Plan(schema, operations, app, base_url, all_headers, dict(path_params or {}), seed, checks, phases, mode,
                max_examples, read_only, request_timeout, list(cart_items or []), list(coupons or []))


def execute(plan: Plan, progress: Callable[[str], None] | None = None) -> RunResult:
    """Run a prepared plan: Schemathesis's engine for its phases, then the flows phase."""
    run = RunResult(plan.base_url or "in-process sandbox", plan.seed, plan.max_examples, plan.checks, plan.phases,
                    plan.mode)
    say = progress or (lambda line: None)
    say(f"cartwright conform: {len(plan.operations)} operation(s) on {run.target}; phases {', '.join(plan.phases)}; "
        f"mode {plan.mode}; {plan.max_examples} example(s) per operation; seed {plan.seed}")
    if not plan.operations:
        return run
    collector = _Collector(run, plan.operations, say, SERVE_URL if plan.base_url is None else None)
    started = time.monotonic()
    if set(plan.phases) & set(ENGINE_PHASES):
        from schemathesis.engine import from_schema

        with _kept_configuration(plan, say):
            for event in from_schema(plan.schema).execute():
                collector.handle(event)
    if "flows" in plan.phases:
        _flows_phase(collector, app=plan.app, base_url=plan.base_url, headers=plan.headers,
                     path_params=plan.path_params, read_only=plan.read_only, cart_items=plan.cart_items,
                     coupons=plan.coupons, request_timeout=plan.request_timeout)
    run.elapsed = time.monotonic() - started
    for n, res in enumerate(run.operations, 1):
        verdict = "ok" if res.ok else f"FAILED ({len(res.findings)})"
        say(f"[{n}/{len(run.operations)}] {res.operation} ({res.operation_id}): {res.cases} case(s), {verdict}")
    say(f"cartwright conform: {len(run.operations) - len(run.failed)} passed, {len(run.failed)} failed "
        f"in {run.elapsed:.1f}s")
    return run


def run_conformance(*, progress: Callable[[str], None] | None = None, **options: Any) -> RunResult:
    """Test the selected operations with Schemathesis's engine plus the flows phase; every finding is data.

    Options (all keyword, as ``prepare`` takes them): ``app`` (or, with neither ``app`` nor ``base_url``,
    a fresh sandbox) is tested in process, ``base_url`` over HTTP with ``schema_location`` (default the
    bundled spec); ``token``, ``headers``, ``path_params``; ``operation_ids``/``tags`` select (either
    matching), ``read_only`` sends GET only; ``max_examples``, ``seed``; ``phases``: any of examples,
    coverage, fuzzing, stateful, flows; ``mode``: positive (schema-valid requests), negative (invalid
    ones, which must be refused) or all; ``enable_checks``/``disable_checks`` adjust ``OFF_BY_DEFAULT``;
    ``rate_limit`` ("10/s"), ``request_timeout`` (seconds), ``workers``; ``cart_items`` (two add-to-cart
    items) and ``coupons`` feed the flows phase against a deployment (in process: from the sandbox).
    Raises ``KitError`` on bad options or when the engine cannot run."""
    return execute(prepare(**options), progress)
