"""The seeded default offers: coupons and promotions built from a catalog (file format, as a dict).

``generate_offers(catalog, seed)`` returns ``{"coupons": [...], "promotions": [...]}``, documents in the
API's create shape (``CouponAdd``/``PromotionAdd``) with a ``_id`` each, drawn from ``random.Random(seed)``.
Everything else follows from the catalog, so the same catalog and seed give the same offers:

- coupons: ``WELCOME10`` (10% off, at most 200, cart value at least 499), ``FLAT150`` (150 off at 999 or
  more), ``<BRAND>20`` (20% off one brand's items, at most 500), ``FREESHIP`` (delivery at 0) and the
  auto-apply ``BIGCART5`` (5% off, at most 500, at 4,999 or more: on every cart that reaches it until the
  shopper picks or removes a coupon);
- promotions: 15% off (at most 300) the brand of the best-stocked article (the one ``cartwright serve``'s
  example request adds, so a fresh cart shows it), buy 2 get 1 free in the best-stocked other category, and
  2 units of the best-stocked remaining product for a round price below two of its cheapest units.

All are approved, scheduled from 2026-01-01T00:00:00Z to 2030-12-31T23:59:59Z, with upper-case codes.
``dump_offers`` gives the canonical text of ``fixtures/offers.json``.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from typing import Any

__all__ = ["generate_offers", "offers_from_seed", "dump_offers", "SCHEDULE_START", "SCHEDULE_END"]

SCHEDULE_START = "2026-01-01T00:00:00Z"
SCHEDULE_END = "2030-12-31T23:59:59Z"
AUTHOR = "cartwright"


def _object_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(96):024x}"


def _common(rng: random.Random, code: str) -> dict[str, Any]:
    """The fields every seeded offer shares: id, code, approved schedule, author and dates."""
    return {
        "_id": _object_id(rng),
        "code": code,
        "_schedule": {"start": SCHEDULE_START, "end": SCHEDULE_END, "status": "approved"},
        "author": {"created_by": AUTHOR, "approved_by": AUTHOR},
        "date_meta": {"created_on": SCHEDULE_START, "modified_on": SCHEDULE_START, "approved_on": SCHEDULE_START},
        "ownership": {"payable_category": "seller", "payable_by": "seller"},
        "tags": [],
    }


def _coupon(rng: random.Random, code: str, kind: str, rule: dict, title: str, subtitle: str, *,
            minimum: int | None = None, identifiers: dict | None = None, priority: int,
            auto_apply: bool = False) -> dict[str, Any]:
    return {
        **_common(rng, code),
        "type_slug": kind,
        "coupon_type": "single",
        "coupon_counts": 1,
        "display_meta": {"title": title, "subtitle": subtitle, "description": f"{title}: {subtitle}."},
        "rule_definition": {"type": kind, "applicable_on": "amount", "calculate_on": "esp", "currency_code": "INR",
                            "auto_apply": auto_apply, "is_exact": False},
        "rule": [rule],
        "restrictions": {"price_range": {"min": minimum}} if minimum is not None else {},
        "identifiers": identifiers or {},
        "state": {"is_archived": False, "is_display": True, "is_public": True},
        "validation": {"anonymous": True, "app_id": []},
        "validity": {"priority": priority},
        "action": {"txn_mode": "coupon"},
    }


def _promotion(rng: random.Random, code: str, kind: str, criteria: dict, offer: dict, name: str, offer_text: str,
               *, priority: int) -> dict[str, Any]:
    return {
        **_common(rng, code),
        "application_id": "*",
        "mode": "promotion",
        "promo_group": "product",
        "promotion_type": kind,
        "apply_priority": priority,
        "stackable": True,
        "currency": "INR",
        "calculate_on": "esp",
        "display_meta": {"name": name, "offer_text": offer_text, "offer_label": offer_text,
                         "description": f"{name}."},
        "discount_rules": [{"discount_type": kind, "buy_condition": "( rule#1 )", "item_criteria": dict(criteria),
                            "offer": offer}],
        "buy_rules": dict(criteria),
        "restrictions": {"anonymous_users": True},
        "visiblility": {"pdp": True, "coupon_list": False},
    }


def _code_word(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", name.split()[0].upper()) or "BRAND"


def _round_below(amount: int) -> int:
    """The largest multiple of 100 (or of 10, for small amounts) strictly below ``amount``."""
    for step in (100, 10, 1):
        rounded = (amount - 1) // step * step
        if rounded > 0:
            return rounded
    return 0


def generate_offers(catalog: dict[str, Any], seed: int) -> dict[str, list[dict[str, Any]]]:
    """The default coupons and promotions for ``catalog`` (the file format), their ids drawn from ``seed``."""
    rng = random.Random(seed)
    products = {p["uid"]: p for p in catalog["products"]}
    brands = {b["uid"]: b["name"] for b in catalog["brands"]}
    categories = {c["uid"]: c["name"] for c in catalog["categories"]}
    in_stock = [a for a in catalog["articles"] if a["stock"] > 0]
    brand_stock: Counter[int] = Counter()
    category_stock: Counter[int] = Counter()
    product_stock: Counter[int] = Counter()
    for a in in_stock:
        product = products[a["item_id"]]
        brand_stock[product["brand_uid"]] += a["stock"]
        product_stock[product["uid"]] += a["stock"]
        for c in product["category_uids"]:
            category_stock[c] += a["stock"]

    def best(stock: Counter, exclude: set) -> int | None:
        """The key with the most units in stock (lowest key on ties), not in ``exclude``."""
        ranked = sorted((k for k in stock if k not in exclude), key=lambda k: (-stock[k], k))
        return ranked[0] if ranked else None

    demo = max(catalog["articles"], key=lambda a: a["stock"])  # what `cartwright serve`'s example adds
    promo_brand = products[demo["item_id"]]["brand_uid"]
    coupon_brand = best(brand_stock, {promo_brand}) or promo_brand
    bogo_category = best(category_stock, set(products[demo["item_id"]]["category_uids"])) or \
        best(category_stock, set())
    bundle_item = best(product_stock, {p for p, d in products.items()
                                       if d["brand_uid"] == promo_brand or bogo_category in d["category_uids"]}) or \
        best(product_stock, set()) or demo["item_id"]
    pair_price = 2 * min((a["effective"] for a in in_stock if a["item_id"] == bundle_item),
                         default=demo["effective"])
    word = _code_word(brands[coupon_brand])

    coupons = [
        _coupon(rng, "WELCOME10", "percentage", {"key": 1, "value": 10, "max": 200}, "10% off",
                "up to ₹200 on orders of ₹499 or more", minimum=499, priority=1),
        _coupon(rng, "FLAT150", "absolute", {"key": 1, "value": 150}, "Flat ₹150 off",
                "on orders of ₹999 or more", minimum=999, priority=2),
        _coupon(rng, f"{word}20", "percentage", {"key": 1, "value": 20, "max": 500},
                f"20% off {brands[coupon_brand]}", f"up to ₹500 on {brands[coupon_brand]} items",
                identifiers={"brand_id": [coupon_brand]}, priority=3),
        _coupon(rng, "FREESHIP", "shipping_price", {"key": 1, "value": 0}, "Free delivery",
                "no delivery charge on this order", priority=4),
    ]
    promotions = [
        _promotion(rng, f"{_code_word(brands[promo_brand])}15", "percentage", {"item_brand": [promo_brand]},
                   {"discount_percentage": 15, "max_discount_amount": 300},
                   f"15% off {brands[promo_brand]}", "15% OFF", priority=1),
        _promotion(rng, "BUY2GET1", "bogo", {"item_category": [bogo_category]},
                   {"min_offer_quantity": 3, "max_offer_quantity": 1, "discount_percentage": 100},
                   f"Buy 2 get 1 free on {categories[bogo_category]}", "BUY 2 GET 1", priority=2),
        _promotion(rng, "PAIR2", "bundle_price_amount", {"item_id": [bundle_item]},
                   {"min_offer_quantity": 2, "discount_price": _round_below(pair_price)},
                   f"Any 2 of {products[bundle_item]['name']} for ₹{_round_below(pair_price)}",
                   f"2 FOR ₹{_round_below(pair_price)}", priority=3),
    ]
    # Drawn after the promotions, so their ids stay what they were before this coupon existed.
    coupons.append(_coupon(rng, "BIGCART5", "percentage", {"key": 1, "value": 5, "max": 500}, "5% off big carts",
                           "applied automatically, up to ₹500 on orders of ₹4,999 or more", minimum=4999,
                           priority=5, auto_apply=True))
    return {"coupons": coupons, "promotions": promotions}


def offers_from_seed(catalog: dict[str, Any], seed: int) -> dict[str, list[dict[str, Any]]]:
    """What a sandbox serves by default: the generator's offers for its catalog and seed."""
    return generate_offers(catalog, seed)


def dump_offers(offers: dict[str, Any]) -> str:
    """Canonical JSON text: two-space indent, UTF-8 as is, keys in the generator's order, final newline."""
    return json.dumps(offers, indent=2, ensure_ascii=False) + "\n"
