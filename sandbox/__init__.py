"""Cartwright's sandbox: a stateful Fynd Platform Cart (and EnKash voucher) backend.

Public surface: ``create_app``, ``Settings``, and the error root ``SandboxError``.
"""

import warnings

# Connexion imports starlette's test client, which warns about httpx on import (in `cartwright serve`'s
# workers too, which import the app themselves).
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

from ._settings import Settings  # noqa: E402
from .domain.errors import SandboxError  # noqa: E402

__all__ = ["Settings", "SandboxError", "create_app"]


def __getattr__(name: str):
    # Connexion is imported only when an app is wanted, so the CLI can quiet its import warnings first.
    if name == "create_app":
        from .web.app import create_app

        return create_app
    raise AttributeError(name)
