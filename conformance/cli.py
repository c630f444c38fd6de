"""``cartwright conform``: hold the sandbox or a real deployment to the spec with Schemathesis.

The options map onto ``run_conformance`` (``conformance._engine``), which runs Schemathesis's own engine
plus the kit's flows phase; the result is written as progress lines (a progress bar per phase on a terminal),
a Markdown or HTML report with reproducing curl lines, and JUnit XML. Exit code 0 when everything run passed
and something was tested, 1 when something failed or nothing was really tested (see ``_no_vacuous_pass``),
2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ._engine import DEFAULT_MAX_EXAMPLES, MODES, OFF_BY_DEFAULT, PHASES, SANDBOX_TOKEN, KitError, run_conformance
from ._flows import parse_cart_item
from ._reports import html_report, junit_xml, markdown_report


# --------------------------------------------------------------------------- the CLI
def _cart_item(text: str) -> dict:
    try:
        return parse_cart_item(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _positive(kind: type) -> Callable[[str], Any]:
    def read(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not 0 < value < float("inf"):
            raise argparse.ArgumentTypeError(f"must be above 0, got {text!r}")
        return value

    return read


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
    p.add_argument("--exclude-operation-id", action="append", default=[], metavar="ID",
                   help="leave this operationId out (repeatable)")
    p.add_argument("--read-only", action="store_true", help="send GET requests only (for production)")
    p.add_argument("--allow-writes", action="store_true",
                   help="against a URL, also send requests that change application-wide settings (cart "
                        "configuration, coupons, promotions; put back at the end where the API allows). In process "
                        "they are always sent, to the kit's own application")
    p.add_argument("--allow-orders", action="store_true",
                   help="against a URL, also place orders (the checkout flow and the checkout operations: real "
                        "orders, stock taken). In process always")
    p.add_argument("--max-examples", type=int, default=DEFAULT_MAX_EXAMPLES,
                   help=f"generated requests per operation (default {DEFAULT_MAX_EXAMPLES})")
    p.add_argument("--phases", default=None, metavar="PHASES",
                   help=f"comma-separated, from {', '.join(PHASES)} (default: all; a phase that cannot run is then "
                        "reported as not run; one asked for here fails the run). The first four are Schemathesis's; "
                        "flows runs the multi-call cart invariants and every operation's success path")
    p.add_argument("--mode", default="all", choices=MODES,
                   help="generate schema-valid requests (positive), invalid ones that must be refused "
                        "(negative), or both (all; the default)")
    p.add_argument("--check", dest="enable_checks", action="append", default=[], metavar="NAME",
                   help="turn on a check that is off by default: " + ", ".join(OFF_BY_DEFAULT) + " (repeatable)")
    p.add_argument("--exclude-check", dest="disable_checks", action="append", default=[], metavar="NAME",
                   help="turn a check off (repeatable)")
    p.add_argument("--rate-limit", metavar="N/UNIT", help="at most N requests per s, m or h, e.g. 10/s")
    p.add_argument("--request-timeout", type=_positive(float), metavar="SECONDS", help="give up on a response after this long")
    p.add_argument("--workers", type=_positive(int), default=1, help="concurrent workers (default 1: reproducible order)")
    p.add_argument("--cart-item", dest="cart_items", action="append", default=[], type=_cart_item,
                   metavar="ITEM_ID:SIZE[:STORE_ID]",
                   help="an item the deployment sells, put into generated add-to-cart requests and used by the "
                        "flows phase (give two or more; in process: the sandbox's catalog)")
    p.add_argument("--coupon", dest="coupons", action="append", default=[], metavar="CODE",
                   help="a coupon code for the flows phase's round trip (repeatable; in process: getCoupons)")
    p.add_argument("--area-code", metavar="PIN",
                   help="a PIN code the deployment delivers to, for the flows' address and checkout (in process: "
                        "the sandbox's catalog)")
    p.add_argument("--payment-mode", default="COD", metavar="MODE",
                   help="the payment mode the checkout flow selects (default COD)")
    p.add_argument("--seed", type=int, help="Hypothesis seed (default: random, printed)")
    p.add_argument("--junit-xml", type=Path, metavar="PATH", help="write a JUnit XML report")
    p.add_argument("--report", type=Path, metavar="PATH",
                   help="write a report with curl reproductions: HTML when PATH ends in .html, else Markdown")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(
        prog="cartwright conform",
        description="Test the sandbox or a deployment against the spec: Schemathesis checks plus cart invariants."))


def main(argv: list[str] | None = None, *, app: Any = None, out: TextIO | None = None) -> int:
    """Run the CLI; ``app`` replaces the in-process sandbox (tests use it for broken variants).
    Exit code 0 when the run passed (``RunResult.ok``), 1 when it did not, 2 on a usage error."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    progress = None if args.quiet else (lambda line: print(line, file=out, flush=True))
    console = None
    if not args.quiet and getattr(out, "isatty", lambda: False)():
        from rich.console import Console

        console = Console(file=out)
    try:
        run = run_conformance(app=app, base_url=args.base_url, schema_location=args.schema_location,
                              token=args.token, headers=dict(args.header), path_params=dict(args.path_param),
                              operation_ids=args.include_operation_id, tags=args.include_tag,
                              exclude_operation_ids=args.exclude_operation_id,
                              read_only=args.read_only, max_examples=args.max_examples, seed=args.seed,
                              phases=args.phases, mode=args.mode, enable_checks=args.enable_checks,
                              disable_checks=args.disable_checks, rate_limit=args.rate_limit,
                              request_timeout=args.request_timeout, workers=args.workers,
                              cart_items=args.cart_items, coupons=args.coupons, allow_writes=args.allow_writes,
                              allow_orders=args.allow_orders, area_code=args.area_code,
                              payment_mode=args.payment_mode, progress=progress, console=console)
    except KitError as exc:
        print(f"cartwright conform: {exc}", file=sys.stderr)
        return 2
    if args.report:
        render = html_report if args.report.suffix.lower() in (".html", ".htm") else markdown_report
        args.report.write_text(render(run))
    if args.junit_xml:
        args.junit_xml.write_text(junit_xml(run))
    if not run.operations:
        print("cartwright conform: no operation matched the selection", file=sys.stderr)
        return 2
    if run.failed and progress:
        progress("Reproduce:")
        for o in run.failed:
            for f in o.findings:
                if f.curl:
                    progress(f"  {o.operation_id} [{f.check}]: " + f.curl.replace("\n", "\n    "))
    return 0 if run.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
