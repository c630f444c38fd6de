"""Domain objects → the documented JSON shapes. Formatting only: no arithmetic here."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from ..domain.cart import (
    Availability,
    Cart,
    ChangeResult,
    DeliveryModes,
    PricedCart,
    PricedLine,
    Promise,
    Quote,
)
from ..domain.catalog import Article, Catalog, Product, Store
from ..domain.moments import iso
from ..domain.money import ZERO
from ..domain.offers import Applied, OfferOutcome
from ..domain.pricing import Breakup, LinePrice

DISPLAY_LINES = (  # (raw key, label, shown when zero)
    ("mrp_total", "MRP Total", True),
    ("discount", "Discount", False),
    ("subtotal", "Subtotal", True),
    ("coupon", "Coupon", False),
    ("price_adjustment", "Price Adjustment", False),
    ("delivery_charge", "Delivery Charges", True),
    ("cod_charge", "COD Charges", False),
    ("total", "Total", True),
)


@functools.lru_cache(maxsize=65536)  # a pure function, called ~25 times per cart answer: a hit is 3x faster
def number(value: Decimal | int) -> float | int:
    """JSON number for a money amount (whole rupees stay integers)."""
    if type(value) is int:
        return value
    whole = int(value)
    return whole if whole == value else float(value)


def without_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def promise(p: Promise | None) -> dict | None:
    if p is None:
        return None
    return {
        "formatted": {"min": p.min.strftime("%a, %d %b"), "max": p.max.strftime("%a, %d %b")},
        "timestamp": {"min": int(p.min.timestamp()), "max": int(p.max.timestamp())},
        "iso": {"min": iso(p.min), "max": iso(p.max)},
    }


def currency(catalog: Catalog) -> dict:
    return {"code": catalog.currency_code, "symbol": catalog.currency_symbol}


def applied_promotion(a: Applied, catalog: Catalog, line_id: str | None = None) -> dict:
    """``AppliedPromotion``: per line (``amount`` per unit) or for the cart (``amount`` in all)."""
    rules = a.offer.doc.get("discount_rules") or [{}]
    doc, rule = a.offer.doc, rules[a.rule] if a.rule < len(rules) else rules[0]   # the rule that applied
    return {
        "promo_id": a.offer.id, "promotion_name": a.offer.title, "promotion_type": a.offer.kind,
        "promotion_group": a.offer.group_name, "offer_text": a.offer.offer_text, "code": a.offer.code or None,
        "amount": number(a.unit_amount(line_id) if line_id else a.total),
        "article_quantity": a.units.get(line_id, 0) if line_id else sum(a.units.values()),
        "mrp_promotion": a.offer.calculate_on == "mrp", "currency": currency(catalog), "meta": {},
        "discount_rules": [{"offer": rule.get("offer") or {}, "raw_offer": rule.get("offer") or {},
                            "item_criteria": rule.get("item_criteria") or {},
                            "matched_buy_rules": [rule["buy_condition"]] if rule.get("buy_condition") else []}],
        "buy_rules": [{"cart_conditions": {}, "item_criteria": doc.get("buy_rules") or {}}],
        "applied_free_articles": [],
    }


def coupon_breakup(priced: PricedCart) -> dict:
    """``CouponBreakup`` of the cart's coupon (applied, or kept but not applying, with the reason)."""
    offer, applied = priced.coupon, priced.offers.coupon
    if offer is None:
        return {"is_applied": False, "value": 0, "code": "", "message": "", "type": "", "uid": ""}
    tier = offer.tiers[0]
    return {
        "is_applied": applied is not None, "code": offer.code, "uid": offer.id, "title": offer.title,
        "sub_title": offer.offer_text, "description": offer.description, "type": offer.kind,
        "coupon_type": offer.kind, "value": number(priced.offers.coupon_total),
        "coupon_value": number(tier.value), "max_discount_value": number(tier.max_discount or ZERO),
        "minimum_cart_value": number(offer.cart_value.low or ZERO),
        "message": priced.offers.coupon_message or f"coupon {offer.code} applied",
    }


