"""Settings: one declaration per setting gives its flag, its CARTWRIGHT_* variable, its config-file key, its help
and its README row; flags win over variables, variables over the config file, the file over the defaults; a
value that cannot be read stops `cartwright serve` with one line naming the setting (exit 2, no traceback)."""
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import ROOT
from cartwright.sandbox import Settings
from cartwright.sandbox._cli import settings_from
from cartwright.sandbox._settings import (ENV_PREFIX, README_TABLE_END, README_TABLE_START, flag, markdown_table,
                                          variable)
from cartwright.sandbox.domain.errors import InvalidValue

CONFIG = """
port = 9100
seed = 7
tokens = ["alice", "bob"]
delivery_rules = "999:19,299:59"
frozen_time = 2026-11-22T10:00:00Z
default_offers = false
state_timeout_seconds = 2.5
"""


@pytest.fixture
def no_variables(monkeypatch):
    """No CARTWRIGHT_* variable of the machine running the tests reaches these."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    return monkeypatch


def test_a_config_file_sets_settings(tmp_path, no_variables):
    """`--config FILE` (or CARTWRIGHT_CONFIG) reads settings from TOML, each key a setting, typed as the code
    expects them (a TOML array, a date-time, a comma-separated string, a bool, a float)."""
    path = tmp_path / "cartwright.toml"
    path.write_text(CONFIG)
    for settings in (settings_from(["serve", "--config", str(path)]),
                     Settings.from_env({"CARTWRIGHT_CONFIG": str(path)})):
        assert (settings.port, settings.seed, settings.tokens) == (9100, 7, frozenset({"alice", "bob"}))
        assert [(r.threshold, r.charge) for r in settings.delivery_rules] == [(299, 59), (999, 19)]
        assert settings.frozen_time == "2026-11-22T10:00:00+00:00" and settings.default_offers is False
        assert settings.state_timeout_seconds == 2.5 and settings.host == Settings().host


def test_variables_override_the_file_and_flags_override_variables(tmp_path, no_variables):
    """A CARTWRIGHT_* variable wins over the config file, a flag over both; what only the file sets stays."""
    path = tmp_path / "cartwright.toml"
    path.write_text(CONFIG)
    no_variables.setenv("CARTWRIGHT_CONFIG", str(path))
    no_variables.setenv("CARTWRIGHT_PORT", "9200")
    no_variables.setenv("CARTWRIGHT_SEED", "8")
    settings = settings_from(["serve", "--seed", "9"])
    assert (settings.port, settings.seed, settings.tokens) == (9200, 9, frozenset({"alice", "bob"}))
    other = tmp_path / "other.toml"   # --config names the file over CARTWRIGHT_CONFIG
    other.write_text("cod_charge = 12.5\n")
    settings = settings_from(["serve", "--config", str(other)])
    assert (settings.cod_charge, settings.seed, settings.tokens) == (Decimal("12.5"), 8, None)


def serve(*flags: str, environ: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`cartwright serve` in a subprocess. `--workers 2` on the memory state is refused after the settings are
    read: a bad value that were wrongly accepted would stop there (naming workers), not start a server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)} | (environ or {})
    return subprocess.run([sys.executable, "-m", "cartwright.sandbox._cli", "serve", *flags, "--workers", "2"],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


@pytest.mark.parametrize("flags, environ, config, words", [
    (["--frozen-time", "yesterday"], {}, None, ["setting frozen_time", "'yesterday'", "--frozen-time", "ISO 8601"]),
    ([], {"CARTWRIGHT_PORT": "abc"}, None, ["setting port", "'abc'", "CARTWRIGHT_PORT", "integer"]),
    (["--max-connections", "0"], {}, None, ["setting max_connections", "--max-connections", "greater than 0"]),
    (["--state", "redis://user:secret@host:x/0"], {}, None, ["setting state", "Port", "***@"]),
    ([], {}, "port = 9000\nseed = 7 7\n", ["cartwright.toml", "not TOML", "line 2"]),
    ([], {}, "prot = 9000\n", ["cartwright.toml", "'prot' is not a setting", "did you mean port"]),
    ([], {}, 'seed = "many"\n', ["setting seed", "'many'", "cartwright.toml", "integer"]),
    (["--config", "missing.toml"], {}, None, ["missing.toml", "cannot be read", "--config"]),
    ([], {"CARTWRIGHT_CONFIG": "missing.toml"}, None, ["missing.toml", "cannot be read", "CARTWRIGHT_CONFIG"]),
], ids=["flag", "variable", "limit", "url", "toml-syntax", "toml-unknown-key", "toml-value", "no-file",
        "no-file-variable"])
def test_a_bad_setting_is_one_line_naming_it(tmp_path, flags, environ, config, words):
    """A flag, variable or config file value that cannot be read, a file that is not TOML, a key that is not a
    setting, a file that is not there: exit 2 and one line on stderr naming the setting (or file) and why;
    no traceback, no password."""
    if config is not None:
        (tmp_path / "cartwright.toml").write_text(config)
        flags = [*flags, "--config", "cartwright.toml"]
    done = serve(*flags, environ=environ, cwd=tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith("cartwright: ") and all(w in lines[0] for w in words), lines[0]
    assert "secret" not in lines[0] and "Traceback" not in done.stderr


def test_help_lists_every_setting_with_its_flag_variable_and_default():
    """`cartwright serve --help` has a line per setting: its flag, its help text, its CARTWRIGHT_* variable and
    its default; and --config with CARTWRIGHT_CONFIG."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)} | {"COLUMNS": "2000"}
    out = subprocess.run([sys.executable, "-m", "cartwright.sandbox._cli", "serve", "--help"], capture_output=True, text=True,
                         env=env, timeout=120).stdout
    lines = {}   # flag → its help, which argparse may begin on the next line and wrap
    for line in out.splitlines():
        if line.startswith("  --"):
            current = line.split()[0]
            lines[current] = line
        elif line.startswith("    ") and lines:
            lines[current] += " " + line.strip()
    assert "[CARTWRIGHT_CONFIG]" in lines["--config"]
    for name, field in Settings.model_fields.items():
        line = lines.get(flag(name), "")
        assert field.description in line and f"[{variable(name)}; default: " in line, (name, line)
    assert set(lines) == {"--config", *map(flag, Settings.model_fields)}


