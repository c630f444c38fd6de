"""Request bodies → the domain's typed inputs. The domain never sees the API's JSON.

Each function reads one operation's body (already checked against the spec's schema by the request
validation) into its input: what cannot be used is the domain's to refuse, naming the field.
"""

from __future__ import annotations

import json
from decimal import Decimal

from ..domain.cart_config import FIELDS, NON_NEGATIVE
from ..domain.inputs import (
    AddressChoice,
    AddressInput,
    AdjustedArticle,
    AdjustmentInput,
    CartConfigInput,
    CartMetaInput,
    CheckoutItemsInput,
    DeliveryCharge,
    DeliveryCharges,
    OfferInput,
    OrderItem,
    OverrideItem,
    PaymentMethod,
)
from ..domain.offer_book import DRAFT

# ---------------------------------------------------------------------- addresses
ADDRESS_FIELDS = ("phone", "area_code_slug", "country_code", "geo_location", "country", "state", "is_default_address",
                  "tags", "created_by_user_id", "landmark", "email", "area_code", "checkout_mode", "meta", "is_active",
                  "name", "google_map_point", "cart_id", "city", "sector", "state_code", "area", "user_id",
                  "address_type", "address", "country_phone_code", "country_iso_code", "_custom_json")

ADDRESS_CHECKED = ("user_id", "area_code", "area_code_slug", "phone", "email", "checkout_mode", "is_default_address")


def address(body: dict) -> AddressInput:
    """``PlatformAddress`` (addAddress, updateAddress): its documented fields are the document kept."""
    doc = {k: v for k, v in body.items() if k in ADDRESS_FIELDS}
    # The fields the book reads, where given (AddressInput's defaults are the book's for the others).
    return AddressInput(doc, **{k: doc[k] for k in ADDRESS_CHECKED if k in doc})


def address_choice(body: dict) -> AddressChoice:
    """``PlatformSelectCartAddress`` (selectAddress)."""
    return AddressChoice(body.get("id"), body.get("cart_id"), body.get("user_id"), body.get("billing_address_id"),
                         body.get("checkout_mode"))


# ---------------------------------------------------------------------- price adjustments
def adjustment(body: dict) -> AdjustmentInput:
    """``PriceAdjustmentAdd`` / ``PriceAdjustmentUpdate``: the request is the document answered."""
    articles = tuple(AdjustedArticle(p.get("article_id"), p.get("value"), "value" in p)
                     for p in body.get("article_ids") or [])
    return AdjustmentInput(dict(body), body.get("cart_id"), body.get("type"), body.get("value"), articles,
                           bool(body.get("article_level_distribution")), body.get("apply_expiry"))


# ---------------------------------------------------------------------- cart configuration
def cart_config(body: dict) -> CartConfigInput:
    """``CartMetaConfigAdd`` / ``CartMetaConfigUpdate``: the documented fields given (null ones are left out)."""
    given = {k: body[k] for k in FIELDS if body.get(k) is not None}
    delivery = given.get("delivery_charges")
    charges = None
    if delivery is not None:
        charges = DeliveryCharges(tuple(DeliveryCharge(rule.get("threshold"), rule.get("charges"))
                                        for rule in delivery.get("charges") or []), delivery.get("enabled"))
    return CartConfigInput(given, delivery_charges=charges, **{k: given.get(k) for k in NON_NEGATIVE})


# ---------------------------------------------------------------------- cart meta
META_FIELDS = ("gstin", "pick_up_customer_details", "checkout_mode", "gift_details", "pan_no", "comment",
               "staff_user_id")


def cart_meta(body: dict) -> CartMetaInput:
    """``PlatformCartMetaRequest`` (updateCartMeta): the documented fields given are stored as sent."""
    return CartMetaInput({k: v for k, v in body.items() if k in META_FIELDS}, body.get("gstin"), body.get("pan_no"))


# ---------------------------------------------------------------------- open-API checkout
def checkout_items(body: dict) -> CheckoutItemsInput:
    """``OpenApiPlatformCheckoutReq`` (checkoutCart)."""
    items = tuple(OrderItem(str(i["product_id"]), i["size"], i.get("quantity", 1), Decimal(str(i["price_effective"])))
                  for i in body["cart_items"])
    methods = payment_methods(body["payment_methods"])
    area = (body.get("shipping_address") or body.get("billing_address") or {}).get("area_code")
    return CheckoutItemsInput(items, Decimal(str(body["cart_value"])), methods, area,
                              json.dumps(body, sort_keys=True, default=str))


# ---------------------------------------------------------------------- cart checkouts
PAYMENT_IDENTIFIERS = ("payment_identifier", "aggregator_name", "merchant_code")


def payment_identifiers(body: dict) -> tuple[tuple[str, str | None], ...]:
    """The payment's identifiers a select-payment-mode body gives (kept on the cart)."""
    return tuple((k, body.get(k)) for k in PAYMENT_IDENTIFIERS)


def payment_methods(given: list | None) -> tuple[PaymentMethod, ...]:
    """``payment_methods`` (``PaymentMethod``s): mode and amount of each."""
    return tuple(PaymentMethod(m, m.get("mode"), None if m.get("amount") is None else Decimal(str(m["amount"])))
                 for m in given or ())


def override_items(given: list) -> tuple[OverrideItem, ...]:
    """An override checkout's ``cart_items`` (``OverrideCartItem``s)."""
    return tuple(OverrideItem(i, i["item_id"], i["size"], i.get("quantity", 1), i["price_marked"],
                              i["price_effective"], i["amount_paid"], i["discount"], i.get("seller_identifier"))
                 for i in given)


# ---------------------------------------------------------------------- coupons and promotions
def coupon(body: dict) -> OfferInput:
    """``CouponAdd`` / ``CouponUpdate``: the document kept and answered, its code and status."""
    return _offer(body)


def promotion(body: dict) -> OfferInput:
    """``PromotionAdd`` / ``PromotionUpdate``: the document kept and answered, its code and status."""
    return _offer(body)


def _offer(body: dict) -> OfferInput:
    doc = {k: v for k, v in body.items() if k != "_id"}  # the book names its offers (and copies what it keeps)
    schedule = doc.get("_schedule")
    # A _schedule that is not an object is the book's to refuse (the offer rules read the whole schedule).
    status = schedule.get("status", DRAFT) if isinstance(schedule, dict) else DRAFT
    return OfferInput(doc, doc.get("code"), status)
