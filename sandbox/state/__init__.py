"""Implementations of the state port (``sandbox.domain.storage.Storage``): in memory, and shared ones."""

from .memory import MemoryStorage

__all__ = ["MemoryStorage"]
