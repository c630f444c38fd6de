"""One running sandbox's state: settings, catalog, offers, store and the services over them. No HTTP here."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import cast

from ._settings import Settings
from .catalog_file import generated_catalog, read_catalog_file
from .domain import faults
from .domain.abandoned import AbandonedCarts
from .domain.addresses import AddressBook, CartAddresses
from .domain.adjustments import Adjustments
from .domain.cart import CartService
from .domain.cart_config import CartConfigs
from .domain.cart_offers import CartOffers
from .domain.catalog import Catalog
from .domain.checkout import Checkout
from .domain.controls import Controls
from .domain.errors import InvalidValue
from .domain.offer_book import OfferBook
from .domain.runtime import Clock, Ids
from .domain.sharing import Sharing
from .domain.state import Caps, SandboxState
from .domain.storage import SharedStorage, Storage
from .domain.vouchers import VoucherCarts, voucher_catalog
from .state.memory import MemoryStorage


@dataclass(frozen=True)
class CatalogBundle:
    """Everything that follows from one catalog: made without touching a running sandbox, so it can be
    built off the event loop and installed in one step."""

    settings: Settings
    catalog: Catalog
    voucher_catalog: dict
    default_offers: dict


def catalog_bundle(settings: Settings) -> CatalogBundle:
    """The catalog ``settings`` name (a file, or generated from the seed and size), its vouchers and offers."""
    if settings.catalog_file is not None:
        data = read_catalog_file(settings.catalog_file)
    else:
        if not 1 <= settings.catalog_size <= settings.max_catalog_size:
            raise InvalidValue(f"catalog_size: {settings.catalog_size} is not between 1 and max_catalog_size "
                               f"{settings.max_catalog_size}", field="catalog_size", value=settings.catalog_size)
        data = generated_catalog(settings.seed, settings.catalog_size)
    from .fixturegen.offers import offers_from_seed  # the default offers are made for the catalog
    from .fixturegen.vouchers import generate_vouchers

    offers = offers_from_seed(data, settings.seed) if settings.default_offers else {"coupons": [], "promotions": []}
    return CatalogBundle(settings, Catalog.from_dict(data), voucher_catalog(generate_vouchers(settings.seed)), offers)


def _identity(settings: Settings) -> dict:
    """Which catalog ``settings`` serve, as the state records it: its file, or its seed and size."""
    if settings.catalog_file is not None:
        return {"file": str(settings.catalog_file)}
    return {"seed": settings.seed, "size": settings.catalog_size}


def storage_for(settings: Settings) -> Storage:
    """The storage the ``state`` setting names: this process's memory, or a Redis shared with other processes."""
    if settings.state == "memory":
        return MemoryStorage()
    from .state.redis import RedisStorage

    return RedisStorage(settings.state, settings.state_prefix, settings.state_timeout_seconds)


