"""Handlers of the address, select-address and shipment operations, by operationId."""

from __future__ import annotations

from .. import _sandbox
from ..domain.addresses import AddressFilter, ShipmentChange
from ..domain.errors import InvalidValue, NotFound
from . import address_serialise as out, inputs


class AddressApi:
    """The address and shipment operations of one sandbox."""

    def __init__(self, sandbox: _sandbox.Sandbox) -> None:
        self.sandbox = sandbox

    async def _user(self, scope, user_id, cart_id):
        """``user_id``, else the user of the cart ``cart_id`` (which must exist)."""
        cart = await self.sandbox.cart_addresses.cart_named(scope, cart_id) if cart_id else None
        if cart is not None and user_id and cart.user_id != user_id:
            raise InvalidValue(f"cart_id: cart {cart_id} is not user {user_id}'s", field="cart_id", value=cart_id)
        user = user_id or (cart.user_id if cart else None)
        if not user:
            raise InvalidValue("user_id (or the cart_id of a user's cart) is required", field="user_id")
        return user

    async def getAddresses(self, company_id, application_id, cart_id=None, buy_now=False, mobile_no=None,
                           checkout_mode=None, tags=None, is_default=None, user_id=None):
        scope, book = (company_id, application_id), self.sandbox.addresses
        user = await self._user(scope, user_id, cart_id)
        found = await book.find(scope, user, AddressFilter(mobile_no, checkout_mode or "self", tags, is_default))
        return out.address_list(found, len(await book.of_user(scope, user))), 200

    async def addAddress(self, company_id, application_id, body):
        doc = await self.sandbox.addresses.add((company_id, application_id), inputs.address(body))
        return {"id": doc["id"], "success": True, "is_default_address": doc["is_default_address"]}, 200

    async def getAddressById(self, company_id, application_id, id_, cart_id=None, buy_now=False, mobile_no=None,
                             checkout_mode=None, tags=None, is_default=None, user_id=None):
        scope = (company_id, application_id)
        user = await self._user(scope, user_id, cart_id) if (user_id or cart_id) else None
        return await self.sandbox.addresses.get(scope, id_, user), 200

    async def updateAddress(self, company_id, application_id, id_, body):
        doc = await self.sandbox.addresses.update((company_id, application_id), id_, inputs.address(body))
        return {"id": doc["id"], "is_default_address": doc["is_default_address"], "success": True,
                "is_updated": True}, 201

    async def removeAddress(self, company_id, application_id, id_, user_id=None):
        await self.sandbox.addresses.remove((company_id, application_id), id_, user_id)
        return {"id": id_, "is_deleted": True}, 201

    async def selectAddress(self, company_id, application_id, body, cart_id=None, buy_now=False, i=True, b=False):
        s = self.sandbox
        chosen = await s.cart_addresses.select((company_id, application_id), inputs.address_choice(body), cart_id, buy_now)
        return out.selection(chosen, s.catalog, i, b), 201

    async def getShipments(self, company_id, application_id, pick_at_store_uid=None, ordering_store_id=None,
                           i=True, p=False, id_=None, address_id=None, area_code=None, order_type=None):
        s = self.sandbox
        cart = await s.carts.require((company_id, application_id), id_)
        for name, uid in (("pick_at_store_uid", pick_at_store_uid), ("ordering_store_id", ordering_store_id)):
            if uid is not None and s.catalog.store(uid) is None:
                raise NotFound(f"{name}: no store {uid}", field=name, value=uid)
        found = await s.cart_addresses.shipments(cart, order_type, area_code, address_id)
        return out.shipments(found, s.catalog, i), 200

    async def updateShipments(self, company_id, application_id, body, i=True, p=False, id_=None, address_id=None,
                              area_code=None, order_type=None):
        s = self.sandbox
        changes = [ShipmentChange(f"shipments[{n}]", c["article_uid"], c["shipment_type"], c.get("quantity"))
                   for n, c in enumerate(body["shipments"])]
        found = await s.cart_addresses.update_shipments((company_id, application_id), id_, changes, order_type,
                                                        area_code, address_id)
        return out.shipments(found, s.catalog, i), 200
