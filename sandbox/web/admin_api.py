"""Handlers of the sandbox-only admin API (``sandbox/admin.yaml``)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Collection

from .. import _sandbox
from ..domain import faults
from ..domain.catalog import Article, Catalog
from ..domain.controls import duration
from ..domain.fields import when
from ..domain.journal import RequestQuery, shown
from ..domain.moments import iso
from ..domain.runtime import Clock
from .memo import BUDGET


def catalog_listing(c: Catalog, stock_of: Callable[[Article], int] | None = None) -> dict:
    """The catalog re-grouped for people choosing what to add: product → size → store; ``stock_of`` gives
    the stock shown (default: the catalog's)."""
    products = []
    for p in c.products:
        sizes: dict[str, list[dict]] = {size: [] for size in p.sizes}
        for size in p.sizes:
            for a in c.articles_for(p.uid, size):
                sizes[size].append({"store_id": a.store_uid, "seller_id": a.seller_uid, "article_id": a.article_id,
                                    "marked": float(a.marked), "effective": float(a.effective),
                                     "stock": a.stock if stock_of is None else stock_of(a)})
        products.append({"item_id": p.uid, "name": p.name, "brand": c.known_brand(p.brand_uid).name,
                         "sizes": [{"size": s, "articles": arts} for s, arts in sizes.items()]})
    return {
        "seed": c.seed,
        "products": products,
        "stores": [{"store_id": s.uid, "name": s.name, "city": s.city, "pincode": s.pincode} for s in c.stores],
        "pincodes": [{"pincode": p.pincode, "city": p.city, "serviceable": p.serviceable, "cod": p.cod,
                      "promise_days": [p.promise_min_days, p.promise_max_days]} for p in c.pincodes],
    }


def clock_view(clock: Clock) -> dict:
    setting, wall = clock.setting, clock.wall()
    return {"now": iso(setting.now(wall)), "frozen": setting.frozen_at is not None,
            "offset_seconds": None if setting.frozen_at is not None else setting.offset.total_seconds(),
            "wall_clock": iso(wall), "moved": setting != clock.start}


def rule_view(rule: faults.FaultRule, matched: int = 0) -> dict:
    """A rule as it was given (what it does not do is left out), with the requests it has matched."""
    view: dict = {"id": rule.id, "operation_id": rule.operation_id}
    if rule.latency_ms is not None:
        low, high = rule.latency_ms
        view["latency_ms"] = low if low == high else [low, high]
    if rule.status is not None:
        view["status"] = rule.status
    if rule.drop:
        view["drop"] = True
    view["probability"] = rule.probability
    if rule.times is not None:
        view["times"] = rule.times
    view["matched"] = matched
    return view


class AdminApi:
    def __init__(self, sandbox: _sandbox.Sandbox, operations: Collection[str] = ()) -> None:
        self.sandbox = sandbox
        self.operations = frozenset(operations)   # the API's operation ids (fault rules name one)

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

    # ------------------------------------------------------------------ the clock
    async def getClock(self):
        await self.sandbox.controls.refresh()
        return clock_view(self.sandbox.clock), 200

    async def setClock(self, body):
        await self.sandbox.controls.move_clock(
            to=when(body.get("now"), "now"),
            by=duration(body["advance"]) if body.get("advance") is not None else None, frozen=body.get("frozen"))
        return clock_view(self.sandbox.clock), 200

    async def resetClock(self):
        await self.sandbox.controls.reset_clock()
        return clock_view(self.sandbox.clock), 200

    # ------------------------------------------------------------------ faults
    async def listFaultRules(self):
        return {"rules": [rule_view(r, n) for r, n in await self.sandbox.controls.listed()]}, 200

    async def addFaultRule(self, body):
        return rule_view(await self.sandbox.controls.add_rule(body, self.operations)), 201

    async def removeFaultRule(self, rule_id):
        await self.sandbox.controls.remove_rule(rule_id)
        return await self.listFaultRules()

    async def clearFaultRules(self):
        await self.sandbox.controls.clear_rules()
        return {"rules": []}, 200

    async def businessFaults(self):
        return {"faults": [{"name": f.name, "description": f.description, "operations": list(f.operations)}
                           for f in faults.BUSINESS_FAULTS.values()]}, 200

    # ------------------------------------------------------------------ the request journal
    async def listRequests(self, operation_id=None, method=None, path=None, status=None, since=None, until=None,
                           limit=100):
        query = RequestQuery.of(operation_id, method, path, status, since, until)
        matching = query.select(await self.sandbox.state.journal())
        return {"count": len(matching), "requests": [shown(e) for e in matching[:limit]]}, 200

    async def countRequests(self, operation_id=None, method=None, path=None, status=None, since=None, until=None):
        query = RequestQuery.of(operation_id, method, path, status, since, until)
        return {"count": len(query.select(await self.sandbox.state.journal()))}, 200

    async def clearRequests(self):
        await self.sandbox.state.clear_journal()
        return {"count": 0}, 200
