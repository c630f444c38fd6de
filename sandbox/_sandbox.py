"""One running sandbox's state: settings, catalog, store and the cart service. No HTTP here."""

from __future__ import annotations

from .catalog_file import catalog_from_seed, load_catalog_file
from .domain.cart import CartService
from .domain.catalog import Catalog
from .domain.runtime import Clock, Ids
from .domain.store import CartStore, MemoryStore
from ._settings import Settings


class Sandbox:
    """What ``create_app`` builds and the HTTP layer reaches through ``app.sandbox``."""

    def __init__(self, settings: Settings, store: CartStore | None = None) -> None:
        self.settings = settings
        self.store = store if store is not None else MemoryStore()
        self.clock = Clock(settings.frozen_time)
        self.catalog = self._load_catalog(settings.seed, settings.catalog_size)
        self.reset()

    def _load_catalog(self, seed: int, size: int) -> Catalog:
        if self.settings.catalog_file is not None:
            return load_catalog_file(self.settings.catalog_file)
        return catalog_from_seed(seed, size)

    def reset(self) -> None:
        """Forget every cart; fresh ids start again from the id seed."""
        self.store.clear()
        self.ids = Ids(self.settings.id_seed)
        self.carts = CartService(self.catalog, self.store, self.ids, self.clock, self.settings.delivery_rules)

    def reseed(self, seed: int, size: int) -> None:
        """A new generated catalog (and no carts, since their articles may be gone)."""
        self.settings = self.settings.replace(seed=seed, catalog_size=size, catalog_file=None)
        self.catalog = self._load_catalog(seed, size)
        self.reset()
