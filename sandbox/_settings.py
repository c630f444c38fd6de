"""Every default of the sandbox in one object; CLI flags and CARTWRIGHT_* variables override it."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Mapping

from .domain.errors import InvalidValue
from .domain.pricing import DeliveryRule

ENV_PREFIX = "CARTWRIGHT_"


@dataclass(frozen=True)
class Settings:
    """How one sandbox runs. Build with ``Settings.from_env()`` and override with ``replace``."""

    host: str = "127.0.0.1"
    port: int = 8080
    seed: int = 2026
    catalog_size: int = 40
    catalog_file: Path | None = None
    log_level: str = "info"
    # None: any bearer token is accepted; otherwise only these.
    tokens: frozenset[str] | None = None
    # The admin API's own token; None: the admin API takes the API's tokens (and is open when the API is).
    admin_token: str | None = None
    # Largest generated catalog (start-up size and admin reseed), in products.
    max_catalog_size: int = 2000
    # What the web layer may remember about requests (paths, query strings, tokens), per process
    # (web/memo.py); keys longer than cache_max_key_bytes are never remembered.
    cache_max_bytes: int = 32 * 2 ** 20
    cache_max_key_bytes: int = 2048
    # Reading a user's cart before it has items stores nothing; the ids of that many such fresh carts are
    # remembered (oldest forgotten first), so reads and writes by that id find the fresh cart.
    fresh_carts_remembered: int = 10_000
    # Seed of fresh ids (carts, lines, orders, offers, tokens): the same seed gives the same ids, which are then
    # predictable; None: from the operating system, unguessable and never repeating.
    id_seed: int | None = None
    # How much a client can make the sandbox remember (429 beyond; 0: no cap): carts per application and in
    # all, and addresses, shared carts, and coupons and promotions per application (each).
    carts_per_application: int = 50_000
    max_carts: int = 200_000
    records_per_application: int = 10_000
    # A cart untouched this long is forgotten (0: never); the cart list answers at most max_listed_carts.
    cart_ttl_minutes: int = 0
    max_listed_carts: int = 1000
    # Load the state from this file at start (when it exists) and save it there on a clean shutdown and every
    # state_save_seconds (0: only at shutdown); None: the state lives as long as the process.
    state_file: Path | None = None
    state_save_seconds: int = 60
    # Cart value below `threshold` pays `charge`; the first matching rule wins.
    delivery_rules: tuple[DeliveryRule, ...] = (DeliveryRule(threshold=Decimal("499"), charge=Decimal("49")),)
    max_body_bytes: int = 1_000_000
    # Payment modes a cart may select, and the charge for cash on delivery.
    payment_modes: tuple[str, ...] = ("COD", "CARD", "NB", "UPI", "WL")
    cod_charge: Decimal = Decimal("49")
    admin_prefix: str = "/_cartwright"
    # Response validation costs ~650 µs a request; tests turn it on.
    validate_responses: bool = False
    # Fixed "now" (ISO 8601) for reproducible timestamps; None = the wall clock.
    frozen_time: str | None = None
    # Start every application with the seeded coupons and promotions (fixtures/offers.json).
    default_offers: bool = True
    # A cart with items, not checked out and untouched this long is abandoned (abandoned-cart list).
    abandoned_after_minutes: int = 1440
    # Requests waiting together start in the order they arrived (web/arrival.py): under load, the p99.
    arrival_order: bool = True
    # HTTP limits (web/server.py): a request's line and headers, the time to send them and the body, an idle
    # keep-alive connection's life, open connections (also kept under the descriptor limit), and how long
    # a shutdown waits for requests in flight.
    max_header_bytes: int = 32_768
    header_timeout_seconds: float = 20.0
    body_timeout_seconds: float = 30.0
    keep_alive_seconds: float = 5.0
    max_connections: int = 1000
    shutdown_timeout_seconds: float = 5.0
    # Request bodies nested deeper than this many objects/arrays are refused (400); the spec's deepest is 7.
    max_json_depth: int = 32
    # The largest page_size a paginated operation takes (400 above it).
    max_page_size: int = 100
    # Where the state lives: "memory" (this process), or a Redis URL (redis://HOST:PORT/DB) that several
    # processes and hosts share, its keys under state_prefix; a Redis call waits state_timeout_seconds at most
    # (503 beyond). workers: processes serving (more than 1 needs a shared state).
    state: str = "memory"
    state_prefix: str = "cartwright:"
    state_timeout_seconds: float = 5.0
    workers: int = 1
    # CORS (web/app.py): answered for these origins ("*": any), or not at all when cors is off.
    cors: bool = True
    cors_origins: tuple[str, ...] = ("*",)
    # The request journal (web/journal.py): the newest journal_size requests (0: none kept), their bodies kept up
    # to journal_body_bytes each.
    journal_size: int = 1000
    journal_body_bytes: int = 16384
    # Fault-injection rules the admin API may hold at once (429 beyond).
    max_fault_rules: int = 100
    # Fault-injection rules in force from the start, and again after a reset (domain/faults.py): each a dict as
    # the admin API takes it. From text: a JSON array of rules, or the path of a JSON file holding one.
    fault_rules: tuple[dict, ...] = ()

    def replace(self, **changes) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults overridden by CARTWRIGHT_<FIELD> variables (e.g. CARTWRIGHT_PORT=9000)."""
        environ = os.environ if environ is None else environ
        changes = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                changes[f.name] = parse_value(f.name, raw)
        return cls(**changes)


