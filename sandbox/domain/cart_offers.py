"""Offers as a cart sees them: apply and remove a coupon, list coupons and offers, check a payment mode."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from .cart import Cart, CartLine, CartService, PricedCart, PricingContext, Scope
from .errors import InvalidValue, NotFound, Refused
from .money import ZERO
from .offers import Offer, Unit, evaluate

if TYPE_CHECKING:
    from .catalog import Catalog
    from .runtime import Clock
    from .state import Changes, SandboxState


@dataclass(frozen=True)
class CouponChoice:
    """A coupon as offered on a cart: whether it applies now and what it would take off."""

    offer: Offer
    is_applied: bool
    is_applicable: bool
    discount: Decimal
    message: str


@dataclass(frozen=True)
class PromotionChoice:
    offer: Offer
    saving: Decimal          # for one set of the product (or on the cart), at today's prices


@dataclass(frozen=True)
class PaymentCheck:
    valid: bool
    code: str
    title: str
    discount: Decimal
    message: str


class CartOffers:
    """Coupon and offer operations on carts, over a ``CartService`` and its offer source."""

    def __init__(self, carts: CartService, state: SandboxState, catalog: Catalog, clock: Clock) -> None:
        self.carts = carts
        self.state = state
        self.catalog = catalog
        self.clock = clock

    @property
    def now(self) -> datetime:
        return self.clock.now()

    async def apply_coupon(self, scope: Scope, cart_id: str | None, buy_now: bool, code: str) -> PricedCart:
        """Put coupon ``code`` on the cart when it gives a discount on it now; refuse it with the reason otherwise."""
        async def change(tx: Changes) -> PricedCart:
            cart = self.carts.writable(await self.carts.require(scope, cart_id, buy_now, view=tx))
            ctx = await self.carts.context(scope, tx)
            offer = ctx.offers.coupon(code.strip())
            if offer is None:
                raise NotFound(f"coupon_code: no coupon {code!r}", field="coupon_code", value=code)
            reason = offer.why_not_live(ctx.now)
            if reason is None and offer.users and cart.user_id not in offer.users:
                reason = f"coupon {offer.code} is not for this customer"
            if reason is None and offer.used_up:
                reason = f"coupon {offer.code} has been used up"
            if reason is None:
                trial = self.carts.price(_with_coupon(cart, offer.code), ctx)
                if trial.offers.coupon is None:
                    reason = trial.offers.coupon_message or f"coupon {offer.code} gives no discount on this cart"
            if reason is not None:
                raise Refused(f"coupon_code: {reason}", field="coupon_code", value=code)
            cart.coupon_code = offer.code
            cart.last_modified = self.now
            await self.carts.store(tx, cart)
            return self.carts.price(cart, ctx)
        return await self.state.atomically(change)

    async def remove_coupon(self, scope: Scope, cart_id: str | None, buy_now: bool) -> PricedCart:
        """Take the coupon off. A chosen coupon gives way to the auto-apply coupons again, as before it was
        chosen (so choosing and removing one leaves the cart as it was); without one, what is taken off is the
        auto-apply coupon, and auto-apply coupons stay off this cart afterwards."""
        async def change(tx: Changes) -> PricedCart:
            cart = self.carts.writable(await self.carts.require(scope, cart_id, buy_now, view=tx))
            if cart.coupon_code is None:
                cart.auto_coupons_declined = True
            cart.coupon_code = None
            cart.last_modified = self.now
            await self.carts.store(tx, cart)
            return await self.carts.priced(cart, view=tx)
        return await self.state.atomically(change)

    async def available_coupons(self, cart: Cart, slug: str | None = None,
                                store_id: int | str | None = None) -> list[CouponChoice]:
        """Displayed, live coupons with what each would take off this cart (or, with ``slug``, the product's)."""
        if isinstance(store_id, str):  # the documents type this store id as a string
            if not (store_id.isascii() and store_id.isdigit()):  # "²" is a digit to isdigit, not to int
                raise InvalidValue(f"store_id must be a numeric store id, not {store_id!r}", field="store_id",
                                   value=store_id)
            store_id = int(store_id)
        ctx = await self.carts.context(cart.scope)
        priced = self.carts.price(cart, ctx)
        units = self._units_after_promotions(priced)
        if slug is not None:
            units = self._product_units(ctx, slug, store_id)
        value = sum((u.price for u in units), ZERO)
        choices = []
        for offer in ctx.offers.coupons:
            if not offer.live_at(ctx.now) or not (offer.doc.get("state") or {}).get("is_display", True):
                continue
            if offer.users and cart.user_id not in offer.users:
                continue
            result, why = evaluate(offer, units, value, len(units))
            applied = priced.coupon is not None and priced.coupon.code == offer.code
            discount = result.total if result is not None else ZERO
            choices.append(CouponChoice(offer, applied, result is not None, discount,
                                        "" if result is not None else f"coupon {offer.code} {why}"))
        return choices

    def _units_after_promotions(self, priced: PricedCart) -> list[Unit]:
        units = self.carts.units(priced.lines)
        taken: dict[str, Decimal] = {}
        for applied in priced.offers.promotions:
            for line, amount in applied.per_line.items():
                taken[line] = taken.get(line, ZERO) + amount
        counts: dict[str, int] = {}
        for u in units:
            counts[u.line] = counts.get(u.line, 0) + 1
        return [replace(u, price=u.price - taken.get(u.line, ZERO) / counts[u.line]) for u in units]

    def _product_units(self, ctx: PricingContext, slug: str, store_id: int | None, quantity: int = 1) -> list[Unit]:
        product = next((p for p in self.catalog.products if p.slug == slug), None)
        if product is None:
            raise NotFound(f"slug: no product {slug!r}", field="slug", value=slug)
        articles = [a for size in product.sizes for a in self.catalog.articles_for(product.uid, size)
                    if store_id is None or a.store_uid == store_id]
        if not articles:
            raise NotFound(f"store_id: store {store_id} does not sell {slug!r}", field="store_id", value=store_id)
        article = ctx.cheapest_or_any(articles)
        # No more units than the catalog has of the article (at least one): a bigger set could never be in
        # a cart, and offers look at every unit (a promotion's set may be any int32).
        quantity = min(quantity, max(article.stock, 1))
        line = CartLine(identifier=slug, article_id=article.article_id, item_id=product.uid, size=article.size,
                        store_uid=article.store_uid, seller_uid=article.seller_uid, quantity=quantity)
        return self.carts.units([self.carts.priced_line(line, ctx)])

    async def promotion_offers(self, scope: Scope, slug: str | None, store_id: int | None, group: str | None,
                               page_size: int | None) -> list[PromotionChoice]:
        """Live promotions that reach the product (``slug``), with what one full set of it would save."""
        if page_size is not None and page_size < 1:
            raise InvalidValue(f"page_size must be at least 1, not {page_size}", field="page_size", value=page_size)
        ctx = await self.carts.context(scope)
        found = []
        for offer in ctx.offers.promotions:
            if not offer.live_at(ctx.now) or (group and offer.group_name != group):
                continue
            saving = ZERO
            if slug is not None:
                one = self._product_units(ctx, slug, store_id)
                if not offer.reaches(one[0]):
                    continue
                units = self._product_units(ctx, slug, store_id, quantity=max(t.group for t in offer.tiers))
                result, _ = evaluate(offer, units, sum((u.price for u in units), ZERO), len(units))
                saving = result.total if result is not None else ZERO
            found.append(PromotionChoice(offer, saving))
        return found[:page_size] if page_size else found

    async def payment_offers(self, cart: Cart) -> list[PromotionChoice]:
        """Live promotions tied to payment modes that this cart qualifies for, with their saving."""
        ctx = await self.carts.context(cart.scope)
        priced = self.carts.price(cart, ctx)
        units = self.carts.units(priced.lines)
        value = sum((u.price for u in units), ZERO)
        found = []
        for offer in ctx.offers.promotions:
            if not offer.payment_codes or not offer.live_at(ctx.now):
                continue
            result, _ = evaluate(offer, units, value, len(units))
            if result is not None:
                found.append(PromotionChoice(offer, result.total))
        return found

    async def validate_for_payment(self, cart: Cart, payment_mode: str | None,
                                   *identifiers: str | None) -> PaymentCheck:
        """Whether the cart's coupon holds for this payment mode (a cart without a coupon always does)."""
        priced = await self.carts.priced(cart)
        coupon = priced.coupon
        if coupon is None:
            return PaymentCheck(True, "", "", ZERO, "no coupon is applied")
        applied = priced.offers.coupon
        if applied is None:
            return PaymentCheck(False, coupon.code, coupon.title, ZERO, priced.offers.coupon_message)
        offered = {str(x).upper() for x in (payment_mode, *identifiers) if x}
        if coupon.payment_codes and not coupon.payment_codes & offered:
            return PaymentCheck(False, coupon.code, coupon.title, ZERO,
                                f"coupon {coupon.code} is valid only with {', '.join(sorted(coupon.payment_codes))}")
        return PaymentCheck(True, coupon.code, coupon.title, applied.total, f"coupon {coupon.code} is valid")


def _with_coupon(cart: Cart, code: str) -> Cart:
    return replace(cart, coupon_code=code)
