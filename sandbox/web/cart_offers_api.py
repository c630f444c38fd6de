"""Handlers of the operations where offers meet a cart: POS coupons, offers, payment checks, adjustments."""

from __future__ import annotations

from .. import _sandbox
from . import inputs, serialise as out


class CartOffersApi:
    def __init__(self, sandbox: _sandbox.Sandbox) -> None:
        self.sandbox = sandbox

    async def getAppCoupons(self, company_id, application_id, id_=None, buy_now=False, slug=None, store_id=None):
        s = self.sandbox
        scope = (company_id, application_id)
        cart = await s.carts.find(scope, id_, buy_now=buy_now) if id_ else s.carts.transient(scope)
        choices = await s.cart_offers.available_coupons(cart, slug, store_id)
        return out.coupon_list(choices), 200

    async def applyCoupon(self, company_id, application_id, body, i=True, b=True, p=False, id_=None, buy_now=False):
        s = self.sandbox
        priced = await s.cart_offers.apply_coupon((company_id, application_id), id_, buy_now, body["coupon_code"])
        return out.cart(priced, s.catalog, items=i, breakup=b), 201

    async def removeCoupon(self, company_id, application_id, uid=None, buy_now=False):
        s = self.sandbox
        priced = await s.cart_offers.remove_coupon((company_id, application_id), uid, buy_now)
        return out.cart(priced, s.catalog, items=True, breakup=True), 200

    async def validateCouponForPayment(self, company_id, application_id, id_=None, buy_now=False, address_id=None,
                                       payment_mode=None, payment_identifier=None, aggregator_name=None,
                                       merchant_code=None):
        s = self.sandbox
        cart = await s.carts.require((company_id, application_id), id_, buy_now)
        if address_id:   # it changes nothing here, but it must name an address
            await s.addresses.get((company_id, application_id), address_id, field="address_id")
        check = await s.cart_offers.validate_for_payment(cart, payment_mode, payment_identifier, aggregator_name,
                                                         merchant_code)
        return out.payment_check(check), 200

    async def getPromotionOffers(self, company_id, application_id, slug=None, page_size=None, promotion_group=None,
                                 store_id=None, cart_type=None):
        choices = await self.sandbox.cart_offers.promotion_offers((company_id, application_id), slug, store_id,
                                                                  promotion_group, page_size)
        return {"available_promotions": [out.promotion_offer(c) for c in choices]}, 200

    async def getPromotionPaymentOffers(self, company_id, application_id, id_=None, uid=None):
        s = self.sandbox
        scope = (company_id, application_id)
        cart = (await s.carts.find_by_number(scope, uid) if uid is not None and not id_ else
                await s.carts.require(scope, id_))
        choices = await s.cart_offers.payment_offers(cart)
        return {"success": True, "promotions": [out.payment_offer(c, application_id) for c in choices]}, 200

    async def addPriceAdjustment(self, company_id, application_id, body):
        cart = await self.sandbox.adjustments.add((company_id, application_id), inputs.adjustment(body))
        return out.adjustments(cart), 201

    async def updatePriceAdjustment(self, company_id, application_id, id_, body):
        cart = await self.sandbox.adjustments.update((company_id, application_id), id_, inputs.adjustment(body))
        return out.adjustments(cart), 200

    async def removePriceAdjustment(self, company_id, application_id, id_):
        await self.sandbox.adjustments.remove((company_id, application_id), id_)
        return {"success": True, "message": f"price adjustment {id_} removed"}, 200

    async def getPriceAdjustments(self, company_id, application_id, cart_id):
        return out.adjustments(await self.sandbox.adjustments.of_cart((company_id, application_id), cart_id)), 200