def cart_coupon(priced: PricedCart) -> dict:
    """``CartDetailCoupon``: the same facts under the names that object uses."""
    b = coupon_breakup(priced)
    return {"coupon_code": b["code"], "coupon_id": b["uid"], "coupon_title": b.get("title", ""),
            "coupon_subtitle": b.get("sub_title", ""), "coupon_description": b.get("description", ""),
            "coupon_type": b["type"], "coupon_value": b.get("coupon_value", 0), "discount": b["value"],
            "is_applied": b["is_applied"], "is_valid": b["is_applied"] or not b["code"],
            "maximum_discount_value": b.get("max_discount_value", 0),
            "minimum_cart_value": b.get("minimum_cart_value", 0), "message": b["message"]}


def breakup_values(b: Breakup, catalog: Catalog, priced: PricedCart | None = None) -> dict:
    raw = {k: number(v) for k, v in b.as_raw().items()}
    values = {**raw, "price_adjustment": number(b.adjustment_charge)}   # a zero amount is a zero number
    code, symbol = catalog.currency_code, catalog.currency_symbol
    display: list[dict[str, Any]] = [{"key": key, "display": label, "value": values[key], "currency_code": code,
                "currency_symbol": symbol, "message": []}
               for key, label, always in DISPLAY_LINES if always or values[key]]
    return {
        "raw": raw,
        "display": display,
        "coupon": coupon_breakup(priced) if priced is not None else {
            "is_applied": False, "value": 0, "code": "", "message": "", "type": "", "uid": ""},
        "loyalty_points": {"is_applied": False, "total": 0, "applicable": 0, "description": ""},
    }


def _product_price(price: LinePrice, per_unit: bool, catalog: Catalog) -> dict:
    marked, effective = (price.marked_unit, price.effective_unit) if per_unit else (price.marked, price.effective)
    selling = number(effective)
    block = {"marked": number(marked), "effective": selling, "selling": selling,
             "add_on": 0, "currency_code": catalog.currency_code, "currency_symbol": catalog.currency_symbol}
    return {"base": block, "converted": dict(block)}


def availability(a: Availability) -> dict:
    return {
        "is_valid": a.is_valid, "out_of_stock": a.out_of_stock, "deliverable": a.deliverable,
        "other_store_quantity": a.other_store_quantity, "sizes": list(a.sizes),
        "available_sizes": [{"display": s, "value": s, "is_available": ok} for s, ok in a.available_sizes],
    }


def _catalog_part(product: Product, article: Article, store: Store, catalog: Catalog) -> tuple[dict, dict]:
    """The parts of a line's answer that come from the catalog and the article alone: its ``product`` block
    and the start of its ``article`` block. Shared by every answer showing that article: never mutated."""
    brand = catalog.known_brand(product.brand_uid)
    seller = catalog.known_seller(article.seller_uid)
    article_price = {"marked": number(article.marked), "effective": number(article.effective),
                     "currency_code": catalog.currency_code, "currency_symbol": catalog.currency_symbol}
    product_block = {
        "uid": product.uid, "name": product.name, "slug": product.slug, "item_code": product.item_code,
        "type": "product", "brand": {"uid": brand.uid, "name": brand.name},
        "categories": [{"uid": c.uid, "name": c.name} for c in map(catalog.known_category, product.category_uids)],
        "images": [{"url": u, "secure_url": u, "aspect_ratio": "13:20"} for u in product.images],
        "tags": list(product.tags), "attributes": {}, "_custom_json": {},
        "action": {"type": "product", "url": f"/product/{product.slug}"},
    }
    article_start = {
        "uid": article.article_id, "size": article.size, "quantity": article.stock, "type": "article",
        "seller": {"uid": seller.uid, "name": seller.name}, "seller_identifier": article.seller_identifier,
        "store": {"uid": store.uid, "name": store.name, "store_code": store.store_code},
        "price": {"base": article_price, "converted": dict(article_price)},
    }
    return product_block, article_start


