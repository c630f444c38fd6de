"""Handlers of payment-mode selection and checkout (v1 open-API, v2 cart, override)."""

from __future__ import annotations

from .. import _sandbox
from ..domain.checkout import Order
from . import inputs, serialise as out


def checked_cart(order: Order, sandbox) -> dict:
    """``CheckCart``: the closed cart as ``CartDetailResult`` shows it, with the order's fields."""
    priced = order.priced
    assert priced is not None, "a cart's checkout answers with the cart priced"   # None only for checkout_items
    body = out.cart(priced, sandbox.catalog, items=True, breakup=True)
    return {**body, "order_id": order.order_id, "cod_charges": out.number(priced.breakup.cod_charge),
            "delivery_charges": out.number(priced.breakup.delivery_charge),
            "cod_available": order.cod_available, "cod_message": "", "error_message": "",
            "success": True, "message": f"order {order.order_id} placed"}


class CheckoutApi:
    def __init__(self, sandbox: _sandbox.Sandbox) -> None:
        self.sandbox = sandbox

    async def selectPaymentMode(self, company_id, application_id, body, id_=None, buy_now=False, order_type=None):
        s = self.sandbox
        priced = await s.checkout.select_payment((company_id, application_id), id_ or body.get("id"), buy_now,
                                                 body.get("payment_mode"), inputs.payment_identifiers(body),
                                                 address_id=body.get("address_id"), order_type=order_type)
        return out.cart(priced, s.catalog, items=True, breakup=True), 200

    async def selectPaymentModeV2(self, company_id, application_id, body, id_=None, buy_now=False, order_type=None):
        s = self.sandbox
        priced = await s.checkout.select_payment((company_id, application_id), id_ or body.get("id"), buy_now,
                                                 body.get("payment_mode"), inputs.payment_identifiers(body),
                                                 methods=inputs.payment_methods(body.get("payment_methods")),
                                                 address_id=body.get("address_id"), order_type=order_type)
        return out.cart(priced, s.catalog, items=True, breakup=True), 200

    async def platformCheckoutCartV2(self, company_id, application_id, body, id_=None):
        s = self.sandbox
        order = await s.checkout.checkout((company_id, application_id), id_ or body["id"], body.get("user_id"),
                                          body.get("order_type"), body.get("address_id"), body.get("payment_mode"),
                                          inputs.payment_methods(body.get("payment_methods")),
                                          body.get("billing_address_id"),
                                          body.get("pick_at_store_uid"))
        cart = checked_cart(order, s)
        return {"success": True, "order_id": order.order_id, "message": "order placed", "data": {
            "order_value": out.number(order.value), "repeated": order.repeated}, "cart": cart,
            "callback_url": body.get("callback_url", ""), "payment_confirm_url": "", "app_intercept_url": ""}, 200

    async def checkoutCart(self, company_id, application_id, body):
        order = await self.sandbox.checkout.checkout_items((company_id, application_id), inputs.checkout_items(body))
        return {"success": True, "message": "order placed", "order_id": order.order_id,
                "order_ref_id": order.order_id}, 200

    async def overrideCart(self, company_id, application_id, body):
        s = self.sandbox
        order = await s.checkout.override((company_id, application_id), body["cart_id"],
                                          inputs.override_items(body["cart_items"]),
                                          body["order_type"], body["payment_mode"], body.get("ordering_store"))
        cart = order.cart
        return {"success": "true", "order_id": order.order_id, "message": "order placed",
                "data": {"order_value": out.number(order.value), "repeated": order.repeated},
                "cart": {"id": cart.id, "cart_id": cart.cart_id, "items": body["cart_items"]}}, 200
