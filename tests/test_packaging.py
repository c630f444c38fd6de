"""The built wheel carries what a non-editable install needs at run time: the spec and the admin spec."""
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_the_spec(tmp_path):
    """`pip wheel .` packs sandbox/openapi.yaml with exactly spec/openapi.yaml's bytes (so `pip install` works),
    and the MIT LICENSE."""
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                           "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    [wheel] = tmp_path.glob("cartwright-*.whl")
    with zipfile.ZipFile(wheel) as z:
        assert z.read("sandbox/openapi.yaml") == (ROOT / "spec" / "openapi.yaml").read_bytes()
        assert "sandbox/admin.yaml" in z.namelist()
        [license_file] = [n for n in z.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
        assert z.read(license_file) == (ROOT / "LICENSE").read_bytes()
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Copyright (c) 2026 the Cartwright authors" in text


def test_version_flag_prints_the_installed_version():
    """`cartwright --version` prints the package's version and exits 0."""
    from importlib.metadata import version

    done = subprocess.run([sys.executable, "-m", "sandbox", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"cartwright {version('cartwright')}\n"