def line(p: PricedLine, catalog: Catalog, with_promise: dict | None = None,
         offers: OfferOutcome | None = None) -> dict:
    product, article, ln = p.product, p.article, p.line
    # Kept per article and repricing: a repriced line's prices (the forced fault price-changed) are not the
    # catalog's, but always the same ones.
    product_block, article_start = catalog.derived(
        ("line", article.article_id, p.repriced), lambda: _catalog_part(product, article, p.store, catalog))
    item = {
        "key": f"{product.uid}_{article.size}",
        "quantity": ln.quantity,
        "identifiers": {"identifier": ln.identifier},
        "is_set": False,
        "product": product_block,
        "article": {
            **article_start,
            "product_group_tags": list(ln.product_group_tags), "parent_item_identifiers": ln.parent_item_identifiers,
            "meta": ln.meta, "extra_meta": ln.extra_meta, "_custom_json": ln.custom_json,
            "identifier": {"identifier": ln.identifier},
        },
        "price": _product_price(p.price, False, catalog),
        "price_per_unit": _product_price(p.price, True, catalog),
        "discount": f"{p.price.discount_percent}% OFF" if p.price.discount else "",
        "availability": availability(p.availability),
        "message": p.availability.message,
        "parent_item_identifiers": ln.parent_item_identifiers,
        "promotions_applied": [applied_promotion(a, catalog, ln.identifier) for a in (offers.promotions if offers else ())
                               if ln.identifier in a.per_line],
        "coupon_message": "",
        "bulk_offer": {},
        "moq": {},
        "custom_order": {},
        "product_ean_id": article.seller_identifier,
    }
    coupon = offers.coupon if offers else None
    if coupon is not None and ln.identifier in coupon.per_line:
        item["coupon"] = {"code": coupon.offer.code, "discount_single_quantity": number(coupon.unit_amount(ln.identifier)),
                          "discount_total_quantity": number(coupon.per_line[ln.identifier])}
        item["coupon_message"] = f"coupon {coupon.offer.code} applied"
    if item["promotions_applied"]:
        item["promo_meta"] = {"message": "; ".join(x["offer_text"] or x["promotion_name"]
                                                   for x in item["promotions_applied"])}
    if with_promise:
        item["delivery_promise"] = with_promise
    return item


def delivery_charge_info(priced: PricedCart, catalog: Catalog) -> str:
    gap = priced.breakup.free_delivery_gap
    return f"Add {catalog.currency_symbol}{number(gap)} more for free delivery" if gap is not None else ""


def cart(priced: PricedCart, catalog: Catalog, items: bool = True, breakup: bool = False) -> dict:
    """``CartDetailResult``."""
    c: Cart = priced.cart
    body = {
        "id": c.id, "cart_id": c.cart_id, "uid": str(c.cart_id), "is_valid": priced.is_valid,
        "message": priced.message, "buy_now": c.buy_now, "currency": currency(catalog),
        "last_modified": c.last_modified.date().isoformat(), "delivery_charge_info": delivery_charge_info(priced, catalog),
        "common_config": {"delivery_charges_config": {
            "enabled": bool(priced.delivery_charge_rules),
            "charges": [{"threshold": number(r.threshold), "charges": number(r.charge)}
                        for r in priced.delivery_charge_rules]}},
        "restrict_checkout": not priced.is_valid,
        "coupon_text": priced.coupon.offer_text if priced.coupon else "",
        "coupon": cart_coupon(priced),
        "applied_promo_details": [applied_promotion(a, catalog) for a in priced.offers.promotions],
        "checkout_mode": c.meta.get("checkout_mode", ""), "gstin": c.meta.get("gstin", ""),
        "pan_no": c.meta.get("pan_no", ""), "comment": c.meta.get("comment", ""),
        "staff_user_id": c.meta.get("staff_user_id", ""), "custom_cart_meta": {}, "pan_config": {},
        "notification": {}, "success": True,
        "payment_selection_lock": {"enabled": False, "default_options": "", "payment_identifier": ""},
    }
    if items:
        body["items"] = [line(p, catalog, offers=priced.offers) for p in priced.lines]
    if breakup:
        body["breakup_values"] = breakup_values(priced.breakup, catalog, priced)
    return body


def change(result: ChangeResult, catalog: Catalog, items: bool, breakup: bool, with_partial: bool) -> dict:
    """``AddCartDetailResult`` / ``UpdateCartDetailResult``."""
    body = {
        "success": result.success, "message": result.message, "result": {},
        "cart": cart(result.priced, catalog, items, breakup),
        "items": [without_none({"item_id": o.item_id, "size": o.size, "store_id": o.store_id,
                                "success": o.success, "message": o.message}) for o in result.outcomes],
    }
    if with_partial:
        body["partial"] = result.partial
    return body


