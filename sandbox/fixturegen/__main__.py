"""``python -m sandbox.fixturegen [--seed N] [--size N] [--out PATH] [--check]``.

Writes the seeded catalog (default: fixtures/catalog.json at the repository
root); ``--check`` instead compares that file with what the generator makes
and exits 1 when they differ. ``--out -`` writes to standard output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import DEFAULT_SEED, DEFAULT_SIZE, dump_catalog, generate_catalog

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "fixtures" / "catalog.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.fixturegen", description=__doc__.split("\n\n")[1])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE,
                        help=f"number of products (default {DEFAULT_SIZE})")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output file, or - for stdout")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from the generator's output")
    args = parser.parse_args(argv)
    if args.size < 1:
        parser.error("--size must be at least 1")

    text = dump_catalog(generate_catalog(args.seed, args.size))
    if (args.seed, args.size) == (DEFAULT_SEED, DEFAULT_SIZE) and Path(args.out).resolve() == DEFAULT_OUT:
        fix = "run `make catalog`"
    else:
        fix = f"run `python -m sandbox.fixturegen --seed {args.seed} --size {args.size} --out {args.out}`"
    if args.out == "-":
        if args.check:
            parser.error("--check needs a file, not -")
        sys.stdout.write(text)
        return 0

    out = Path(args.out)
    if args.check:
        try:
            current = out.read_bytes().decode("utf-8")
        except FileNotFoundError:
            print(f"{out}: missing; {fix}", file=sys.stderr)
            return 1
        if current != text:
            print(f"{out}: differs from the generator's output for seed {args.seed}, size {args.size};"
                  f" {fix}", file=sys.stderr)
            return 1
        print(f"{out}: up to date")
        return 0

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(text.encode("utf-8"))
    print(f"wrote {out} (seed {args.seed}, size {args.size}, {len(text.encode('utf-8'))} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
