"""Every setting of the sandbox, declared once, and where their values come from.

A setting is one field of ``Settings``: its name, its type (with its limits), its default and its help text.
From that one declaration come

- the ``cartwright serve --the-name`` flag and the ``CARTWRIGHT_THE_NAME`` environment variable,
- the ``the_name = ...`` key of the TOML config file (``cartwright serve --config cartwright.toml``, or
  ``CARTWRIGHT_CONFIG``),
- its line in ``cartwright serve --help`` and its row in the README's settings table (a test keeps the
  README in step: ``make settings-table`` rewrites it).

Where two give a value, the flag wins over the variable, the variable over the file, the file over the
default (``load``). Every value goes through the same validation, whatever its source: text (a flag, a
variable) is read by pydantic's lax rules ("8080" is an int, "yes" a bool, "1.5" a Decimal) and by the
``BeforeValidator`` of the setting's type where text needs more (a comma-separated list...). A value that
cannot be read is an ``InvalidValue`` naming the setting and where the value came from.

Adding a setting is one change, a field below::

    # Why it exists, briefly.
    cors_origins: Annotated[tuple[str, ...], Listed] = Field(("*",), description="origins that may call")

with a type from the aliases below where one fits (``NotNegative``, ``Positive``, ``Seconds``, ``Listed``,
``OptionalPath``...); ``Shown`` says how ``--help`` and the README write a value when ``str`` of it would not
do. The code then reads ``settings.cors_origins``; ``make settings-table`` puts its row in the README
(tests/test_settings.py fails until it is there).

``Settings`` is built once per process (at start, or per test app), never per request: reading a field is
a plain attribute read.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from .domain.errors import InvalidValue
from .domain.moments import instant
from .domain.pricing import DeliveryRule

ENV_PREFIX = "CARTWRIGHT_"
CONFIG_VARIABLE = ENV_PREFIX + "CONFIG"


@dataclass(frozen=True)
class Shown:
    """How ``--help``, the banner and the README write a setting's value (default: ``str``, lists with commas)."""

    write: Callable[[Any], str] | None = None
    absent: str = "none"   # what None means


def _text_read_by(read: Callable[[str], Any]) -> BeforeValidator:
    """A value given as text (a flag, a variable) read by ``read``; any other (a TOML value, a default) as it is."""
    return BeforeValidator(lambda value: read(value) if isinstance(value, str) else value)


def _empty_is_none(value: Any) -> Any:
    return value or None


def _instant_text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value   # a TOML date-time


def _iso_instant(value: str | None) -> str | None:
    if value is not None and instant(value) is None:
        raise ValueError("not an ISO 8601 instant (e.g. 2026-11-22T10:00:00Z)")
    return value


# Types of settings, with their limits and how they are read from text.
NotNegative = Annotated[int, Field(ge=0)]
Positive = Annotated[int, Field(gt=0)]
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]   # NaN and infinity refused
# "a, b" → ("a", "b"); a TOML array as it is
Listed = _text_read_by(lambda text: tuple(part.strip() for part in text.split(",") if part.strip()))
BlankIsNone = _text_read_by(lambda text: text if text.strip() else None)   # "" → None (the setting's "absent")
OptionalPath = Annotated[Path | None, BlankIsNone]


STATE_SCHEMES = ("redis://", "rediss://", "unix://")


def parse_state(raw: str) -> str:
    """``memory``, or the URL of a Redis (redis://HOST:PORT/DB, rediss:// for TLS, unix:///path/to/socket)."""
    value = raw.strip()
    if value.lower() == "memory":
        return "memory"
    if not value.lower().startswith(STATE_SCHEMES):
        raise ValueError("neither memory nor a redis://, rediss:// or unix:// URL")
    from .state.redis import redis_address  # what the client itself will read

    redis_address(value)   # ValueError for a URL it cannot read (a port that is not a number, an option it lacks)
    return value