def cart_list_entry(c: Cart, priced: PricedCart, catalog: Catalog, count: int) -> dict:
    """``CartList``."""
    return {"cart_id": c.id, "user_id": c.user_id or "", "created_on": iso(c.created_on),
            "cart_value": number(priced.breakup.total), "currency_code": catalog.currency_code,
            "item_counts": count, "pick_up_customer_details": c.meta.get("pick_up_customer_details") or {}}


def quote(q: Quote, catalog: Catalog, with_promise: bool) -> dict:
    """``OpenapiCartDetailsResult`` / ``OpenApiCartServiceabilityResult``."""
    p = promise(q.promise) if with_promise else None
    body = {"is_valid": q.is_valid, "message": q.message,
            "items": [line(priced, catalog, p, offers=q.offers) for priced in q.lines],
            "breakup_values": breakup_values(q.breakup, catalog)}
    if p:
        body["delivery_promise"] = p
    return body


def delivery_modes(m: DeliveryModes) -> dict:
    return {"available_modes": list(m.available_modes), "pickup_stores": list(m.pickup_stores)}


def store(s: Store) -> dict:
    """``PickupStoreDetail``."""
    return {"uid": s.uid, "id": s.uid, "name": s.name, "store_code": s.store_code, "address": s.address,
            "area": s.area, "landmark": s.landmark, "city": s.city, "state": s.state, "country": s.country,
            "pincode": int(s.pincode), "area_code": s.pincode, "area_code_slug": "pincode",
            "address_type": "store", "phone": s.phone, "email": s.email, "store_manager_name": s.manager_name}


def coupon_list(choices) -> dict:
    """``GetCouponResult``."""
    items = []
    for c in choices:
        o, tier = c.offer, c.offer.tiers[0]
        items.append({
            "coupon_code": o.code, "title": o.title, "sub_title": o.offer_text, "description": o.description,
            "coupon_type": o.kind, "coupon_value": number(tier.value),
            "max_discount_value": number(tier.max_discount or ZERO), "minimum_cart_value": number(o.cart_value.low or 0),
            "is_applied": c.is_applied, "is_applicable": c.is_applicable,
            "message": c.message or f"you save {number(c.discount)}",
            "coupon_applicable_message": c.message or f"coupon {o.code} applies: you save {number(c.discount)}",
            "expires_on": o.end.date().isoformat() if o.end else "",
            **({"start_date": iso(o.start)} if o.start else {}), **({"end_date": iso(o.end)} if o.end else {}),
        })
    return {"available_coupon_list": items,
            "page": {"current": 1, "total": 1, "total_item_count": len(items), "has_next": False,
                     "has_previous": False}}


def payment_check(check) -> dict:
    """``PaymentCouponValidate``."""
    return {"success": True, "message": check.message, "coupon_validity": {
        "valid": check.valid, "code": check.code, "title": check.title, "discount": number(check.discount),
        "display_message_en": check.message if check.valid else "", "error_en": "" if check.valid else check.message,
        "next_validation_required": False}}


def _rules_with_saving(choice) -> list[dict]:
    # The documents give discount_rules as free-form objects; each carries what it saves here.
    return [{**rule, "you_save": number(choice.saving)} for rule in choice.offer.doc.get("discount_rules") or []]


def promotion_offer(choice) -> dict:
    """``PromotionOffer``."""
    o = choice.offer
    body = {"id": o.id, "promotion_name": o.title, "promotion_type": o.kind, "promotion_group": o.group_name,
            "offer_text": o.offer_text, "description": o.description, "buy_rules": o.doc.get("buy_rules") or {},
            "discount_rules": _rules_with_saving(choice), "free_gift_items": []}
    if o.end:
        body["valid_till"] = iso(o.end)
    return body


def payment_offer(choice, application_id: str) -> dict:
    """``PromotionPaymentOffer``."""
    o = choice.offer
    return {"id": o.id, "promotion_name": o.title, "promotion_type": o.kind, "promotion_group": o.group_name,
            "offer_text": o.offer_text, "description": o.description, "calculate_on": o.calculate_on,
            "application_id": application_id, "buy_rules": [o.doc.get("buy_rules") or {}],
            "discount_rules": _rules_with_saving(choice)}


def adjustments(c: Cart) -> dict:
    """``GetPriceAdjustmentResult``: the cart's adjustments as they were given, with ids."""
    return {"data": [{**a.doc, "id": a.id, "cart_id": c.id} for a in c.adjustments]}
