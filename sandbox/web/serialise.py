"""Domain objects → the documented JSON shapes. Formatting only: no arithmetic here."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ..domain.cart import Availability, Cart, ChangeResult, DeliveryModes, PricedCart, PricedLine, Promise, Quote
from ..domain.catalog import Catalog, Store
from ..domain.pricing import Breakup, LinePrice

DISPLAY_LINES = (  # (raw key, label, shown when zero)
    ("mrp_total", "MRP Total", True),
    ("discount", "Discount", False),
    ("subtotal", "Subtotal", True),
    ("coupon", "Coupon", False),
    ("delivery_charge", "Delivery Charges", True),
    ("cod_charge", "COD Charges", False),
    ("total", "Total", True),
)


def number(value: Decimal) -> float | int:
    """JSON number for a money amount (whole rupees stay integers)."""
    return int(value) if value == value.to_integral_value() else float(value)


def without_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


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


def breakup_values(b: Breakup, catalog: Catalog) -> dict:
    raw = {k: number(v) for k, v in b.as_raw().items()}
    values = b.as_raw()
    display = [
        {"key": key, "display": label, "value": number(values[key]), "currency_code": catalog.currency_code,
         "currency_symbol": catalog.currency_symbol, "message": []}
        for key, label, always in DISPLAY_LINES if always or values[key]
    ]
    return {
        "raw": raw,
        "display": display,
        "coupon": {"is_applied": False, "value": 0, "code": "", "message": "", "type": "", "uid": ""},
        "loyalty_points": {"is_applied": False, "total": 0, "applicable": 0, "description": ""},
    }


def _product_price(price: LinePrice, per_unit: bool, catalog: Catalog) -> dict:
    marked, effective = (price.marked_unit, price.effective_unit) if per_unit else (price.marked, price.effective)
    block = {"marked": number(marked), "effective": number(effective), "selling": number(effective),
             "add_on": 0, "currency_code": catalog.currency_code, "currency_symbol": catalog.currency_symbol}
    return {"base": block, "converted": dict(block)}


def availability(a: Availability) -> dict:
    return {
        "is_valid": a.is_valid, "out_of_stock": a.out_of_stock, "deliverable": a.deliverable,
        "other_store_quantity": a.other_store_quantity, "sizes": list(a.sizes),
        "available_sizes": [{"display": s, "value": s, "is_available": ok} for s, ok in a.available_sizes],
    }


def line(p: PricedLine, catalog: Catalog, with_promise: dict | None = None) -> dict:
    product, article, store, ln = p.product, p.article, p.store, p.line
    brand = catalog.brand(product.brand_uid)
    seller = catalog.seller(article.seller_uid)
    article_price = {"marked": number(article.marked), "effective": number(article.effective),
                     "currency_code": catalog.currency_code, "currency_symbol": catalog.currency_symbol}
    item = {
        "key": f"{product.uid}_{article.size}",
        "quantity": ln.quantity,
        "identifiers": {"identifier": ln.identifier},
        "is_set": False,
        "product": {
            "uid": product.uid, "name": product.name, "slug": product.slug, "item_code": product.item_code,
            "type": "product", "brand": {"uid": brand.uid, "name": brand.name},
            "categories": [{"uid": c.uid, "name": c.name} for c in map(catalog.category, product.category_uids)],
            "images": [{"url": u, "secure_url": u, "aspect_ratio": "13:20"} for u in product.images],
            "tags": list(product.tags), "attributes": {}, "_custom_json": {},
            "action": {"type": "product", "url": f"/product/{product.slug}"},
        },
        "article": {
            "uid": article.article_id, "size": article.size, "quantity": article.stock, "type": "article",
            "seller": {"uid": seller.uid, "name": seller.name}, "seller_identifier": article.seller_identifier,
            "store": {"uid": store.uid, "name": store.name, "store_code": store.store_code},
            "price": {"base": article_price, "converted": dict(article_price)},
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
        "promotions_applied": [],
        "coupon_message": "",
        "bulk_offer": {},
        "moq": {},
        "custom_order": {},
        "product_ean_id": article.seller_identifier,
    }
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
        "restrict_checkout": not priced.is_valid, "coupon_text": "", "applied_promo_details": [],
        "checkout_mode": c.meta.get("checkout_mode", ""), "gstin": c.meta.get("gstin", ""),
        "pan_no": c.meta.get("pan_no", ""), "comment": c.meta.get("comment", ""),
        "staff_user_id": c.meta.get("staff_user_id", ""), "custom_cart_meta": {}, "pan_config": {},
        "notification": {}, "success": True,
        "payment_selection_lock": {"enabled": False, "default_options": "", "payment_identifier": ""},
    }
    if items:
        body["items"] = [line(p, catalog) for p in priced.lines]
    if breakup:
        body["breakup_values"] = breakup_values(priced.breakup, catalog)
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
    body = {"is_valid": q.is_valid, "message": q.message, "items": [line(l, catalog, p) for l in q.lines],
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
