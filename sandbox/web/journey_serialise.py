"""Sharing, abandoned carts and cart configuration → their documented JSON shapes. Formatting only."""

from __future__ import annotations

from ..domain.abandoned import AbandonedPage
from ..domain.cart import Cart, PricedCart
from ..domain.cart_config import CartConfig
from ..domain.catalog import Catalog
from ..domain.sharing import Share
from .serialise import cart as cart_detail, iso, number

SHARED_CART_KEYS = ("coupon_text", "id", "comment", "items", "payment_selection_lock", "delivery_charge_info",
                    "restrict_checkout", "message", "breakup_values", "is_valid", "uid", "checkout_mode",
                    "currency", "last_modified", "buy_now", "cart_id", "gstin", "custom_cart_meta")


def share_link(share: Share, base_url: str) -> dict:
    """``GetShareCartLinkResult``."""
    return {"token": share.token, "share_url": f"{base_url}/share-cart/{share.token}"}


def shared_cart(share: Share, priced: PricedCart, catalog: Catalog, error: str = "") -> dict:
    """``SharedCartResult``: the cart (the shared one, or the one that took its items) and the share."""
    body = cart_detail(priced, catalog, items=True, breakup=True)
    cart = {k: body[k] for k in SHARED_CART_KEYS if k in body}
    cart["shared_cart_details"] = {"token": share.token, "created_on": iso(share.created_on), "meta": share.meta,
                                   "user": {"user_id": share.user_id} if share.user_id else {}, "source": {}}
    return {"cart": cart, "error": error}


def abandoned_cart(c: Cart, priced: PricedCart, active: bool) -> dict:
    """``AbandonedCart``."""
    b = priced.breakup
    coupon = priced.offers.coupon
    return {
        "_id": c.id, "uid": c.cart_id, "user_id": c.user_id or "", "app_id": c.scope[1],
        "created_on": iso(c.created_on), "last_modified": iso(c.last_modified),
        "articles": [{"identifier": line.identifier, "article_id": line.article_id, "item_id": line.item_id,
                      "size": line.size, "quantity": line.quantity, "store_id": line.store_uid,
                      "seller_id": line.seller_uid, "price": number(p.price.effective)}
                     for line, p in zip(c.lines, priced.lines)],
        "cart_value": number(b.total), "discount": number(b.discount),
        "delivery_charges": {"charges": number(b.delivery_charge)}, "cod_charges": {"charges": number(b.cod_charge)},
        "coupon": ({"code": coupon.offer.code, "amount": number(priced.offers.coupon_total), "is_applied": True}
                   if coupon is not None else None),
        "promotion": {"amount": number(priced.offers.promotion_total)},
        "is_archive": False, "is_active": active, "is_default": not c.buy_now, "buy_now": c.buy_now,
        "checkout_mode": c.meta.get("checkout_mode", ""), "gstin": c.meta.get("gstin"),
        "comment": c.meta.get("comment"), "meta": dict(c.meta) or None,
        "pick_up_customer_details": c.meta.get("pick_up_customer_details"),
        "payment_mode": (c.payment or {}).get("mode"), "fynd_credits": {}, "cashback": {},
    }


def abandoned_list(page: AbandonedPage, actives: list[bool]) -> dict:
    """``AbandonedCartResult``."""
    info = {"type": "cursor" if page.by_cursor else "number", "item_total": page.item_total, "current": page.current,
            "size": page.size, "has_previous": page.has_previous, "has_next": page.has_next}
    if page.next_id:
        info["next_id"] = page.next_id
    return {"success": True, "message": "", "result": {},
            "items": [abandoned_cart(c, priced, active) for (c, priced), active in zip(page.carts, actives)],
            "page": info}


def cart_config(config: CartConfig) -> dict:
    """``CartMetaConfigAdd`` / ``CartMetaConfigUpdate``, with the ``_id`` the update takes."""
    return {**config.doc, "_id": config.id}
