"""One running sandbox's state: settings, catalog, offers, store and the services over them. No HTTP here."""

from __future__ import annotations

from datetime import timedelta

from .catalog_file import generated_catalog, read_catalog_file
from .domain.addresses import AddressBook, CartAddresses
from .domain.abandoned import AbandonedCarts
from .domain.adjustments import Adjustments
from .domain.cart import CartService
from .domain.cart_config import CartConfigs
from .domain.cart_offers import CartOffers, OfferIndex
from .domain.checkout import Checkout
from .domain.vouchers import VoucherCarts, voucher_catalog
from .domain.catalog import Catalog
from .domain.offer_book import OfferBook
from .domain.runtime import Clock, Ids
from .domain.sharing import Sharing
from .domain.store import CartStore, MemoryStore
from ._settings import Settings


class Sandbox:
    """What ``create_app`` builds and the HTTP layer reaches through ``app.sandbox``."""

    def __init__(self, settings: Settings, store: CartStore | None = None) -> None:
        self.settings = settings
        self.store = store if store is not None else MemoryStore()
        self.clock = Clock(settings.frozen_time)
        self._load_catalog(settings.seed, settings.catalog_size)
        self.reset()

    def _load_catalog(self, seed: int, size: int) -> None:
        if self.settings.catalog_file is not None:
            data = read_catalog_file(self.settings.catalog_file)
        else:
            data = generated_catalog(seed, size)
        from .fixturegen.offers import offers_from_seed  # the default offers are made for the catalog

        self.catalog = Catalog.from_dict(data)
        from .fixturegen.vouchers import generate_vouchers

        self.voucher_catalog = voucher_catalog(generate_vouchers(seed))
        self.default_offers = (offers_from_seed(data, seed) if self.settings.default_offers
                               else {"coupons": [], "promotions": []})

    def reset(self) -> None:
        """Forget every cart and every change to coupons and promotions; fresh ids start again."""
        self.store.clear()
        self.ids = Ids(self.settings.id_seed)
        self.offers = OfferBook(self.clock, self.ids, self.default_offers["coupons"],
                                self.default_offers["promotions"])
        self.carts = CartService(self.catalog, self.store, self.ids, self.clock, self.settings.delivery_rules,
                                 OfferIndex(self.offers))
        self.cart_offers = CartOffers(self.carts)
        self.adjustments = Adjustments(self.carts)
        self.sharing = Sharing(self.carts)
        self.abandoned = AbandonedCarts(self.carts, timedelta(minutes=self.settings.abandoned_after_minutes))
        self.cart_config = CartConfigs(self.carts)
        self.carts.limits = self.cart_config   # cart configuration: limits and delivery rules per application
        self.addresses = AddressBook(self.ids)
        self.cart_addresses = CartAddresses(self.carts, self.addresses)
        self.carts.cod_charge = self.settings.cod_charge
        self.checkout = Checkout(self.carts, self.settings.payment_modes, addresses=self.addresses,
                                 checkout_problems=self.cart_config.checkout_problems)
        self.vouchers = VoucherCarts(self.voucher_catalog)

    def reseed(self, seed: int, size: int) -> None:
        """A new generated catalog and its offers (and no carts, since their articles may be gone)."""
        self.settings = self.settings.replace(seed=seed, catalog_size=size, catalog_file=None)
        self._load_catalog(seed, size)
        self.reset()
