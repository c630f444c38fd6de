"""``cartwright serve``: run the sandbox under uvicorn. Every flag has a CARTWRIGHT_* variable."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
import warnings
from pathlib import Path

from ._settings import CONFIG_VARIABLE, Settings, flag, load, shown, variable
from .domain.errors import SandboxError

# Every setting is a `cartwright serve` flag (sandbox/_settings.py declares them, with their help).
FLAGS = tuple(Settings.model_fields)


def version() -> str:
    """The installed distribution's version (``pyproject.toml``)."""
    from importlib.metadata import PackageNotFoundError, version as installed

    try:
        return installed("cartwright")
    except PackageNotFoundError:
        return "unknown (not installed)"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cartwright", description="Cartwright sandbox for cart APIs.")
    p.add_argument("--version", action="version", version=f"cartwright {version()}")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve", help="run the sandbox", usage="cartwright serve [--config FILE] [--SETTING VALUE ...]",
        description="Run the sandbox. Every setting is a flag, a CARTWRIGHT_* "
        "variable and a key of the config file: a flag wins over its variable, a variable over the file, the "
        "file over the default.")
    serve.add_argument("--config", metavar="FILE", default=None,
                       help=f"read settings from this TOML file (`port = 9000`, a key per setting) [{CONFIG_VARIABLE}]")
    defaults = Settings()
    for name, field in Settings.model_fields.items():
        serve.add_argument(flag(name), dest=name, default=None, metavar=name.upper(),
                           help=f"{field.description} [{variable(name)}; default: {shown(defaults, name)}]")
    # `cartwright conform` is parsed by conformance.cli (see main); listed here for --help.
    sub.add_parser("conform", add_help=False,
                   help="test the sandbox or a deployment against the spec (`cartwright conform --help`)")
    return p


def arguments(argv: list[str] | None) -> argparse.Namespace:
    return parser().parse_args(argv)


def flags_given(args: argparse.Namespace) -> dict[str, str]:
    """The settings given as flags, as written."""
    return {k: v for k, v in vars(args).items() if k in FLAGS and v is not None}


def settings_from(argv: list[str] | None) -> Settings:
    """Defaults, then the config file (--config, else CARTWRIGHT_CONFIG), then CARTWRIGHT_* variables, then flags."""
    return settings_of(arguments(argv))


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings of ``cartwright serve``'s parsed arguments (as ``settings_from``)."""
    return load(flags=flags_given(args), config=None if args.config is None else Path(args.config))


def refusal(settings: Settings) -> str | None:
    """Why these settings cannot be served together, if they cannot."""
    if settings.workers > 1 and settings.state == "memory":
        return (f"--workers {settings.workers} needs a shared state: the memory state lives in one process, so each "
                f"worker would have its own carts (start with --state redis://HOST:PORT/DB)")
    if settings.state != "memory" and settings.state_file is not None:
        return ("--state-file is for the memory state: a Redis state is kept by Redis itself (its own RDB or AOF "
                "persistence); export and import it with GET and PUT /_cartwright/state")
    return None


def example_curl(app, settings: Settings) -> str:
    """One add-to-cart request that works on this catalog, a few times over: the best-stocked article."""
    catalog = app.sandbox.catalog
    article = max(catalog.articles, key=lambda a: a.stock)
    body = {"user_id": "demo-user", "items": [{"item_id": article.item_id, "item_size": article.size,
                                               "quantity": 1}]}
    url = (f"http://{settings.host}:{settings.port}/service/platform/cart/v1.0/company/1/application/demo"
           f"/detail?b=true")
    return (f"curl -s -X POST {shlex.quote(url)} -H 'Authorization: Bearer any-token'"
            f" -H 'Content-Type: application/json' -d {shlex.quote(json.dumps(body))}")


def quiet_collector() -> None:
    """Keep Python's cycle collector off the sandbox's state while it serves.

    What start-up built, and every cart since, lives until a reset: the collector's full passes walk all
    of it for nothing, and under load they were the add-to-cart p99 (pauses of 40-85 ms with 20k carts).
    Requests leave no cyclic garbage (tests/test_sandbox_dispatch.py), so the young generations are still
    collected as usual, full passes run only when the admin API resets or reseeds, and start-up's objects
    are frozen out of every pass.
    """
    import gc

    gc.collect()
    gc.freeze()
    young, middle, _full = gc.get_threshold()
    gc.set_threshold(young, middle, 2 ** 30)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["conform"]:
        from cartwright.conformance.cli import main as conform

        return conform(args[1:])
    parsed = arguments(argv)
    try:
        settings = settings_of(parsed)
        refused = refusal(settings)
        if refused is not None:
            print(f"cartwright: {refused}", file=sys.stderr)
            return 2
        # Connexion imports starlette's test client, which warns about httpx on import.
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from .web.app import create_app
        app = create_app(settings)
        if app.sandbox.shared:   # reached now, so a Redis that is not there stops the start with its reason
            asyncio.run(app.sandbox.follow())
        if settings.state_file is not None:   # read now, so a bad file stops the start with its reason
            from .web.lifecycle import load_state_file

            app.sandbox.state_loaded = True
            if asyncio.run(load_state_file(app.sandbox, settings.state_file)):
                print(f"State loaded from {settings.state_file}")
    except SandboxError as exc:
        print(f"cartwright: {exc.message}", file=sys.stderr)
        return 2

    base = f"http://{settings.host}:{settings.port}"
    catalog = app.sandbox.catalog_identity()   # a shared state's, which may not be this command's own
    catalog_text = catalog.get("file") or f"seed {catalog.get('seed')}, {catalog.get('size')} products"
    print(f"Cartwright sandbox on {base}  (catalog: {catalog_text}; state: {_state_text(settings)})")
    print(f"  Swagger UI:  {base}/ui/")
    print(f"  Admin:       {base}{settings.admin_prefix}/catalog  (items, sizes, stores to use)")
    print(f"  Try:         {example_curl(app, settings)}", flush=True)
    from .web.server import serve, serve_workers

    if settings.workers > 1:
        # Each worker builds its own app (uvicorn's multi-process mode imports a factory): it reads these
        # settings from the environment, which the workers inherit.
        os.environ.update({variable(name): raw for name, raw in flags_given(parsed).items()})
        if parsed.config is not None:   # the file under the variables, as here
            os.environ[CONFIG_VARIABLE] = parsed.config
        del app
        return serve_workers(settings)
    quiet_collector()
    return serve(app, settings)


def _state_text(settings: Settings) -> str:
    if settings.state == "memory":
        return "in this process"
    workers = f", {settings.workers} workers" if settings.workers > 1 else ""
    return f"{shown(settings, 'state')}, keys {settings.state_prefix}*{workers}"


if __name__ == "__main__":
    raise SystemExit(main())
