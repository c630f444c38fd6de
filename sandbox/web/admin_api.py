"""Handlers of the sandbox-only admin API (``sandbox/admin.yaml``)."""

from __future__ import annotations

import asyncio
import gc
from typing import Callable

from .. import _sandbox
from ..domain.catalog import Article, Catalog
from .memo import BUDGET


def catalog_listing(c: Catalog, stock_of: Callable[[Article], int] | None = None) -> dict:
    """The catalog re-grouped for people choosing what to add: product → size → store; ``stock_of`` gives
    the stock shown (default: the catalog's)."""
    products = []
    for p in c.products:
        sizes = {size: [] for size in p.sizes}
        for size in p.sizes:
            for a in c.articles_for(p.uid, size):
                sizes[size].append({"store_id": a.store_uid, "seller_id": a.seller_uid, "article_id": a.article_id,
                                    "marked": float(a.marked), "effective": float(a.effective),
                                     "stock": a.stock if stock_of is None else stock_of(a)})
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

    async def _health(self) -> dict:
        s = self.sandbox
        return {"status": "ok", "seed": s.catalog.seed, "products": len(s.catalog.products),
                "articles": len(s.catalog.articles), "carts": await s.state.cart_total(),
                "catalog_file": str(s.settings.catalog_file) if s.settings.catalog_file else None}

    async def health(self):
        return await self._health(), 200

    async def reset(self):
        await self.sandbox.reset()
        BUDGET.clear_all()   # what was remembered about requests goes with the state
        gc.collect()  # `cartwright serve` runs full collections only here (see _cli.quiet_collector)
        return await self._health(), 200

    async def reseed(self, body):
        settings = self.sandbox.reseed_settings(body["seed"], body.get("size", self.sandbox.settings.catalog_size))
        # Generating a large catalog takes seconds: in a thread, so other clients are served meanwhile.
        await self.sandbox.reseed(await asyncio.to_thread(_sandbox.catalog_bundle, settings))
        BUDGET.clear_all()
        gc.collect()
        return await self._health(), 200

    async def catalog(self, company_id=None):
        taken = await self.sandbox.state.stock.taken(company_id) if company_id is not None else None
        listing = catalog_listing(self.sandbox.catalog, None if taken is None else
                                  (lambda a: a.stock - taken.get(a.article_id, 0)))
        listing["company_id"] = company_id
        listing["vouchers"] = [
            {"productCatalogId": e.id, "name": e.name,
             "productConfigs": [{"productConfigId": c.id, "mrp": c.mrp, "sellRate": c.sell_rate,
                                 "maxQuantity": c.max_quantity} for c in e.configs]}
            for e in self.sandbox.voucher_catalog.values()]
        return listing, 200

    async def exportState(self):
        return await self.sandbox.export(), 200

    async def importState(self, body):
        await self.sandbox.restore(body)
        BUDGET.clear_all()
        return await self._health(), 200
