"""``cartwright serve``: run the sandbox under uvicorn. Every flag has a CARTWRIGHT_* variable."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
import warnings

from ._settings import ENV_PREFIX, Settings, parse_value
from .domain.errors import SandboxError

FLAGS = {  # setting → help
    "host": "address to listen on",
    "port": "port to listen on",
    "seed": "seed of the generated catalog",
    "catalog_size": "number of products in the generated catalog",
    "catalog_file": "serve this catalog file instead of a generated one",
    "log_level": "uvicorn log level (critical, error, warning, info, debug)",
    "tokens": "comma-separated bearer tokens to accept (default: any token)",
    "admin_token": "bearer token of the admin API (default: the API's tokens; open when the API is)",
    "max_catalog_size": "largest generated catalog, in products (start-up and admin reseed)",
    "cache_max_bytes": "bytes the web layer may spend remembering paths, query strings and tokens",
    "cache_max_key_bytes": "longest path, query string or token the web layer remembers",
    "fresh_carts_remembered": "ids of never-written carts shown by reads that stay reachable by id",
    "id_seed": "seed of fresh ids (same seed, same ids: predictable); none = unguessable",
    "carts_per_application": "carts one application may hold (429 beyond; 0 = no cap)",
    "max_carts": "carts the sandbox may hold in all (429 beyond; 0 = no cap)",
    "records_per_application": "addresses, shared carts, and coupons and promotions one application may hold, each",
    "cart_ttl_minutes": "forget a cart untouched this many minutes (0 = never)",
    "max_listed_carts": "most carts the cart list answers (the newest)",
    "state_file": "load the state from this file at start, save it there at shutdown and periodically",
    "state_save_seconds": "seconds between saves to the state file (0 = only at shutdown)",
    "delivery_rules": "delivery charges as threshold:charge,... (e.g. 499:49); empty = free",
    "max_body_bytes": "largest request body accepted",
    "validate_responses": "validate every response against the spec (slower)",
    "frozen_time": "fixed ISO 8601 'now' for reproducible timestamps",
    "default_offers": "start with the seeded coupons and promotions (true/false)",
    "abandoned_after_minutes": "minutes untouched after which a cart with items is abandoned",
    "payment_modes": "comma-separated payment modes carts may select",
    "cod_charge": "charge for cash on delivery",
    "arrival_order": "serve requests waiting together in the order they arrived (true/false)",
    "max_header_bytes": "largest request line and headers accepted (431 beyond)",
    "header_timeout_seconds": "seconds a client has to send a request's line and headers (408 beyond)",
    "body_timeout_seconds": "seconds a client has to send a request's body once its headers are in (408 beyond)",
    "keep_alive_seconds": "seconds an idle keep-alive connection stays open",
    "max_connections": "open connections at most (503 beyond; lowered to fit the descriptor limit)",
    "shutdown_timeout_seconds": "seconds a shutdown waits for requests in flight before dropping them",
    "max_json_depth": "deepest nesting of objects and arrays a request body may have",
    "max_page_size": "largest page_size a paginated operation takes",
    "state": "where the state lives: memory, or a Redis URL (redis://HOST:PORT/DB) shared by processes and hosts",
    "state_prefix": "prefix of the shared state's Redis keys (several sandboxes on one Redis: one each)",
    "state_timeout_seconds": "seconds a call to the shared state may take (503 beyond)",
    "workers": "processes serving the sandbox (more than 1 needs a shared --state)",
    "cors": "answer CORS requests, preflights included (true/false)",
    "cors_origins": "comma-separated origins CORS allows (* = any)",
    "journal_size": "requests the journal keeps, the newest (0 = none)",
    "journal_body_bytes": "bytes of each request and response body the journal keeps",
    "max_fault_rules": "fault-injection rules the admin API may hold at once",
    "fault_rules": "fault-injection rules in force from the start: a JSON array of rules, or a JSON file of one",
}


def describe(settings: Settings, name: str) -> str:
    """A setting's value as it would be written on the command line."""
    value = getattr(settings, name)
    if name == "delivery_rules":
        return ",".join(f"{r.threshold}:{r.charge}" for r in value) or "free"
    if name == "tokens":
        return ",".join(sorted(value)) if value else "any"
    if name == "id_seed":
        return "none (unguessable)" if value is None else str(value)
    if name == "admin_token":
        return "set" if value else "the API's tokens"
    if name in ("payment_modes", "cors_origins"):
        return ",".join(value)
    if name == "fault_rules":
        return f"{len(value)} rule(s)" if value else "none"
    if name == "state":
        return re.sub(r"//[^@/]*@", "//***@", value)   # no password on the screen
    return str(value)


def version() -> str:
    """The installed distribution's version (``pyproject.toml``)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("cartwright")
    except PackageNotFoundError:
        return "unknown (not installed)"


def parser(defaults: Settings) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cartwright", description="Cartwright sandbox for cart APIs.")
    p.add_argument("--version", action="version", version=f"cartwright {version()}")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the sandbox")
    for name, text in FLAGS.items():
        serve.add_argument("--" + name.replace("_", "-"), dest=name, default=None, metavar=name.upper(),
                           help=f"{text} [{ENV_PREFIX}{name.upper()}; now: {describe(defaults, name)}]")
    # `cartwright conform` is parsed by conformance.cli (see main); listed here for --help.
    sub.add_parser("conform", add_help=False,
                   help="test the sandbox or a deployment against the spec (`cartwright conform --help`)")
    return p


def flags_given(argv: list[str] | None) -> dict[str, str]:
    """The settings given as flags, as written."""
    args = parser(Settings.from_env()).parse_args(argv)
    return {k: v for k, v in vars(args).items() if k in FLAGS and v is not None}


def settings_from(argv: list[str] | None) -> Settings:
    """Defaults, then CARTWRIGHT_* variables, then flags."""
    base = Settings.from_env()
    return base.replace(**{k: parse_value(k, v) for k, v in flags_given(argv).items()})


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
        from conformance.cli import main as conform

        return conform(args[1:])
    try:
        settings = settings_from(argv)
        refused = refusal(settings)
        if refused is not None:
            print(f"cartwright: {refused}", file=sys.stderr)
            return 2
        # Connexion imports starlette's test client, which warns about httpx on import.
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from .web.app import create_app
        app = create_app(settings)
        if app.sandbox.shared:   # reached now, so a Redis that is not there stops the start with its reason
            import asyncio

            asyncio.run(app.sandbox.follow())
        if settings.state_file is not None:   # read now, so a bad file stops the start with its reason
            import asyncio

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
        os.environ.update({ENV_PREFIX + name.upper(): raw for name, raw in flags_given(argv).items()})
        del app
        return serve_workers(settings)
    quiet_collector()
    return serve(app, settings)


def _state_text(settings: Settings) -> str:
    if settings.state == "memory":
        return "in this process"
    workers = f", {settings.workers} workers" if settings.workers > 1 else ""
    return f"{describe(settings, 'state')}, keys {settings.state_prefix}*{workers}"


if __name__ == "__main__":
    raise SystemExit(main())
