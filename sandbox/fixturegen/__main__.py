"""``python -m cartwright.sandbox.fixturegen [--seed N] [--size N] [--out PATH] [--offers-out PATH] [--check]``.

Writes the seeded catalog (default: fixtures/catalog.json at the repository
root) and its default offers (fixtures/offers.json when writing the default
catalog file; elsewhere only when --offers-out names a file), and with the default
file the EnKash voucher catalog (fixtures/vouchers.json); ``--check``
instead compares those files with what the generator makes and exits 1 when
one differs. ``--out -`` writes the catalog alone to standard output.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import DEFAULT_SEED, DEFAULT_SIZE, dump_catalog, generate_catalog
from .offers import dump_offers, generate_offers
from .vouchers import dump_vouchers, generate_vouchers

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DEFAULT_OUT = FIXTURES / "catalog.json"
DEFAULT_OFFERS_OUT = FIXTURES / "offers.json"
DEFAULT_VOUCHERS_OUT = FIXTURES / "vouchers.json"


def _check(out: Path, text: str, fix: str, what: str) -> bool:
    try:
        current = out.read_bytes().decode("utf-8")
    except FileNotFoundError:
        print(f"{out}: missing; {fix}", file=sys.stderr)
        return False
    if current != text:
        print(f"{out}: differs from the generator's output for {what}; {fix}", file=sys.stderr)
        return False
    print(f"{out}: up to date")
    return True


def _write(out: Path, text: str, what: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(text.encode("utf-8"))
    print(f"wrote {out} ({what}, {len(text.encode('utf-8'))} bytes)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cartwright.sandbox.fixturegen",
                                     description=__doc__.split("\n\n")[1])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE,
                        help=f"number of products (default {DEFAULT_SIZE})")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output file, or - for stdout")
    parser.add_argument("--offers-out", default=None,
                        help="offers file (default: fixtures/offers.json with the default --out, else none)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a file differs from the generator's output")
    args = parser.parse_args(argv)
    if args.size < 1:
        parser.error("--size must be at least 1")

    catalog = generate_catalog(args.seed, args.size)
    text = dump_catalog(catalog)
    if (args.seed, args.size) == (DEFAULT_SEED, DEFAULT_SIZE) and Path(args.out).resolve() == DEFAULT_OUT:
        fix = "run `make catalog`"
    else:
        fix = f"run `python -m cartwright.sandbox.fixturegen --seed {args.seed} --size {args.size} --out {args.out}`"
    if args.out == "-":
        if args.check:
            parser.error("--check needs a file, not -")
        sys.stdout.write(text)
        return 0

    out = Path(args.out)
    offers_out = Path(args.offers_out) if args.offers_out else (
        DEFAULT_OFFERS_OUT if out.resolve() == DEFAULT_OUT else None)
    if offers_out is not None and args.offers_out:
        fix = fix[:-1] + f" --offers-out {args.offers_out}`"
    what = f"seed {args.seed}, size {args.size}"
    files = [(out, text, what)]   # (path, its text, what it holds)
    if offers_out is not None:
        # The offers are built from the catalog as written, so a file-based catalog gets the same offers.
        files.append((offers_out, dump_offers(generate_offers(json.loads(text), args.seed)), f"offers for {what}"))
    # The EnKash voucher catalog goes with the default catalog file (it depends on the seed only).
    if out.resolve() == DEFAULT_OUT:
        files.append((DEFAULT_VOUCHERS_OUT, dump_vouchers(generate_vouchers(args.seed)),
                      f"vouchers for seed {args.seed}"))
    if args.check:
        ok = True
        for path, content, _ in files:
            ok = _check(path, content, fix, what) and ok
        return 0 if ok else 1

    for path, content, holds in files:
        _write(path, content, holds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
