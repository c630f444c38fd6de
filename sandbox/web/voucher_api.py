"""Handler of EnKash's voucher Add-to-cart, and its documented response shape."""

from __future__ import annotations

from .. import _sandbox
from ..domain.vouchers import VoucherCart, ek_user_id, owner_key


def voucher_cart(cart: VoucherCart) -> dict:
    """``EnKashVoucherCart``, field for field as the document's example."""
    e = cart.entry
    return {
        "id": cart.id, "ekUserId": cart.user, "productCatalogId": e.id, "name": e.name, "logoUrl": e.logo_url,
        "items": {line.config.id: {"productConfigId": line.config.id, "mrp": line.config.mrp,
                                   "sellRate": line.config.sell_rate, "enkashDiscount": line.config.enkash_discount,
                                   "savings": line.savings, "quantity": line.quantity, "total": line.total}
                  for line in cart.lines()},
        "totalQuantity": cart.total_quantity, "totalAmount": cart.total_amount,
        "totalSavings": cart.total_savings, "termsAndCondition": e.terms,
        "productConfigs": [{"productConfigId": c.id, "mrp": c.mrp, "sellRate": c.sell_rate,
                            "enkashDiscount": c.enkash_discount, "maxQuantity": c.max_quantity,
                            "customAmountEnabled": c.custom_amount_enabled} for c in e.configs],
        "howToRedeem": e.how_to_redeem,
    }


class VoucherApi:
    def __init__(self, sandbox: _sandbox.Sandbox) -> None:
        self.sandbox = sandbox

    async def addVoucherToCart(self, product, body, token_info=None):
        token = token_info["sub"]
        carts = await self.sandbox.vouchers.add(owner_key(token), ek_user_id(token), body["productCatalogId"], body["items"])
        return {"payload": [voucher_cart(c) for c in carts], "response_code": 0, "response_message": "Success"}, 200
