"""What the domain's services take: typed inputs, made from the API's request bodies by ``web/inputs.py``.

A field typed ``object`` is passed on as the request gave it for the service to check (and name in its
refusal): the schemas type most fields, but the domain does not rely on request validation. ``doc`` fields
are the documents the API answers with as they were sent (echoed back, stored): the services keep them
without reading into them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


# ---------------------------------------------------------------------- addresses
@dataclass(frozen=True)
class AddressInput:
    """An address to add, or to replace one with. ``doc``: its documented fields as sent."""

    doc: Mapping[str, Any]
    user_id: object = None                # None: not given (an update keeps the address's user)
    area_code: object = None
    area_code_slug: object = "pincode"
    phone: object = None
    email: object = None
    checkout_mode: object = "self"
    is_default_address: bool | None = None   # None: not given


@dataclass(frozen=True)
class AddressChoice:
    """A select-address request: the address (and billing address) a cart ships to."""

    address_id: str | None
    cart_id: str | None = None
    user_id: str | None = None
    billing_address_id: str | None = None
    checkout_mode: object = None


# ---------------------------------------------------------------------- price adjustments
@dataclass(frozen=True)
class AdjustedArticle:
    """One of an adjustment's ``article_ids``: the article, and its share of the value (``shared``: given)."""

    article_id: object
    value: object = None
    shared: bool = False


@dataclass(frozen=True)
class AdjustmentInput:
    """A price adjustment to add, or to replace one with. ``doc``: the request as sent (echoed back)."""

    doc: Mapping[str, Any]
    cart_id: str | None
    type: str | None
    value: object
    articles: tuple[AdjustedArticle, ...] = ()
    article_level_distribution: bool = False
    apply_expiry: object = None


# ---------------------------------------------------------------------- cart configuration
@dataclass(frozen=True)
class DeliveryCharge:
    threshold: float | None
    charges: float | None


@dataclass(frozen=True)
class DeliveryCharges:
    """A configuration's ``delivery_charges``; ``enabled`` None: not given."""

    charges: tuple[DeliveryCharge, ...] = ()
    enabled: bool | None = None


@dataclass(frozen=True)
class CartConfigInput:
    """A cart configuration to create, or to replace one with. ``doc``: its documented fields as sent, null ones
    left out, in the documented order (stored and answered, ``delivery_charges`` as checked); the limits and
    delivery charges, typed, for the service to check."""

    doc: Mapping[str, Any]
    min_cart_value: float | None = None     # numbers (int32, float for gift_pricing): the schema says so
    max_cart_value: float | None = None
    max_cart_items: float | None = None
    gift_pricing: float | None = None
    delivery_charges: DeliveryCharges | None = None


# ---------------------------------------------------------------------- cart meta
@dataclass(frozen=True)
class CartMetaInput:
    """The cart's meta fields to store (``fields``: the documented ones given, as sent); GSTIN and PAN checked."""

    fields: Mapping[str, Any]
    gstin: object = None
    pan_no: object = None


# ---------------------------------------------------------------------- open-API checkout
@dataclass(frozen=True)
class OrderItem:
    product_id: str
    size: str
    quantity: int
    price_effective: Decimal


@dataclass(frozen=True)
class PaymentMethod:
    """One of the ``payment_methods`` of a cart's payment or checkout, or of an order of items without a cart:
    its mode and amount (None: not given; the order's schema requires both); ``doc``, the entry as sent (kept
    on the cart)."""

    doc: Mapping[str, Any]
    mode: str | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class OverrideItem:
    """One of an override checkout's ``cart_items``: the item, its size and quantity, and the prices the
    caller sets; ``doc``, the entry as sent (kept on the order and answered)."""

    doc: Mapping[str, Any]
    item_id: int
    size: str
    quantity: int
    price_marked: float
    price_effective: float
    amount_paid: float
    discount: float
    seller_identifier: str | None = None


@dataclass(frozen=True)
class CheckoutItemsInput:
    """An order of items without a cart. ``fingerprint``: the request as canonical JSON (a repeat is the same
    request, field for field, and is answered with the first order)."""

    items: tuple[OrderItem, ...]
    cart_value: Decimal
    payment_methods: tuple[PaymentMethod, ...]
    area_code: str | None
    fingerprint: str


# ---------------------------------------------------------------------- coupons and promotions
@dataclass(frozen=True)
class OfferInput:
    """A coupon or promotion to create, or to replace one with: its lifecycle fields, typed, for the book to
    check; ``doc``, the document as sent (without ``_id``), which the offer rules read (what it computes, the
    book refusing what they cannot: ``offers.coupon_from_doc`` / ``promotion_from_doc``) and the book stores
    with its stamps and answers."""

    doc: Mapping[str, Any]
    code: object = None
    status: object = None                 # ``_schedule.status`` as sent (``draft`` when absent; null is refused)