def parse_value(name: str, raw: str):
    """One setting from text (an environment variable or a CLI flag)."""
    try:
        if name in ("port", "seed", "catalog_size", "max_body_bytes", "abandoned_after_minutes",
                    "max_catalog_size", "cache_max_bytes", "cache_max_key_bytes",
                    "fresh_carts_remembered", "max_json_depth", "max_page_size", "carts_per_application",
                    "max_carts", "records_per_application", "cart_ttl_minutes", "max_listed_carts",
                    "state_save_seconds", "journal_size", "journal_body_bytes", "max_fault_rules"):
            return _not_negative(int(raw))
        if name == "workers":
            return _positive(int(raw))
        if name == "state":
            return parse_state(raw)
        if name == "state_timeout_seconds":
            return _positive(float(raw))
        if name == "id_seed":
            return None if raw.strip().lower() in ("", "none") else int(raw)
        if name in ("validate_responses", "default_offers", "arrival_order", "cors"):
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(raw)
            return raw.lower() in ("1", "true", "yes")
        if name in ("max_header_bytes", "max_connections"):
            return _positive(int(raw))
        if name in ("header_timeout_seconds", "body_timeout_seconds", "keep_alive_seconds",
                    "shutdown_timeout_seconds"):
            return _positive(float(raw))
        if name in ("catalog_file", "state_file"):
            return Path(raw) if raw else None
        if name == "tokens":
            tokens = frozenset(t.strip() for t in raw.split(",") if t.strip())
            return tokens or None
        if name == "delivery_rules":
            return parse_delivery_rules(raw)
        if name == "fault_rules":
            return parse_fault_rules(raw)
        if name == "cors_origins":
            return tuple(o.strip() for o in raw.split(",") if o.strip())
        if name == "payment_modes":
            return tuple(m.strip().upper() for m in raw.split(",") if m.strip())
        if name == "cod_charge":
            return Decimal(raw)
        if name in ("frozen_time", "admin_token"):
            return raw or None
        return raw
    except (ValueError, ArithmeticError) as exc:
        raise InvalidValue(f"setting {name}: cannot read {raw!r}", field=name, value=raw) from exc


def parse_fault_rules(raw: str) -> tuple[dict, ...]:
    """A JSON array of rule objects, inline or in the file ``raw`` names (the rules' fields are checked when the
    app is made, where the operation ids are known)."""
    text = raw.strip()
    if not text:
        return ()
    if not text.startswith("["):
        try:
            text = Path(text).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{text}: {exc.strerror}") from None
    rules = json.loads(text)
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise ValueError("not a JSON array of objects")
    return tuple(rules)


STATE_SCHEMES = ("redis://", "rediss://", "unix://")


def parse_state(raw: str) -> str:
    """``memory``, or the URL of a Redis (redis://HOST:PORT/DB, rediss:// for TLS, unix:///path/to/socket)."""
    value = raw.strip()
    if value.lower() == "memory":
        return "memory"
    if not value.lower().startswith(STATE_SCHEMES):
        raise ValueError(value)
    from redis.connection import parse_url   # what the client itself will read

    parse_url(value)   # ValueError for a URL it cannot read (a port that is not a number...)
    return value


def _not_negative(value: int) -> int:
    if value < 0:
        raise ValueError(value)
    return value


def _positive(value):
    if not 0 < value < float("inf"):   # NaN fails too
        raise ValueError(value)
    return value


def parse_delivery_rules(raw: str) -> tuple[DeliveryRule, ...]:
    """``"499:49,999:19"``: below 499 pay 49, below 999 pay 19, free above; ``""`` = always free."""
    rules = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        threshold, charge = part.split(":")
        rules.append(DeliveryRule(threshold=Decimal(threshold), charge=Decimal(charge)))
    return tuple(sorted(rules, key=lambda r: r.threshold))
