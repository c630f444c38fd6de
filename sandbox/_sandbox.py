"""One running sandbox's state: settings, catalog, offers, store and the services over them. No HTTP here."""

from __future__ import annotations

from dataclasses import dataclass
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
from .domain.errors import InvalidValue
from .domain.offer_book import OfferBook
from .domain.runtime import Clock, Ids
from .domain.sharing import Sharing
from .domain.store import CartStore, MemoryStore
from ._settings import Settings


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


class Sandbox:
    """What ``create_app`` builds and the HTTP layer reaches through ``app.sandbox``."""

    def __init__(self, settings: Settings, store: CartStore | None = None) -> None:
        self.store = store if store is not None else MemoryStore(settings.fresh_carts_remembered)
        self.clock = Clock(settings.frozen_time)
        self.install(catalog_bundle(settings))

    def install(self, bundle: CatalogBundle) -> None:
        """Serve ``bundle``'s catalog, with no carts (their articles may be gone)."""
        self.settings = bundle.settings
        self.catalog = bundle.catalog
        self.voucher_catalog = bundle.voucher_catalog
        self.default_offers = bundle.default_offers
        self.reset()

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

    def reseed_settings(self, seed: int, size: int) -> Settings:
        """The settings a reseed to ``seed`` and ``size`` serves with (build its bundle with ``catalog_bundle``)."""
        return self.settings.replace(seed=seed, catalog_size=size, catalog_file=None)

    def reseed(self, seed: int, size: int) -> None:
        """A new generated catalog and its offers (and no carts, since their articles may be gone)."""
        self.install(catalog_bundle(self.reseed_settings(seed, size)))
