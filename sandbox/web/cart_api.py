"""Handlers of the Fynd cart operations, by operationId: unpack, call the domain, serialise."""

from __future__ import annotations

from .. import _sandbox
from ..domain.cart import ItemRequest, LineUpdate
from ..domain.fields import when
from . import serialise as out
from .inputs import cart_meta

ADD_EXTRAS = {"meta": "meta", "extra_meta": "extra_meta", "_custom_json": "custom_json",
              "parent_item_identifiers": "parent_item_identifiers", "product_group_tags": "product_group_tags",
              "display": "display"}
UPDATE_EXTRAS = {k: v for k, v in ADD_EXTRAS.items() if k in ("meta", "extra_meta", "_custom_json",
                                                                "parent_item_identifiers")}


def item_request(i: int, item: dict) -> ItemRequest:
    extras = {ADD_EXTRAS[k]: v for k, v in item.items() if k in ADD_EXTRAS}
    if isinstance(extras.get("parent_item_identifiers"), list):  # the add body documents a list of objects
        extras["parent_item_identifiers"] = {k: v for d in extras["parent_item_identifiers"] for k, v in d.items()}
    return ItemRequest(where=f"items[{i}]", item_id=item.get("item_id"), size=item.get("item_size"),
                       quantity=item.get("quantity", 1), store_id=item.get("store_id"),
                       seller_id=item.get("seller_id"), article_id=item.get("article_id"), extras=extras)


def line_update(i: int, item: dict) -> LineUpdate:
    return LineUpdate(where=f"items[{i}]", identifier=item["identifiers"].get("identifier", ""),
                      quantity=item.get("quantity"), size=item.get("item_size"),
                      extras={UPDATE_EXTRAS[k]: v for k, v in item.items() if k in UPDATE_EXTRAS})


class CartApi:
    """The cart operations of one sandbox."""

    def __init__(self, sandbox: _sandbox.Sandbox) -> None:
        self.sandbox = sandbox

    async def getCart(self, company_id, application_id, id_=None, user_id=None, order_type=None, i=True, b=False,
                      assign_card_id=None, buy_now=False):
        s, scope = self.sandbox, (company_id, application_id)
        cart = await s.carts.find(scope, id_, user_id, buy_now)
        priced, promise = await s.cart_addresses.priced_with_promise(cart, order_type)
        body = {**out.cart(priced, s.catalog, items=i, breakup=b), "delivery_promise": out.promise(promise)}
        return out.without_none(body), 200

    async def platformAddItems(self, company_id, application_id, body, i=True, b=False, buy_now=False,
                               order_type=None, id_=None):
        s = self.sandbox
        items = [item_request(n, item) for n, item in enumerate(body.get("items", []))]
        result = await s.carts.add((company_id, application_id), id_, body.get("user_id"), buy_now, items, order_type,
                                   new_cart=body.get("new_cart", False))
        return out.change(result, s.catalog, i, b, with_partial=True), 200

    async def platformUpdateCart(self, company_id, application_id, body, id_=None, i=True, order_type=None,
                                 b=False, buy_now=False):
        s = self.sandbox
        updates = [line_update(n, item) for n, item in enumerate(body.get("items", []))]
        result = await s.carts.update((company_id, application_id), id_, body.get("user_id"), buy_now,
                                      body["operation"], updates, order_type)
        return out.change(result, s.catalog, i, b, with_partial=False), 200

    async def getItemCount(self, company_id, application_id, id_=None, buy_now=False):
        cart = await self.sandbox.carts.require((company_id, application_id), id_, buy_now)
        return {"user_cart_items_count": self.sandbox.carts.count(cart)}, 200

    async def deleteCart(self, company_id, application_id, body=None, id_=None):
        ids = ([id_] if id_ else []) + list((body or {}).get("cart_id_list", []))
        removed = await self.sandbox.carts.archive((company_id, application_id), ids)
        return {"success": True, "message": f"{removed} cart(s) archived"}, 200

    async def getCartList(self, company_id, application_id, from_date=None, to_date=None, filter_on=None):
        s = self.sandbox
        carts = await s.carts.list_carts((company_id, application_id), when(from_date, "from_date"),
                                         when(to_date, "to_date"), filter_on)
        data = [out.cart_list_entry(c, priced, s.catalog, s.carts.count(c)) for c, priced in carts]
        return {"success": True, "data": data}, 200

    async def updateCartUser(self, company_id, application_id, body, id_=None):
        s = self.sandbox
        cart = await s.carts.move_to_user((company_id, application_id), id_, body["user_id"])
        body = out.cart(await s.carts.priced(cart), s.catalog, items=True, breakup=True)
        return {**body, "user": {"_id": cart.user_id, "uid": cart.user_id}}, 200

    async def updateCartMeta(self, company_id, application_id, body, id_=None, buy_now=False):
        await self.sandbox.carts.update_meta((company_id, application_id), id_, buy_now, cart_meta(body))
        return {"is_valid": True, "message": "cart meta updated"}, 200

    async def fetchAndValidateCartItems(self, company_id, application_id, body):
        items = [(c["product_id"], c["size"], c.get("quantity", 1)) for c in body["cart_items"]]
        q = await self.sandbox.carts.quote((company_id, application_id), items)
        return out.quote(q, self.sandbox.catalog, with_promise=False), 200

    async def checkCartServiceability(self, company_id, application_id, body):
        items = [(c["product_id"], c["size"], c.get("quantity", 1)) for c in body["cart_items"]]
        q = await self.sandbox.carts.quote((company_id, application_id), items,
                                           body["shipping_address"]["area_code"])
        return out.quote(q, self.sandbox.catalog, with_promise=True), 200

    async def getAvailableDeliveryModes(self, company_id, application_id, area_code, id_=None):
        modes = await self.sandbox.carts.delivery_modes((company_id, application_id), area_code, id_)
        return out.delivery_modes(modes), 200

    async def getStoreAddressByUid(self, company_id, application_id, store_uid):
        return {"items": [out.store(self.sandbox.carts.store_details(store_uid))]}, 200
