"""Handlers of sharing, abandoned-cart and cart-configuration operations, by operationId."""

from __future__ import annotations

from .. import _sandbox
from ..domain.errors import InvalidValue
from ..domain.fields import when
from . import journey_serialise as jout, serialise as out
from .cart_api import item_request, line_update
from .inputs import cart_config

API_BASE = "/service/platform/cart/v1.0/company/{}/application/{}"


def plain(value, where: str = "body"):
    """``value``, unless it holds a number no JSON answer can carry back (beyond 64 bits): 400 naming it."""
    if isinstance(value, dict):
        for k, v in value.items():
            plain(v, f"{where}.{k}" if where != "body" else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            plain(v, f"{where}[{i}]")
    elif isinstance(value, int) and not -2**63 <= value < 2**64:
        raise InvalidValue(f"{where}: {value} is too large a number", field=where, value=value)
    return value


class JourneyApi:
    """Sharing, abandoned carts and cart configuration of one sandbox."""

    def __init__(self, sandbox: _sandbox.Sandbox) -> None:
        self.sandbox = sandbox

    # ------------------------------------------------------------------ sharing
    async def getCartShareLink(self, company_id, application_id, body):
        s = self.sandbox
        share = await s.sharing.share((company_id, application_id), body.get("id"), plain(body.get("meta"), "meta"))
        base = f"http://{s.settings.host}:{s.settings.port}" + API_BASE.format(company_id, application_id)
        return jout.share_link(share, base), 200

    async def getCartSharedItems(self, company_id, application_id, token):
        s = self.sandbox
        share, cart = await s.sharing.read((company_id, application_id), token)
        return jout.shared_cart(share, await s.carts.priced(cart), s.catalog), 200

    async def updateCartWithSharedItems(self, company_id, application_id, token, action, cart_id=None):
        s = self.sandbox
        share, result = await s.sharing.apply((company_id, application_id), token, action, cart_id)
        error = "; ".join(o.message for o in result.outcomes if not o.success)
        return jout.shared_cart(share, result.priced, s.catalog, error), 200

    # ------------------------------------------------------------------ abandoned carts
    async def getAbandonedCart(self, company_id, application_id, page_no=0, page_size=10, from_date=None,
                               to_date=None, anonymous_cart=None, last_id=None, sort_on=None):
        s, scope = self.sandbox, (company_id, application_id)
        page = await s.abandoned.list(scope, page_no, page_size, when(from_date, "from_date"),
                                      when(to_date, "to_date"), anonymous_cart, last_id, sort_on)
        actives = [await s.abandoned.is_active(c) for c, _ in page.carts]
        return jout.abandoned_list(page, actives), 200

    async def getAbandonedCartDetails(self, company_id, application_id, id_=None, i=True, b=False, c=False):
        s = self.sandbox
        cart = await s.abandoned.cart((company_id, application_id), id_, field="id")
        return out.cart(await s.carts.priced(cart), s.catalog, items=i, breakup=b), 200

    async def addItems(self, company_id, application_id, cart_id, body, b=False):
        s = self.sandbox
        items = [item_request(n, item) for n, item in enumerate(plain(body.get("items", []), "items"))]
        result = await s.abandoned.add((company_id, application_id), cart_id, items, body.get("new_cart", False))
        return out.change(result, s.catalog, True, b, with_partial=True), 200

    async def updateCart(self, company_id, application_id, cart_id, body, b=False):
        s = self.sandbox
        updates = [line_update(n, item) for n, item in enumerate(plain(body.get("items", []), "items"))]
        result = await s.abandoned.update((company_id, application_id), cart_id, body["operation"], updates)
        return out.change(result, s.catalog, True, b, with_partial=False), 200

    # ------------------------------------------------------------------ cart configuration
    async def fetchCartMetaConfig(self, company_id, application_id):
        return jout.cart_config(await self.sandbox.cart_config.get((company_id, application_id))), 200

    async def createCartMetaConfig(self, company_id, application_id, body):
        return jout.cart_config(await self.sandbox.cart_config.create((company_id, application_id), cart_config(body))), 201

    async def updateCartMetaConfig(self, company_id, application_id, cart_meta_id, body):
        config = await self.sandbox.cart_config.update((company_id, application_id), cart_meta_id, cart_config(body))
        return jout.cart_config(config), 200