def parse_delivery_rules(raw: str) -> tuple[DeliveryRule, ...]:
    """``"499:49,999:19"``: below 499 pay 49, below 999 pay 19, free above; ``""`` = always free."""
    rules = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        try:
            threshold, charge = part.split(":")
            rules.append(DeliveryRule(threshold=Decimal(threshold), charge=Decimal(charge)))
        except (ValueError, ArithmeticError):
            raise ValueError(f"{part!r} is not THRESHOLD:CHARGE") from None
    return tuple(rules)


def parse_fault_rules(raw: str) -> tuple[dict, ...]:
    """A JSON array of rule objects, inline or in the file ``raw`` names."""
    text = raw.strip()
    if not text:
        return ()
    if not text.startswith("["):
        try:
            text = Path(text).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{text}: {exc.strerror}") from None
    try:
        rules = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise ValueError("not a JSON array of objects")
    return tuple(rules)


def _by_threshold(rules: tuple[DeliveryRule, ...]) -> tuple[DeliveryRule, ...]:
    return tuple(sorted(rules, key=lambda r: r.threshold))   # the first matching rule wins


def _path_prefix(value: str) -> str:
    if not re.fullmatch(r"/[^?#\s]*[^/?#\s]", value):
        raise ValueError("a path such as /_cartwright (a leading /, no trailing /)")
    return value


def _without_password(url: str) -> str:
    from .state.redis import without_password  # (imported when shown: the Redis client only then)
    return without_password(url)


class _Declarations(type(BaseModel)):  # type: ignore[misc]  # pydantic's metaclass, named without its private path
    """``Settings.port`` is the default port, as it was when Settings was a dataclass (code reads defaults so)."""

    def __getattr__(cls, name: str) -> Any:
        fields = cls.__dict__.get("__pydantic_fields__") or {}
        if name in fields:
            return fields[name].default
        return super().__getattr__(name)


