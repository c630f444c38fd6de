"""``cartwright conform``: hold the sandbox or a real deployment to the spec with Schemathesis.

One engine, ``run_conformance``, serves the CLI and Python/pytest callers. It loads the schema
(in process from the sandbox's ASGI app, or the bundled spec pointed at ``--base-url``), selects
operations, and for each drives Hypothesis over Schemathesis's ``operation.as_strategy()``, sending
every case with ``case.call`` and judging the answer with ``case.validate_response`` against
Schemathesis's standard checks plus ``conformance.CART_CHECKS``. Failures are collected as data
(first example of each distinct failure, no shrinking), then written as progress lines, a Markdown
report with reproducing curl lines, and JUnit XML.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO
from xml.etree import ElementTree as ET

DEFAULT_MAX_EXAMPLES = 20
PHASES = ("positive", "negative")
SANDBOX_TOKEN = "sandbox"
# In process there is no URL: curl lines point at `cartwright serve`'s default address instead.
SERVE_URL = "http://127.0.0.1:8080"


# --------------------------------------------------------------------------- results as data
@dataclass(frozen=True)
class Finding:
    """One distinct failure of one operation: the check that failed, what it said, and how to reproduce it."""

    operation: str  # "GET /service/..."
    operation_id: str
    check: str
    title: str
    message: str
    curl: str
    status: int | None = None


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
    operations: list[OperationResult] = field(default_factory=list)
    elapsed: float = 0.0
    phases: tuple[str, ...] = ("positive",)

    @property
    def failed(self) -> list[OperationResult]:
        return [o for o in self.operations if not o.ok]

    @property
    def ok(self) -> bool:
        return not self.failed and bool(self.operations)


# --------------------------------------------------------------------------- checks
def default_checks() -> list[Callable]:
    """Schemathesis's standard response checks that fit a positive-data run, then the cart invariants.

    ``negative_data_rejection`` and ``positive_data_acceptance`` are left out: they judge generation
    modes this engine does not use (it sends schema-valid data only), so they would say nothing or
    false-alarm on requests the sandbox rightly refuses for business reasons (unknown item, no stock).
    """
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    from . import CART_CHECKS

    return [not_a_server_error, status_code_conformance, content_type_conformance,
            response_schema_conformance, response_headers_conformance, *CART_CHECKS]


def negative_checks() -> list[Callable]:
    """What the negative phase adds: Schemathesis's ``negative_data_rejection`` (invalid input must be
    refused with a 4xx). It judges only cases Schemathesis marks as negative (``case.meta.generation.mode``)
    and skips mutations that serialise back into valid data."""
    from schemathesis.specs.openapi.checks import negative_data_rejection

    return [negative_data_rejection]


def parse_phases(text: str | Any) -> tuple[str, ...]:
    """``"positive,negative"`` (or a sequence) as a tuple of known phases, in the given order, no repeats."""
    items = text.split(",") if isinstance(text, str) else list(text)
    phases: list[str] = []
    for item in (i.strip().lower() for i in items):
        if item not in PHASES:
            raise ValueError(f"unknown phase {item!r} (known: {', '.join(PHASES)})")
        if item not in phases:
            phases.append(item)
    if not phases:
        raise ValueError("--phases needs at least one phase")
    return tuple(phases)


# --------------------------------------------------------------------------- schema loading
def _spec_path() -> Path:
    return Path(__file__).resolve().parents[1] / "spec" / "openapi.yaml"


def load_schema(*, app: Any = None, base_url: str | None = None, schema_location: str | None = None):
    """The Schemathesis schema: in process on ``app`` (the sandbox's ASGI app), or the spec
    (``schema_location``: a file or URL; default the bundled ``spec/openapi.yaml``) against ``base_url``."""
    import schemathesis

    if base_url is None:
        if schema_location:
            raise ValueError("--schema needs --base-url (in process, the sandbox serves its own spec)")
        return schemathesis.openapi.from_asgi("/openapi.json", app)
    location = schema_location or str(_spec_path())
    if location.startswith(("http://", "https://")):
        schema = schemathesis.openapi.from_url(location)
    else:
        schema = schemathesis.openapi.from_path(location)
    schema.config.update(base_url=base_url.rstrip("/"))
    return schema


def select_operations(schema, *, operation_ids=(), tags=(), read_only=False) -> list:
    """The operations to test: by operationId and/or tag (either matching), GET only when read-only."""
    wanted_ids, wanted_tags = set(operation_ids), set(tags)

    def wanted(ctx) -> bool:
        raw = ctx.operation.definition.raw
        if read_only and ctx.operation.method.upper() != "GET":
            return False
        if wanted_ids or wanted_tags:
            return raw.get("operationId") in wanted_ids or bool(wanted_tags & set(raw.get("tags") or ()))
        return True

    # One filter: Schemathesis's chained include() calls do not narrow each other.
    schema = schema.include(func=wanted)
    operations = []
    for result in schema.get_all_operations():
        operations.append(result.ok())
    return operations


# --------------------------------------------------------------------------- the engine
def _failures_of(exc: BaseException) -> list:
    from schemathesis.core.failures import Failure, FailureGroup

    if isinstance(exc, FailureGroup):
        return list(exc.exceptions)
    if isinstance(exc, Failure):
        return [exc]
    return []


def _still_negative(case, headers: dict[str, str], generated_path: dict[str, Any]) -> bool:
    """Whether a negative case is still invalid once the kit's fixed headers (the token) and ``--path-param``
    values are put in. A negation in the headers (say, ``Authorization`` removed) or in a path parameter
    that the kit overwrites is undone; the component is then marked positive so ``negative_data_rejection``
    judges what is really sent, and a case with nothing invalid left is not judged by it at all."""
    from schemathesis.core.parameters import ParameterLocation
    from schemathesis.generation import GenerationMode
    from schemathesis.generation.meta import ComponentInfo

    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return False
    sent = {k.lower(): v for k, v in (case.headers or {}).items()}
    if meta.is_negative_at(ParameterLocation.HEADER) and any(sent.get(k.lower()) != v for k, v in headers.items()):
        meta.components[ParameterLocation.HEADER] = ComponentInfo(GenerationMode.POSITIVE)
    if meta.is_negative_at(ParameterLocation.PATH) and case.path_parameters != generated_path:
        meta.components[ParameterLocation.PATH] = ComponentInfo(GenerationMode.POSITIVE)
    return any(info.mode.is_negative for info in meta.components.values())


def check_operation(operation, *, checks: list[Callable], headers: dict[str, str],
                   path_params: dict[str, str], max_examples: int, seed: int,
                   curl_base: str | None = None, phases=("positive",)) -> OperationResult:
    """Drive Hypothesis over one operation, once per phase (``positive``: schema-valid requests judged by
    ``checks``; ``negative``: invalid requests judged by ``checks`` plus ``negative_checks()``); every
    distinct failure is kept with its first example."""
    import hypothesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    op_id = operation.definition.raw.get("operationId", "")
    result = OperationResult(operation.label, op_id)
    seen: set[tuple[str, str]] = set()
    started = time.monotonic()

    def record(case, check: str, title: str, message: str, status: int | None) -> None:
        key = (check, title)
        if key in seen:
            return
        seen.add(key)
        try:
            curl = case.as_curl_command(headers=headers, base_url=curl_base)
        except Exception as exc:  # noqa: BLE001 - the report must still be written
            curl = f"(no curl: {exc})"
        result.findings.append(Finding(operation.label, op_id, check, title, message.strip(), curl, status))

    def phase_run(mode, phase_checks):
        @hypothesis.seed(seed)
        @settings(max_examples=max_examples, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.explicit,
                                                                   hypothesis.Phase.generate])
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case) -> None:
            before = dict(case.path_parameters or {})
            case.path_parameters = {**before, **{k: v for k, v in path_params.items()
                                                 if k in {p.name for p in operation.path_parameters}}}
            judged = phase_checks
            if mode is GenerationMode.NEGATIVE and not _still_negative(case, headers, before):
                judged = [c for c in phase_checks if c not in negative_only]
            result.cases += 1
            try:
                response = case.call(headers=headers)
            except Exception as exc:  # noqa: BLE001 - a transport error is a finding, not a crash
                record(case, "request", "Request failed", f"{type(exc).__name__}: {exc}", None)
                return
            for check in judged:  # one at a time, so each finding names its check
                try:
                    case.validate_response(response, checks=[check], headers=headers)
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - a Failure, or a FailureGroup
                    for failure in _failures_of(exc) or [exc]:
                        title = getattr(failure, "title", None) or type(failure).__name__
                        message = getattr(failure, "message", None) or str(failure)
                        record(case, check.__name__, title, message, response.status_code)

        return run

    negative_only = [c for c in negative_checks() if c not in checks]
    for phase in phases:
        if phase == "negative":
            extra = negative_only
            runner = phase_run(GenerationMode.NEGATIVE, [*checks, *extra])
        else:
            runner = phase_run(GenerationMode.POSITIVE, checks)
        try:
            runner()
        except Exception as exc:  # noqa: BLE001 - generation or schema errors are findings too
            if phase == "negative" and isinstance(exc, Unsatisfiable):
                continue  # nothing to make invalid (no parameters, no body): not a failure
            result.findings.append(Finding(operation.label, op_id, "engine", "Could not test the operation",
                                           f"{phase} phase: {type(exc).__name__}: {exc}", "", None))
    result.elapsed = time.monotonic() - started
    return result


def run_conformance(*, app: Any = None, base_url: str | None = None, schema_location: str | None = None,
                    token: str | None = None, headers: dict[str, str] | None = None,
                    path_params: dict[str, str] | None = None, operation_ids=(), tags=(),
                    read_only: bool = False, max_examples: int = DEFAULT_MAX_EXAMPLES, seed: int | None = None,
                    checks: list[Callable] | None = None, phases="positive",
                    progress: Callable[[str], None] | None = None) -> RunResult:
    """Test the selected operations; ``app`` (or, with neither ``app`` nor ``base_url``, a fresh in-process
    sandbox) is tested in process, ``base_url`` over HTTP. ``phases``: ``"positive"`` (schema-valid requests),
    ``"negative"`` (invalid ones, which must be refused with a 4xx), or both (``"positive,negative"`` or a
    sequence). Returns every finding as data."""
    phases = parse_phases(phases)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    if base_url is None and app is None:
        from sandbox import Settings, create_app

        app = create_app(Settings())
    if token is None and base_url is None:
        token = SANDBOX_TOKEN
    all_headers = dict(headers or {})
    if token:
        all_headers.setdefault("Authorization", f"Bearer {token}")
    seed = random.randrange(2**31) if seed is None else seed
    checks = default_checks() if checks is None else checks
    schema = load_schema(app=app, base_url=base_url, schema_location=schema_location)
    operations = select_operations(schema, operation_ids=operation_ids, tags=tags, read_only=read_only)
    names = [c.__name__ for c in checks]
    if "negative" in phases:
        names += [c.__name__ for c in negative_checks() if c not in checks]
    run = RunResult(base_url or "in-process sandbox", seed, max_examples, names, phases=phases)
    say = progress or (lambda line: None)
    say(f"cartwright conform: {len(operations)} operation(s) on {run.target}, "
        f"{max_examples} example(s) each per phase ({', '.join(phases)}), seed {seed}")
    started = time.monotonic()
    for n, operation in enumerate(operations, 1):
        res = check_operation(operation, checks=checks, headers=all_headers, path_params=path_params or {},
                             max_examples=max_examples, seed=seed,
                             curl_base=SERVE_URL if base_url is None else None, phases=phases)
        run.operations.append(res)
        verdict = "ok" if res.ok else f"FAILED ({len(res.findings)})"
        say(f"[{n}/{len(operations)}] {res.operation} ({res.operation_id}): {res.cases} case(s), "
            f"{verdict}  {res.elapsed:.1f}s")
    run.elapsed = time.monotonic() - started
    say(f"cartwright conform: {len(run.operations) - len(run.failed)} passed, {len(run.failed)} failed "
        f"in {run.elapsed:.1f}s")
    return run


# --------------------------------------------------------------------------- reports
def markdown_report(run: RunResult) -> str:
    lines = ["# Cartwright conformance report", "",
             f"- target: {run.target}", f"- operations: {len(run.operations)}, failed: {len(run.failed)}",
             f"- examples per operation: {run.max_examples}, seed: {run.seed} (rerun with `--seed {run.seed}`)",
             f"- phases: {', '.join(run.phases)}", f"- checks: {', '.join(run.checks)}", f"- time: {run.elapsed:.1f}s", "",
             "| operation | operationId | cases | result |", "| --- | --- | ---: | --- |"]
    for o in run.operations:
        lines.append(f"| `{o.operation}` | {o.operation_id} | {o.cases} | "
                     f"{'ok' if o.ok else 'FAILED: ' + ', '.join(sorted({f.title for f in o.findings}))} |")
    if run.failed:
        lines += ["", "## Failures"]
        for o in run.failed:
            lines += ["", f"### `{o.operation}` ({o.operation_id})"]
            for f in o.findings:
                status = f" (HTTP {f.status})" if f.status is not None else ""
                lines += ["", f"**{f.title}** — check `{f.check}`{status}", "", "```", f.message, "```"]
                if f.curl:
                    lines += ["", "Reproduce:", "", "```sh", f.curl, "```"]
    return "\n".join(lines) + "\n"


def junit_xml(run: RunResult) -> str:
    suite = ET.Element("testsuite", name="cartwright-conformance", tests=str(len(run.operations)),
                       failures=str(len(run.failed)), errors="0", skipped="0", time=f"{run.elapsed:.3f}")
    for o in run.operations:
        tc = ET.SubElement(suite, "testcase", classname=o.operation_id or "operation", name=o.operation,
                           time=f"{o.elapsed:.3f}")
        for f in o.findings:
            el = ET.SubElement(tc, "failure", message=f"{f.title}: {f.message.splitlines()[0] if f.message else ''}",
                               type=f.check)
            el.text = f"{f.message}\n\nReproduce: {f.curl}" if f.curl else f.message
    root = ET.Element("testsuites", tests=suite.get("tests"), failures=suite.get("failures"))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --------------------------------------------------------------------------- the CLI
def _pair(text: str, sep: str, what: str) -> tuple[str, str]:
    if sep not in text:
        raise argparse.ArgumentTypeError(f"{what} must look like NAME{sep}VALUE, got {text!r}")
    k, v = text.split(sep, 1)
    return k.strip(), v.strip()


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--base-url", help="deployment to test (e.g. https://staging.example.com); "
                                      "absent: an in-process sandbox")
    p.add_argument("--schema", dest="schema_location", metavar="PATH_OR_URL",
                   help="OpenAPI spec for --base-url (default: the bundled spec/openapi.yaml)")
    p.add_argument("--token", help=f"bearer token (default in process: {SANDBOX_TOKEN!r})")
    p.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                   type=lambda s: _pair(s, ":", "--header"), help="extra request header (repeatable)")
    p.add_argument("--path-param", action="append", default=[], metavar="NAME=VALUE",
                   type=lambda s: _pair(s, "=", "--path-param"),
                   help="fixed value of a path parameter, e.g. company_id=1 (repeatable)")
    p.add_argument("--include-operation-id", action="append", default=[], metavar="ID",
                   help="test only this operationId (repeatable; combines with --include-tag as 'or')")
    p.add_argument("--include-tag", action="append", default=[], metavar="TAG", help="test only this tag (repeatable)")
    p.add_argument("--read-only", action="store_true", help="test GET operations only")
    p.add_argument("--max-examples", type=int, default=DEFAULT_MAX_EXAMPLES,
                   help=f"generated requests per operation (default {DEFAULT_MAX_EXAMPLES})")
    p.add_argument("--phases", default="positive", metavar="PHASES",
                   help="comma-separated: positive (schema-valid requests; the default), negative (invalid "
                        "requests, which must be refused with a 4xx: check negative_data_rejection)")
    p.add_argument("--seed", type=int, help="Hypothesis seed (default: random, printed)")
    p.add_argument("--junit-xml", type=Path, metavar="PATH", help="write a JUnit XML report")
    p.add_argument("--report", type=Path, metavar="PATH", help="write a Markdown report with curl reproductions")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(
        prog="cartwright conform",
        description="Test the sandbox or a deployment against the spec: Schemathesis checks plus cart invariants."))


def main(argv: list[str] | None = None, *, app: Any = None, out: TextIO | None = None) -> int:
    """Run the CLI; ``app`` replaces the in-process sandbox (tests use it for broken variants).
    Exit code 0 when every operation passed, 1 when something failed, 2 on a usage error."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    if args.max_examples < 1:
        print("cartwright conform: --max-examples must be at least 1", file=sys.stderr)
        return 2
    progress = None if args.quiet else (lambda line: print(line, file=out, flush=True))
    try:
        run = run_conformance(app=app, base_url=args.base_url, schema_location=args.schema_location,
                              token=args.token, headers=dict(args.header), path_params=dict(args.path_param),
                              operation_ids=args.include_operation_id, tags=args.include_tag,
                              read_only=args.read_only, max_examples=args.max_examples, seed=args.seed,
                              phases=args.phases, progress=progress)
    except ValueError as exc:
        print(f"cartwright conform: {exc}", file=sys.stderr)
        return 2
    if args.report:
        args.report.write_text(markdown_report(run))
    if args.junit_xml:
        args.junit_xml.write_text(junit_xml(run))
    if not run.operations:
        print("cartwright conform: no operation matched the selection", file=sys.stderr)
        return 2
    if run.failed and progress:
        for o in run.failed:
            for f in o.findings:
                progress(f"FAILED {o.operation} ({o.operation_id}): {f.title}\n  {f.curl}")
    return 0 if run.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
