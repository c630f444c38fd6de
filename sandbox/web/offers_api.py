"""Handlers of the coupon and promotion operations, by operationId: unpack, call the offer book, serialise."""

from __future__ import annotations

from .. import _sandbox
from ..domain.errors import InvalidValue
from ..domain.fields import when
from ..domain.offer_book import page_bounds
from . import inputs

# Titles, subtitles and examples of the offer types the sandbox may support; others get a title from their name.
TYPE_TEXT = {
    ("coupon", "percentage"): ("Percentage off", "A percentage of the cart value off, up to a maximum",
                               "10% off up to ₹200 on orders above ₹499"),
    ("coupon", "absolute"): ("Flat amount off", "A fixed amount off the cart value",
                             "₹150 off on orders above ₹999"),
    ("coupon", "shipping_price"): ("Delivery price", "Delivery at a set price, free at 0", "Free delivery"),
    ("coupon", "bogo"): ("Buy X get Y", "Free units when enough are bought", "Buy 2 get 1 free"),
    ("promotion", "percentage"): ("Percentage off", "A percentage off matching items, up to a maximum",
                                  "15% off the brand, up to ₹300"),
    ("promotion", "amount"): ("Amount off", "A fixed amount off matching items", "₹100 off"),
    ("promotion", "bogo"): ("Buy X get Y", "The cheapest units free (or discounted) when enough are bought",
                            "Buy 2 get 1 free"),
    ("promotion", "bundle_price_amount"): ("Bundle price", "A set of units for a fixed price",
                                           "Any 2 for ₹1,300"),
    ("promotion", "bundle_price_percentage"): ("Bundle percentage off", "A percentage off a set of units",
                                               "20% off any 3"),
    ("promotion", "shipping_price"): ("Delivery price", "Delivery at a set price", "Free delivery"),
}
CONFIG_DATE = "2026-01-01T00:00:00Z"


def page(page_no: int, page_size: int, total: int) -> dict:
    """The documented ``Page`` object of a list page."""
    previous, more = page_bounds(page_no, page_size, total)
    return {"item_total": total, "current": page_no, "size": page_size, "has_previous": previous,
            "has_next": more, "type": "number"}


def config_entry(entity_type: str, kind: str) -> dict:
    title, subtitle, example = TYPE_TEXT.get((entity_type, kind), (kind.replace("_", " ").capitalize(), "", ""))
    return {"entity_slug": f"{entity_type}-{kind}".replace("_", "-"), "entity_type": entity_type, "type": kind,
            "title": title, "subtitle": subtitle, "example": example,
            "description": f"<p>{subtitle or title}.</p>", "is_hidden": False,
            "created_on": CONFIG_DATE, "modified_on": CONFIG_DATE}


def review_windows(approved_start_time, approved_end_time, review_start_time, review_end_time) -> dict:
    """The list filters' approval and review date bounds, parsed (each named in its error)."""
    given = {"approved_start_time": approved_start_time, "approved_end_time": approved_end_time,
             "review_start_time": review_start_time, "review_end_time": review_end_time}
    return {name: when(value, name) for name, value in given.items()}


def required_code(code: str | None) -> str:
    if not code:
        raise InvalidValue("query parameter 'code' is required", field="code", value=code)
    return code


