"""The built wheel carries what a non-editable install needs at run time: the spec and the admin spec."""
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_the_spec(tmp_path):
    """`pip wheel .` packs sandbox/openapi.yaml with exactly spec/openapi.yaml's bytes (so `pip install` works)."""
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                           "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    [wheel] = tmp_path.glob("cartwright-*.whl")
    with zipfile.ZipFile(wheel) as z:
        assert z.read("sandbox/openapi.yaml") == (ROOT / "spec" / "openapi.yaml").read_bytes()
        assert "sandbox/admin.yaml" in z.namelist()