class Settings(BaseModel, metaclass=_Declarations):
    """How one sandbox runs. ``Settings(seed=7)`` for given values and defaults; ``load`` (the CLI) and
    ``from_env`` (a worker, ``create_app()``) add the config file, the variables and the flags; ``replace``
    overrides some. Frozen; every value is validated, whatever its source."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    host: str = Field("127.0.0.1", description="address to listen on")
    port: Annotated[int, Field(ge=0, le=65535)] = Field(8080, description="port to listen on")
    seed: NotNegative = Field(2026, description="seed of the generated catalog")
    catalog_size: NotNegative = Field(40, description="number of products in the generated catalog")
    catalog_file: OptionalPath = Field(None, description="serve this catalog file instead of a generated one")
    log_level: Annotated[Literal["critical", "error", "warning", "info", "debug", "trace"],
                         _text_read_by(lambda text: text.strip().lower())] = Field(
        "info", description="uvicorn log level (critical, error, warning, info, debug, trace)")
    # None: any bearer token is accepted; otherwise only these.
    tokens: Annotated[frozenset[str] | None, Listed, AfterValidator(_empty_is_none), Shown(absent="any")] = Field(
        None, description="comma-separated bearer tokens to accept (default: any token)")
    # The admin API's own token; None: the admin API takes the API's tokens (and is open when the API is).
    admin_token: Annotated[str | None, BlankIsNone, Shown(lambda _: "set", absent="the API's tokens")] = Field(
        None, description="bearer token of the admin API (default: the API's tokens; open when the API is)")
    max_catalog_size: NotNegative = Field(
        2000, description="largest generated catalog, in products (start-up and admin reseed)")
    # What the web layer may remember about requests (paths, query strings, tokens), per process
    # (web/memo.py); keys longer than cache_max_key_bytes are never remembered.
    cache_max_bytes: NotNegative = Field(
        32 * 2 ** 20, description="bytes the web layer may spend remembering paths, query strings and tokens")
    cache_max_key_bytes: NotNegative = Field(
        2048, description="longest path, query string or token the web layer remembers")
    # Reading a user's cart before it has items stores nothing; the ids of that many such fresh carts are
    # remembered (oldest forgotten first), so reads and writes by that id find the fresh cart.
    fresh_carts_remembered: NotNegative = Field(
        10_000, description="ids of never-written carts shown by reads that stay reachable by id")
    # Seed of fresh ids (carts, lines, orders, offers, tokens): the same seed gives the same ids, which are then
    # predictable; None: from the operating system, unguessable and never repeating.
    id_seed: Annotated[int | None, _text_read_by(lambda text: None if text.strip().lower() in ("", "none") else text),
                       Shown(absent="none (unguessable)")] = Field(
        None, description="seed of fresh ids (same seed, same ids: predictable); none = unguessable")
    # How much a client can make the sandbox remember (429 beyond; 0: no cap): carts per application and in
    # all, and addresses, shared carts, and coupons and promotions per application (each).
    carts_per_application: NotNegative = Field(
        50_000, description="carts one application may hold (429 beyond; 0 = no cap)")
    max_carts: NotNegative = Field(200_000, description="carts the sandbox may hold in all (429 beyond; 0 = no cap)")
    records_per_application: NotNegative = Field(
        10_000, description="addresses, shared carts, and coupons and promotions one application may hold, each")
    # A cart untouched this long is forgotten (0: never); the cart list answers at most max_listed_carts.
    cart_ttl_minutes: NotNegative = Field(0, description="forget a cart untouched this many minutes (0 = never)")
    max_listed_carts: NotNegative = Field(1000, description="most carts the cart list answers (the newest)")
    # Load the state from this file at start (when it exists) and save it there on a clean shutdown and every
    # state_save_seconds (0: only at shutdown); None: the state lives as long as the process.
    state_file: OptionalPath = Field(
        None, description="load the state from this file at start, save it there at shutdown and periodically")
    state_save_seconds: NotNegative = Field(
        60, description="seconds between saves to the state file (0 = only at shutdown)")
    # Cart value below `threshold` pays `charge`; the first matching rule wins.
    delivery_rules: Annotated[
        tuple[DeliveryRule, ...], _text_read_by(parse_delivery_rules), AfterValidator(_by_threshold),
        Shown(lambda rules: ",".join(f"{r.threshold}:{r.charge}" for r in rules) or "free"),
    ] = Field((DeliveryRule(threshold=Decimal("499"), charge=Decimal("49")),),
              description="delivery charges as threshold:charge,... (e.g. 499:49); empty = free")
    max_body_bytes: NotNegative = Field(1_000_000, description="largest request body accepted")
    # Payment modes a cart may select, and the charge for cash on delivery.
    payment_modes: Annotated[tuple[str, ...], Listed,
                             AfterValidator(lambda modes: tuple(m.strip().upper() for m in modes))] = Field(
        ("COD", "CARD", "NB", "UPI", "WL"), description="comma-separated payment modes carts may select")
    cod_charge: Annotated[Decimal, Field(allow_inf_nan=False)] = Field(
        Decimal("49"), description="charge for cash on delivery")
    admin_prefix: Annotated[str, AfterValidator(_path_prefix)] = Field("/_cartwright", description="path under which the admin API is served")
    # Response validation costs ~650 µs a request; tests turn it on.
    validate_responses: bool = Field(False, description="validate every response against the spec (slower)")
    # Fixed "now" for reproducible timestamps; None = the wall clock.
    frozen_time: Annotated[str | None, BlankIsNone, BeforeValidator(_instant_text), AfterValidator(_iso_instant), Shown(absent="wall clock")] = Field(
        None, description="fixed ISO 8601 'now' for reproducible timestamps (e.g. 2026-11-22T10:00:00Z)")
    # Start every application with the seeded coupons and promotions (fixtures/offers.json).
    default_offers: bool = Field(True, description="start with the seeded coupons and promotions (true/false)")
    # A cart with items, not checked out and untouched this long is abandoned (abandoned-cart list).
    abandoned_after_minutes: NotNegative = Field(
        1440, description="minutes untouched after which a cart with items is abandoned")
    # Requests waiting together start in the order they arrived (web/arrival.py): under load, the p99.
    arrival_order: bool = Field(
        True, description="serve requests waiting together in the order they arrived (true/false)")
    # HTTP limits (web/server.py): a request's line and headers, the time to send them and the body, an idle
    # keep-alive connection's life, open connections (also kept under the descriptor limit), and how long
    # a shutdown waits for requests in flight.
    max_header_bytes: Positive = Field(32_768, description="largest request line and headers accepted (431 beyond)")
    header_timeout_seconds: Seconds = Field(
        20.0, description="seconds a client has to send a request's line and headers (408 beyond)")
    body_timeout_seconds: Seconds = Field(
        30.0, description="seconds a client has to send a request's body once its headers are in (408 beyond)")
    keep_alive_seconds: Seconds = Field(5.0, description="seconds an idle keep-alive connection stays open")
    max_connections: Positive = Field(
        1000, description="open connections at most (503 beyond; lowered to fit the descriptor limit)")
    shutdown_timeout_seconds: Seconds = Field(
        5.0, description="seconds a shutdown waits for requests in flight before dropping them")
    # Request bodies nested deeper than this many objects/arrays are refused (400); the spec's deepest is 7.
    max_json_depth: NotNegative = Field(32, description="deepest nesting of objects and arrays a request body may have")
    # The largest page_size a paginated operation takes (400 above it).
    max_page_size: NotNegative = Field(100, description="largest page_size a paginated operation takes")
    # Where the state lives: "memory" (this process), or a Redis URL (redis://HOST:PORT/DB) that several
    # processes and hosts share, its keys under state_prefix; a Redis call waits state_timeout_seconds at most
    # (503 beyond). workers: processes serving (more than 1 needs a shared state).
    state: Annotated[str, AfterValidator(parse_state), Shown(_without_password)] = Field(
        "memory",
        description="where the state lives: memory, or a Redis URL (redis://HOST:PORT/DB) shared by processes and hosts")
    state_prefix: str = Field(
        "cartwright:", description="prefix of the shared state's Redis keys (several sandboxes on one Redis: one each)")
    state_timeout_seconds: Seconds = Field(5.0, description="seconds a call to the shared state may take (503 beyond)")
    workers: Positive = Field(1, description="processes serving the sandbox (more than 1 needs a shared --state)")
    # CORS (web/app.py): answered for these origins ("*": any), or not at all when cors is off.
    cors: bool = Field(True, description="answer CORS requests, preflights included (true/false)")
    cors_origins: Annotated[tuple[str, ...], Listed] = Field(("*",), description="origins CORS allows (* = any)")
    # The request journal (web/journal.py): the newest journal_size requests (0: none kept), their bodies kept up
    # to journal_body_bytes each.
    journal_size: NotNegative = Field(1000, description="requests the journal keeps, the newest (0 = none)")
    journal_body_bytes: NotNegative = Field(
        16384, description="bytes of each request and response body the journal keeps")
    # Fault-injection rules the admin API may hold at once (429 beyond).
    max_fault_rules: NotNegative = Field(100, description="fault-injection rules the admin API may hold at once")
    # Rules in force from the start, and again after a reset (domain/faults.py), each a dict as the admin API takes
    # it (their fields are checked when the app is made, where the operation ids are known). From text: a JSON
    # array, or the path of a JSON file holding one; in the config file, an array of tables.
    fault_rules: Annotated[tuple[dict[str, Any], ...], _text_read_by(parse_fault_rules),
                           Shown(lambda rules: f"{len(rules)} rule(s)" if rules else "none")] = Field(
        (), description="fault-injection rules in force from the start: a JSON array of rules, or a JSON file of one")

    def replace(self, **changes) -> Settings:
        """These settings with ``changes`` (validated as a flag's would be; ``InvalidValue`` naming one)."""
        return _validated({**self.__dict__, **changes}, {name: "replace()" for name in changes})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, then the config file named by CARTWRIGHT_CONFIG, then CARTWRIGHT_<SETTING> variables."""
        return load(environ=environ)


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def variable(name: str) -> str:
    return ENV_PREFIX + name.upper()


def shown(settings: Settings, name: str) -> str:
    """A setting's value as ``--help``, the banner and the README write it."""
    value = getattr(settings, name)
    how = next((m for m in Settings.model_fields[name].metadata if isinstance(m, Shown)), Shown())
    if value is None:
        return how.absent
    if isinstance(value, bool):
        return "true" if value else "false"   # as a flag takes it
    if how.write is not None:
        return how.write(value)
    if isinstance(value, (tuple, frozenset)):
        return ",".join(sorted(value) if isinstance(value, frozenset) else value)
    return str(value)


def read_config(path: Path, named_by: str) -> dict[str, Any]:
    """The settings of a TOML config file: ``port = 9000`` at its top level, a key per setting."""
    try:
        with path.open("rb") as f:
            values = tomllib.load(f)
    except OSError as exc:
        raise InvalidValue(f"config file {path} ({named_by}): cannot be read: {exc.strerror}",
                           field="config", value=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidValue(f"config file {path}: not TOML: {exc}", field="config", value=str(path)) from None
    for key in values:
        if key not in Settings.model_fields:
            near = difflib.get_close_matches(key, Settings.model_fields, n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise InvalidValue(f"config file {path}: {key!r} is not a setting{hint}", field=key, value=values[key])
    return values


def load(flags: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None,
         config: Path | None = None) -> Settings:
    """Defaults, then the config file (``config``, else CARTWRIGHT_CONFIG), then CARTWRIGHT_* variables,
    then ``flags`` (setting name → text as given)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    if config is None and environ.get(CONFIG_VARIABLE):
        config, named_by = Path(environ[CONFIG_VARIABLE]), CONFIG_VARIABLE
    else:
        named_by = "--config"
    if config is not None:
        from_file = read_config(config, named_by)
        values.update(from_file)
        origins.update({name: f"config file {config}" for name in from_file})
    for name in Settings.model_fields:
        raw = environ.get(variable(name))
        if raw is not None:
            values[name], origins[name] = raw, variable(name)
    for name, raw in (flags or {}).items():
        values[name], origins[name] = raw, flag(name)
    return _validated(values, origins)


def _validated(values: dict[str, Any], origins: Mapping[str, str]) -> Settings:
    try:
        return Settings(**values)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        name = str(error["loc"][0]) if error["loc"] else "settings"
        reason = error["msg"].removeprefix("Value error, ")
        where = f" from {origins[name]}" if name in origins else ""
        raw = values.get(name)
        raw = _without_password(raw) if isinstance(raw, str) else raw
        raise InvalidValue(f"setting {name}: cannot read {raw!r}{where}: {reason}", field=name, value=raw) from None


README_TABLE_START = "<!-- settings table: generated from sandbox/_settings.py by `make settings-table` -->"
README_TABLE_END = "<!-- end of settings table -->"


def markdown_table() -> str:
    """The README's settings table: a row per setting, as declared."""
    defaults = Settings()
    rows = ["| setting | flag | variable | default | what it is |", "| --- | --- | --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = shown(defaults, name).replace("|", "\\|")
        rows.append(f"| {name} | `{flag(name)}` | `{variable(name)}` | `{default}` | {field.description} |")
    return "\n".join(rows)


def readme_with_table(readme: str) -> str:
    """``readme`` with its settings table (between the markers) rewritten from the declarations."""
    start, end = readme.index(README_TABLE_START), readme.index(README_TABLE_END)
    return f"{readme[:start]}{README_TABLE_START}\n{markdown_table()}\n{readme[end:]}"


def rewrite_readme(path: str | Path = "README.md") -> None:
    """``make settings-table``: the README's settings table rewritten from the declarations."""
    readme = Path(path)
    readme.write_text(readme_with_table(readme.read_text()))