class OffersApi:
    """The coupon and promotion operations of one sandbox."""

    def __init__(self, sandbox: _sandbox.Sandbox) -> None:
        self.sandbox = sandbox

    # ------------------------------------------------------------------ coupons
    async def getCoupons(self, company_id, application_id, page_no=0, page_size=10, is_archived=False, title=None,
                         is_public=None, is_display=None, type_slug=None, code=None, created_by=None,
                         reviewed_by=None, approved_start_time=None, approved_end_time=None,
                         review_start_time=None, review_end_time=None, status=None):
        docs, total = await self.sandbox.offers.list_coupons(
            (company_id, application_id), page_no=page_no, page_size=page_size, is_archived=is_archived,
            title=title, is_public=is_public, is_display=is_display, type_slug=type_slug, code=code,
            created_by=created_by, reviewed_by=reviewed_by, status=status,
            **review_windows(approved_start_time, approved_end_time, review_start_time, review_end_time))
        return {"items": docs, "page": page(page_no, page_size, total)}, 200

    async def createCoupon(self, company_id, application_id, body):
        coupon_id = await self.sandbox.offers.create_coupon((company_id, application_id), inputs.coupon(body))
        return {"success": True, "message": f"coupon {body['code']} created", "_id": coupon_id}, 201

    async def getCouponById(self, company_id, application_id, id_):
        return await self.sandbox.offers.coupon((company_id, application_id), id_), 200

    async def updateCoupon(self, company_id, application_id, id_, body):
        # An unknown id is a 404 before the body's faults: the book looks the coupon up before it reads the body.
        await self.sandbox.offers.update_coupon((company_id, application_id), id_, inputs.coupon(body))
        return {"success": True, "message": f"coupon {body['code']} updated", "_id": id_}, 200

    async def deleteCoupon(self, company_id, application_id, id_):
        await self.sandbox.offers.delete_coupon((company_id, application_id), id_)
        return {"success": True, "message": f"coupon {id_} deleted"}, 200

    async def getCouponCodeExists(self, company_id, application_id, code=None):
        count = await self.sandbox.offers.coupon_code_count((company_id, application_id), required_code(code))
        return {"success": True, "count": count}, 200

    # ------------------------------------------------------------------ promotions
    async def getPromotions(self, company_id, application_id, page_no=0, page_size=10, q=None, is_active=True,
                            promo_group=None, promotion_type=None, fp_panel=None, promotion_id=None,
                            created_by=None, reviewed_by=None, approved_start_time=None, approved_end_time=None,
                            review_start_time=None, review_end_time=None, status=None):
        docs, total = await self.sandbox.offers.list_promotions(
            (company_id, application_id), page_no=page_no, page_size=page_size, q=q, is_active=is_active,
            promo_group=promo_group, promotion_type=promotion_type, fp_panel=fp_panel, promotion_id=promotion_id,
            created_by=created_by, reviewed_by=reviewed_by, status=status,
            **review_windows(approved_start_time, approved_end_time, review_start_time, review_end_time))
        return {"items": docs, "page": page(page_no, page_size, total)}, 200

    async def createPromotion(self, company_id, application_id, body):
        scope = (company_id, application_id)
        offers = self.sandbox.offers
        return await offers.promotion(scope, await offers.create_promotion(scope, inputs.promotion(body))), 201

    async def getPromotionById(self, company_id, application_id, id_):
        return await self.sandbox.offers.promotion((company_id, application_id), id_), 200

    async def updatePromotion(self, company_id, application_id, id_, body):
        scope = (company_id, application_id)   # an unknown id is a 404 before the body's faults (as for coupons)
        return await self.sandbox.offers.update_promotion(scope, id_, inputs.promotion(body)), 200

    async def deletePromotion(self, company_id, application_id, id_):
        await self.sandbox.offers.delete_promotion((company_id, application_id), id_)
        return {"success": True, "message": f"promotion {id_} deleted"}, 200

    async def getPromotionCodeExists(self, company_id, application_id, code=None):
        count = await self.sandbox.offers.promotion_code_count((company_id, application_id), required_code(code))
        return {"success": True, "count": count}, 200

    # ------------------------------------------------------------------ both
    async def getPromosCouponConfig(self, company_id, application_id, entity_type=None, is_hidden=None):
        from ..domain import offers  # the supported kinds are the offer rules' to say

        entries = [config_entry(entity, kind)
                   for entity, kinds in (("coupon", offers.COUPON_TYPES), ("promotion", offers.PROMOTION_TYPES))
                   if entity_type in (None, entity) for kind in kinds]
        entries = [e for e in entries if is_hidden is None or e["is_hidden"] == is_hidden]
        # The spec's response is one ActivePromosResult object: the first entry's fields, and all under "items".
        return {**(entries[0] if entries else {}), "items": entries}, 200
