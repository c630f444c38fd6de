"""The built wheel carries what a non-editable install needs at run time: the spec and the admin spec."""
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_the_spec(tmp_path):
    """`pip wheel .` packs cartwright/sandbox/openapi.yaml with exactly spec/openapi.yaml's bytes (so `pip install` works),
    and the MIT LICENSE."""
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                           "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    [wheel] = tmp_path.glob("cartwright-*.whl")
    with zipfile.ZipFile(wheel) as z:
        assert z.read("cartwright/sandbox/openapi.yaml") == (ROOT / "spec" / "openapi.yaml").read_bytes()
        assert "cartwright/sandbox/admin.yaml" in z.namelist()
        [license_file] = [n for n in z.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
        assert z.read(license_file) == (ROOT / "LICENSE").read_bytes()
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Copyright (c) 2026 the Cartwright authors" in text


def test_version_flag_prints_the_installed_version():
    """`cartwright --version` prints the package's version and exits 0."""
    from importlib.metadata import version

    done = subprocess.run([sys.executable, "-m", "cartwright.sandbox", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"cartwright {version('cartwright')}\n"


def _locked() -> dict[str, str]:
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith(("#", " ", "-")):
            name, _, pinned = line.partition("==")
            pins[canonicalize_name(name)] = pinned.strip()
    return pins


def test_the_lock_file_pins_every_dependency_within_its_range():
    """requirements.lock (what `make` installs) pins every dependency pyproject.toml names, the test extra's too,
    at a version inside pyproject's range: a dependency added or re-ranged without `make lock` fails here."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = _locked()
    for spec in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements.lock: run make lock"
        assert requirement.specifier.contains(locked[name], prereleases=True), (name, locked[name], spec)


def test_the_web_machinery_is_pinned_to_one_minor_release():
    """connexion, starlette, uvicorn and httptools, whose internals sandbox/web relies on, are allowed one minor
    release each in pyproject.toml, the one requirements.lock pins."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    ranges = {canonicalize_name(r.name): r.specifier for r in map(
        Requirement, tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])}
    locked = _locked()
    for name in ("connexion", "starlette", "uvicorn", "httptools"):
        pinned = Version(locked[name])
        same_minor, next_minor = f"{pinned.major}.{pinned.minor}.99", f"{pinned.major}.{pinned.minor + 1}.0"
        assert ranges[name].contains(same_minor) and not ranges[name].contains(next_minor), (name, ranges[name])