def test_the_readme_settings_table_is_the_declarations():
    """The README's settings table is the one the declarations give (`make settings-table` rewrites it), and the
    Limits table names only flags that exist."""
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index(README_TABLE_START) + len(README_TABLE_START):readme.index(README_TABLE_END)]
    assert table.strip() == markdown_table(), "the README's settings table is stale: run `make settings-table`"
    limits = readme[readme.index("### Limits"):readme.index("### Admin API")]
    named = set(re.findall(r"`(--[a-z-]+)", limits))
    assert named and named <= {flag(name) for name in Settings.model_fields}, named


def test_settings_stay_a_frozen_keyword_object():
    """Settings is built by keyword and `replace`d as before (validated alike: InvalidValue naming the setting),
    cannot be changed in place, and its class attributes are the defaults."""
    settings = Settings(seed=7, tokens=frozenset({"t"}))
    assert (settings.seed, settings.tokens, Settings.max_page_size) == (7, frozenset({"t"}), 100)
    changed = settings.replace(catalog_file=Path("c.json"), cod_charge="10.50")
    assert (changed.catalog_file, changed.cod_charge, changed.seed) == (Path("c.json"), Decimal("10.50"), 7)
    assert settings.catalog_file is None and changed == settings.replace(catalog_file="c.json", cod_charge="10.5")
    with pytest.raises(InvalidValue, match="setting max_json_depth"):
        settings.replace(max_json_depth=-1)
    with pytest.raises((TypeError, ValueError)):
        settings.seed = 8


def test_every_declared_setting_has_help_and_a_valid_default():
    """Every setting has a help text; its default passes its own validation (the declaration is consistent)."""
    for name, field in Settings.model_fields.items():
        assert field.description, name
    assert Settings() == Settings.model_validate(Settings().__dict__)
