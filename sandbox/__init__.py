"""Cartwright's sandbox: a stateful Fynd Platform Cart (and EnKash voucher) backend.

Public surface: ``create_app``, ``Settings``, and the error root ``SandboxError``.
"""

from ._settings import Settings
from .domain.errors import SandboxError

__all__ = ["Settings", "SandboxError", "create_app"]


def __getattr__(name: str):
    # Connexion is imported only when an app is wanted, so the CLI can quiet its import warnings first.
    if name == "create_app":
        from .web.app import create_app

        return create_app
    raise AttributeError(name)
