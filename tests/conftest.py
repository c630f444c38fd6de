"""Shared fixtures: the capture tool, the committed spec, and the parsed reference texts."""
import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"


def _load_capture():
    spec = importlib.util.spec_from_file_location("capture", ROOT / "spec" / "capture.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["capture"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def capture():
    return _load_capture()


@pytest.fixture(scope="session")
def openapi():
    return yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())


@pytest.fixture(scope="session")
def fynd_ops(capture):
    return capture.parse_fynd((SEEDS / capture.FYND_TEXT).read_text())


@pytest.fixture(scope="session")
def decisions(capture):
    return capture.load_decisions()
