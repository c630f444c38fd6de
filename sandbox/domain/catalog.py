"""The catalog the sandbox sells from: products, articles, stores, sellers, PIN codes.

A catalog is immutable once built. ``Catalog.from_dict`` turns the documented
file format (see README, "Catalog files") into objects; it assumes the data
has passed ``sandbox.catalog_file.validate`` and only builds indexes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from .errors import CatalogError
from .money import money

T = TypeVar("T")

FORMAT = "cartwright.catalog/1"


@dataclass(frozen=True)
class Seller:
    uid: int
    name: str


@dataclass(frozen=True)
class Brand:
    uid: int
    name: str


@dataclass(frozen=True)
class Category:
    uid: int
    name: str


@dataclass(frozen=True)
class Store:
    uid: int
    name: str
    store_code: str
    seller_uid: int
    address: str
    area: str
    landmark: str
    city: str
    state: str
    country: str
    pincode: str
    latitude: Decimal
    longitude: Decimal
    phone: str
    email: str
    manager_name: str


@dataclass(frozen=True)
class Product:
    uid: int
    name: str
    slug: str
    item_code: str
    brand_uid: int
    category_uids: tuple[int, ...]
    images: tuple[str, ...]
    sizes: tuple[str, ...]
    gst_percent: Decimal
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    """One size of one product, sold by one seller from one store."""

    article_id: str
    item_id: int
    size: str
    store_uid: int
    seller_uid: int
    seller_identifier: str
    marked: Decimal
    effective: Decimal
    stock: int


@dataclass(frozen=True)
class PinCode:
    pincode: str
    city: str
    state: str
    serviceable: bool
    cod: bool
    promise_min_days: int
    promise_max_days: int


@dataclass(frozen=True)
class Catalog:
    seed: int | None
    currency_code: str
    currency_symbol: str
    sellers: tuple[Seller, ...]
    brands: tuple[Brand, ...]
    categories: tuple[Category, ...]
    stores: tuple[Store, ...]
    products: tuple[Product, ...]
    articles: tuple[Article, ...]
    pincodes: tuple[PinCode, ...]
    _index: dict[str, dict] = field(default_factory=dict, repr=False, compare=False)
    _derived: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_item_size: dict[tuple[int, str], list[Article]] = {}
        for a in self.articles:
            by_item_size.setdefault((a.item_id, a.size), []).append(a)
        self._index.update(
            seller={s.uid: s for s in self.sellers},
            brand={b.uid: b for b in self.brands},
            category={c.uid: c for c in self.categories},
            store={s.uid: s for s in self.stores},
            product={p.uid: p for p in self.products},
            article={a.article_id: a for a in self.articles},
            item_size=by_item_size,
            pincode={p.pincode: p for p in self.pincodes},
        )

    # Lookups return None when absent; the domain decides what absence means.
    def seller(self, uid: int) -> Seller | None:
        return self._index["seller"].get(uid)

    def brand(self, uid: int) -> Brand | None:
        return self._index["brand"].get(uid)

    def category(self, uid: int) -> Category | None:
        return self._index["category"].get(uid)

    def store(self, uid: int) -> Store | None:
        return self._index["store"].get(uid)

    def product(self, uid: int) -> Product | None:
        return self._index["product"].get(uid)

    def article(self, article_id: str) -> Article | None:
        return self._index["article"].get(article_id)

    # The same for what the catalog itself refers to (a product's brand, an article's store...) or a stored
    # cart line names: present in any catalog that was read (its references are checked then), so absence
    # is a broken catalog, not a client's mistake.
    def known_seller(self, uid: int) -> Seller:
        return _known(self.seller(uid), "seller", uid)

    def known_brand(self, uid: int) -> Brand:
        return _known(self.brand(uid), "brand", uid)

    def known_category(self, uid: int) -> Category:
        return _known(self.category(uid), "category", uid)

    def known_store(self, uid: int) -> Store:
        return _known(self.store(uid), "store", uid)

    def known_product(self, uid: int) -> Product:
        return _known(self.product(uid), "product", uid)

    def known_article(self, article_id: str) -> Article:
        return _known(self.article(article_id), "article", article_id)

    def articles_for(self, item_id: int, size: str) -> list[Article]:
        """Every store's article of one product size, in catalog order."""
        return self._index["item_size"].get((item_id, size), [])

    def article_at(self, item_id: int, size: str, store_uid: int) -> Article | None:
        """The article of one product size that ``store_uid`` sells, if it sells it."""
        return next((a for a in self.articles_for(item_id, size) if a.store_uid == store_uid), None)

    def pincode(self, code: str) -> PinCode | None:
        """The catalog's entry for ``code``, else (a well-formed code it does not list) one derived from the
        code and the stores (``pincodes.derived_pincode``); None for anything else."""
        pin = self._index["pincode"].get(code)
        if pin is None:
            from .pincodes import derived_pincode  # it builds PinCodes: imported here, not at the top

            pin = derived_pincode(code, self.stores)
        return pin

    def derived(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """``make()``, computed once per ``key`` for this catalog (which never changes): for callers
        that derive the same value from it again and again, e.g. the catalog parts of every answer."""
        try:
            return self._derived[key]
        except KeyError:
            value = self._derived[key] = make()
            return value

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Catalog:
        """Build from the file format; the data is assumed already validated."""
        return cls(
            seed=data.get("seed"),
            currency_code=data["currency"]["code"],
            currency_symbol=data["currency"]["symbol"],
            sellers=tuple(Seller(**s) for s in data["sellers"]),
            brands=tuple(Brand(**b) for b in data["brands"]),
            categories=tuple(Category(**c) for c in data["categories"]),
            stores=tuple(
                Store(**{**s, "latitude": Decimal(str(s["latitude"])), "longitude": Decimal(str(s["longitude"]))})
                for s in data["stores"]
            ),
            products=tuple(
                Product(**{**p, "category_uids": tuple(p["category_uids"]), "images": tuple(p["images"]),
                           "sizes": tuple(p["sizes"]), "tags": tuple(p.get("tags", ())),
                           "gst_percent": Decimal(str(p["gst_percent"]))})
                for p in data["products"]
            ),
            articles=tuple(
                Article(**{**a, "marked": money(str(a["marked"])), "effective": money(str(a["effective"]))})
                for a in data["articles"]
            ),
            pincodes=tuple(PinCode(**p) for p in data["pincodes"]),
        )


def _known(found: T | None, kind: str, key: object) -> T:
    if found is None:
        raise CatalogError(f"the catalog has no {kind} {key}, which it refers to", field=kind, value=key)
    return found
