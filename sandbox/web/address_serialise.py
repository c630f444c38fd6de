"""Addresses, address selection and shipments → the documented JSON shapes (formatting only)."""

from __future__ import annotations

import json

from ..domain.addresses import ADDRESS_MAX_LIMIT, Selection, Shipments
from ..domain.catalog import Catalog
from . import serialise as out


def address_list(found: list[dict], user_total: int) -> dict:
    """``PlatformGetAddressesDetails``."""
    return {"address": found,
            "validation_config": {"address_max_limit": ADDRESS_MAX_LIMIT, "user_address_count": user_total}}


def selection(s: Selection, catalog: Catalog, items: bool, breakup: bool) -> dict:
    """``CartDetailResult`` after select-address: items and the cart carry the promise at the address."""
    body = out.cart(s.priced, catalog, items=items, breakup=breakup)
    body.update(is_valid=s.is_valid, message=s.message, restrict_checkout=not s.is_valid)
    promise = out.promise(s.delivery.promise)
    if promise:
        body["delivery_promise"] = promise
    if items:
        body["items"] = [{**item, "delivery_promise": promise} if promise else
                         {**item, "availability": {**item["availability"], "deliverable": not s.delivery.problem}}
                         for item in body["items"]]
    return body


def shipments(s: Shipments, catalog: Catalog, items: bool) -> dict:
    """``PlatformCartShipmentsResult``: one shipment per fulfilling store, with the cart's breakup."""
    cart = out.cart(s.priced, catalog, items=items, breakup=True)
    body = {k: cart[k] for k in ("id", "coupon_text", "pan_config", "comment", "payment_selection_lock",
                                 "delivery_charge_info", "breakup_values", "staff_user_id", "currency",
                                 "checkout_mode", "last_modified", "buy_now", "gstin", "applied_promo_details",
                                 "pan_no", "custom_cart_meta")}
    body.update(is_valid=s.is_valid, message=s.message or f"{len(s.shipments)} shipment(s)",
                restrict_checkout=not s.is_valid, error=not s.is_valid)
    promise = out.promise(s.delivery.promise)
    if promise:
        body["delivery_promise"] = promise
    if items:
        body["items"] = [out.line(p, catalog, promise, offers=s.priced.offers) for p in s.priced.lines]
    body["shipments"] = [{
        "shipments": 1, "fulfillment_id": sh.store_uid, "fulfillment_type": "store",
        "order_type": sh.order_type,
        "shipment_type": "single_shipment" if len(sh.lines) == 1 else "multiple_shipment",
        "items": [out.line(p, catalog, out.promise(sh.promise), offers=s.priced.offers) for p in sh.lines],
        "articles": [{"article_id": p.article.article_id, "quantity": str(p.line.quantity),
                      "meta": json.dumps(p.line.meta, sort_keys=True)} for p in sh.lines],
        "dp_options": None, "dp_id": None, "box_type": None,
        **({"promise": out.promise(sh.promise)} if sh.promise else {}),
    } for sh in s.shipments]
    return body
