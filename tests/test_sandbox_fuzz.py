"""Schemathesis against the in-process sandbox: generated requests never get a 5xx or an off-spec answer."""
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.checks import not_a_server_error

from conftest import AUTH, FROZEN_NOW
from cartwright.sandbox import Settings, create_app

# The operations the sandbox implements so far: the cart core, then coupons, promotions, offers, adjustments.
IMPLEMENTED = ["getCart", "platformAddItems", "platformUpdateCart", "getItemCount", "deleteCart", "getCartList",
               "updateCartUser", "updateCartMeta", "fetchAndValidateCartItems", "checkCartServiceability",
               "getAvailableDeliveryModes", "getStoreAddressByUid",
               "getCoupons", "createCoupon", "getCouponById", "updateCoupon", "deleteCoupon", "getCouponCodeExists",
               "getAppCoupons", "applyCoupon", "removeCoupon", "validateCouponForPayment",
               "getPromotions", "createPromotion", "getPromotionById", "updatePromotion", "deletePromotion",
               "getPromosCouponConfig", "getPromotionCodeExists", "getPromotionOffers", "getPromotionPaymentOffers",
               "addPriceAdjustment", "getPriceAdjustments", "updatePriceAdjustment", "removePriceAdjustment",
               "selectPaymentMode", "selectPaymentModeV2", "checkoutCart", "overrideCart", "platformCheckoutCartV2",
               "addVoucherToCart",
               "getAddresses", "addAddress", "getAddressById", "updateAddress", "removeAddress", "selectAddress",
               "getShipments", "updateShipments",
               "getCartShareLink", "getCartSharedItems", "updateCartWithSharedItems", "getAbandonedCart",
               "getAbandonedCartDetails", "addItems", "updateCart", "fetchCartMetaConfig", "createCartMetaConfig",
               "updateCartMetaConfig"]
APP = create_app(Settings(validate_responses=True, frozen_time=FROZEN_NOW))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).include(operation_id=IMPLEMENTED)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_get_documented_answers(case):
    """Any generated request gets a documented status and a body that matches its schema; none gets a 5xx."""
    case.call_and_validate(headers=AUTH, checks=[not_a_server_error, status_code_conformance,
                                                 content_type_conformance, response_schema_conformance])
