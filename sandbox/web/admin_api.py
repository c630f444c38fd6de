"""Handlers of the sandbox-only admin API (``sandbox/admin.yaml``)."""

from __future__ import annotations

import gc

from .. import _sandbox
from ..domain.catalog import Catalog


def catalog_listing(c: Catalog) -> dict:
    """The catalog re-grouped for people choosing what to add: product → size → store."""
    products = []
    for p in c.products:
        sizes = {size: [] for size in p.sizes}
        for size in p.sizes:
            for a in c.articles_for(p.uid, size):
                sizes[size].append({"store_id": a.store_uid, "seller_id": a.seller_uid, "article_id": a.article_id,
                                    "marked": float(a.marked), "effective": float(a.effective), "stock": a.stock})
        products.append({"item_id": p.uid, "name": p.name, "brand": c.brand(p.brand_uid).name,
                         "sizes": [{"size": s, "articles": arts} for s, arts in sizes.items()]})
    return {
        "seed": c.seed,
        "products": products,
        "stores": [{"store_id": s.uid, "name": s.name, "city": s.city, "pincode": s.pincode} for s in c.stores],
        "pincodes": [{"pincode": p.pincode, "city": p.city, "serviceable": p.serviceable, "cod": p.cod,
                      "promise_days": [p.promise_min_days, p.promise_max_days]} for p in c.pincodes],
    }


class AdminApi:
    def __init__(self, sandbox: _sandbox.Sandbox) -> None:
        self.sandbox = sandbox

    def _health(self) -> dict:
        s = self.sandbox
        carts = sum(1 for scope in s.store.scopes() for _ in s.store.carts(scope))
        return {"status": "ok", "seed": s.catalog.seed, "products": len(s.catalog.products),
                "articles": len(s.catalog.articles), "carts": carts,
                "catalog_file": str(s.settings.catalog_file) if s.settings.catalog_file else None}

    async def health(self):
        return self._health(), 200

    async def reset(self):
        self.sandbox.reset()
        gc.collect()  # `cartwright serve` runs full collections only here (see _cli.quiet_collector)
        return self._health(), 200

    async def reseed(self, body):
        self.sandbox.reseed(body["seed"], body.get("size", self.sandbox.settings.catalog_size))
        gc.collect()
        return self._health(), 200

    async def catalog(self):
        listing = catalog_listing(self.sandbox.catalog)
        taken = self.sandbox.store.taken  # stock is what is still for sale: checkouts take theirs
        for article in (a for p in listing["products"] for s in p["sizes"] for a in s["articles"]):
            article["stock"] -= taken(article["article_id"])
        listing["vouchers"] = [
            {"productCatalogId": e.id, "name": e.name,
             "productConfigs": [{"productConfigId": c.id, "mrp": c.mrp, "sellRate": c.sell_rate,
                                 "maxQuantity": c.max_quantity} for c in e.configs]}
            for e in self.sandbox.voucher_catalog.values()]
        return listing, 200