class Sandbox:
    """What ``create_app`` builds and the HTTP layer reaches through ``app.sandbox``: the settings, the
    catalog, the state port and the services over them, wired here and nowhere else (``operations``: the
    API's operation ids, which fault rules name)."""

    def __init__(self, settings: Settings, storage: Storage | None = None, *, operations: Collection[str]) -> None:
        self.storage = storage if storage is not None else storage_for(settings)
        self.state = SandboxState(self.storage, Caps(
            carts_per_application=settings.carts_per_application, carts=settings.max_carts,
            records_per_application=settings.records_per_application,
            fresh_carts_remembered=settings.fresh_carts_remembered))
        self.clock = Clock(settings.frozen_time)
        # Not rebuilt by a reset or reseed: the id sequence never rewinds.
        self.ids = Ids(settings.id_seed)
        self.state_loaded = False   # from the state file (web/lifecycle.py), once
        self.shared = getattr(self.storage, "shared", False)   # several processes serve this state
        self._joined = False
        bundle = catalog_bundle(settings)
        # The rules of the fault_rules setting, checked once: a reset, and every catalog served, starts with them.
        self.start_rules = faults.start_rules(settings.fault_rules, operations)
        self.install(bundle)

    def install(self, bundle: CatalogBundle) -> None:
        """Serve ``bundle``'s catalog: the services over it and the state (which the caller empties when the
        catalog changes, since carts name its articles)."""
        settings = self.settings = bundle.settings
        self.catalog = bundle.catalog
        self.voucher_catalog = bundle.voucher_catalog
        self.default_offers = bundle.default_offers
        state, ids, clock = self.state, self.ids, self.clock
        self.offers = OfferBook(state, clock, ids, self.default_offers["coupons"], self.default_offers["promotions"])
        self.cart_config = CartConfigs(state, ids, clock, settings.delivery_rules)
        self.carts = CartService(self.catalog, state, ids, clock, settings.delivery_rules, self.offers.index,
                                 self.cart_config, settings.cod_charge, settings.max_listed_carts,
                                 timedelta(minutes=settings.cart_ttl_minutes) if settings.cart_ttl_minutes else None)
        self.cart_offers = CartOffers(self.carts, state, self.catalog, clock)
        self.adjustments = Adjustments(self.carts, state, ids, clock)
        self.sharing = Sharing(self.carts, state, ids, clock)
        self.abandoned = AbandonedCarts(self.carts, state, clock, timedelta(minutes=settings.abandoned_after_minutes))
        self.addresses = AddressBook(state, ids)
        self.cart_addresses = CartAddresses(self.carts, self.addresses, state, self.catalog, clock)
        self.checkout = Checkout(self.carts, state, self.catalog, ids, clock, settings.payment_modes,
                                 addresses=self.addresses)
        self.vouchers = VoucherCarts(state, self.voucher_catalog)
        # The clock's setting and the fault rules live in the state; draws follow the catalog's seed.
        self.controls = Controls(state, clock, settings.seed, settings.max_fault_rules, self.start_rules)

    async def reset(self) -> None:
        """Forget every cart, order and change to offers, addresses and configurations (ids go on)."""
        await self.state.clear()

    async def follow(self) -> None:
        """A shared state: serve the catalog it names (the first process to come names it: its own) with the
        ids key it keeps, and take its generation, so that this process's reads go on. Run at start and
        whenever another process emptied or replaced the state (StateMoved)."""
        if not self.shared:
            return
        storage = cast(SharedStorage, self.storage)
        catalog, ids_key, generation = await storage.join(self.catalog_identity(), self.ids.key_hex())
        if not self._joined:
            self.ids.share(ids_key, await storage.next_number("id_streams") if self.ids.seed is not None else 0)
            self._joined = True
        if catalog != self.catalog_identity():
            settings = (self.settings.replace(catalog_file=Path(catalog["file"])) if "file" in catalog
                        else self.reseed_settings(catalog["seed"], catalog["size"]))
            self.install(await asyncio.to_thread(catalog_bundle, settings))
        storage.generation = generation

    def reseed_settings(self, seed: int, size: int) -> Settings:
        """The settings a reseed to ``seed`` and ``size`` serves with (build its bundle with ``catalog_bundle``)."""
        return self.settings.replace(seed=seed, catalog_size=size, catalog_file=None)

    async def reseed(self, bundle: CatalogBundle) -> None:
        """Serve a new catalog and its offers, with nothing remembered (carts name the old catalog's articles)."""
        await self.state.clear(catalog=_identity(bundle.settings))
        self.install(bundle)   # right after: nothing runs in between on this process

    # ------------------------------------------------------------------ snapshots
    def catalog_identity(self) -> dict:
        """Which catalog the state belongs to."""
        return _identity(self.settings)

    async def export(self) -> dict:
        """The whole state as one JSON document (``domain/storage.py``'s format, with the catalog it belongs to
        and where a seeded id sequence is)."""
        document = await self.state.export()
        document["catalog"] = self.catalog_identity()
        document["ids"] = self.ids.state()
        return document

    async def restore(self, document: dict, follow_catalog: bool = False) -> None:
        """Replace the whole state with an ``export``'s document: checked first (a bad one changes nothing).
        ``follow_catalog``: a snapshot of another generated catalog (the sandbox was reseeded before it was
        taken) reseeds to that catalog first, as a restart with the state file must."""
        catalog = document.get("catalog") if isinstance(document, dict) else None
        if (follow_catalog and isinstance(catalog, dict) and set(catalog) == {"seed", "size"}
                and catalog != self.catalog_identity()):
            bundle = catalog_bundle(self.reseed_settings(catalog["seed"], catalog["size"]))
            await self.state.restore(document)   # checked, and in place, before the catalog moves
            self.install(bundle)
            self._resume_ids(document)
            return
        if catalog is not None and catalog != self.catalog_identity():
            raise InvalidValue(f"catalog: the state belongs to catalog {catalog}; this sandbox serves "
                               f"{self.catalog_identity()} (reseed it first)", field="catalog", value=catalog)
        await self.state.restore(document)
        self._resume_ids(document)

    def _resume_ids(self, document: dict) -> None:
        # A shared state's processes each draw from a sequence of their own: none takes over another's.
        if not self.shared:
            self.ids.resume(document.get("ids"))
