"""Carts and what can be done to them: add, update, remove, move, describe, price.

``CartService`` is the cart core, over the catalog and the state port (``state.SandboxState``). Reads
hand out copies; every change runs in one ``atomically`` transaction that reads the cart, checks all its
input, and saves what it changed, so a refused request (or a failure part-way) leaves everything as it
was. Prices are computed by ``price`` from the cart and a ``PricingContext`` (the application's offers,
its company's stock taken, its cart configuration, the time), read once per request.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from . import faults
from .cart_config import delivery_rules_of, limit_refusal
from .catalog import Article, Catalog, PinCode, Product, Store
from .errors import InvalidValue, LimitReached, NotFound, OutOfStock, Refused
from .inputs import CartMetaInput
from .money import ZERO, money
from .offers import Offer, OfferOutcome, Unit, apply_offers
from .pricing import HOME_DELIVERY, PICK_AT_STORE, Breakup, DeliveryRule, LinePrice, breakup, price_line

if TYPE_CHECKING:
    from .runtime import Clock, Ids
    from .state import Changes, SandboxState

T = TypeVar("T")

Scope = tuple[str, str]  # (company_id, application_id)

UPDATE_ITEM = "update_item"
REMOVE_ITEM = "remove_item"
OPERATIONS = (UPDATE_ITEM, REMOVE_ITEM)
SORTABLE = ("created_on", "last_modified")
GSTIN = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
PAN = re.compile(r"^[A-Z]{5}[0-9]{4}[A-Z]$")

@dataclass
class CartLine:
    identifier: str
    article_id: str
    item_id: int
    size: str
    store_uid: int
    seller_uid: int
    quantity: int
    meta: dict = field(default_factory=dict)
    extra_meta: dict = field(default_factory=dict)
    custom_json: dict = field(default_factory=dict)
    parent_item_identifiers: dict = field(default_factory=dict)
    product_group_tags: list = field(default_factory=list)
    display: str | None = None

    def move_to(self, article: Article) -> None:
        """The line is now for ``article`` (same item and size, another store)."""
        self.article_id, self.store_uid, self.seller_uid = article.article_id, article.store_uid, article.seller_uid


@dataclass
class Cart:
    id: str
    cart_id: int
    scope: Scope
    user_id: str | None
    buy_now: bool
    created_on: datetime
    last_modified: datetime
    lines: list[CartLine] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    coupon_code: str | None = None
    auto_coupons_declined: bool = False    # the customer removed a coupon: auto-apply coupons stay off
    adjustments: list = field(default_factory=list)   # of adjustments.Adjustment
    order_type: str | None = None          # HomeDelivery / PickAtStore, as chosen for the shipments
    address_id: str | None = None          # the shipping address selected for the cart
    billing_address_id: str | None = None
    payment: dict | None = None            # the selected payment mode and its identifiers
    order_id: str | None = None            # set by checkout: the cart is closed
    checked_out_on: datetime | None = None


@dataclass(frozen=True)
class ItemRequest:
    """One item of an add-to-cart request; ``where`` is its JSON path, for messages."""

    where: str
    item_id: int | None
    size: str | None
    quantity: int = 1
    store_id: int | None = None
    seller_id: int | None = None
    article_id: str | None = None
    extras: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LineUpdate:
    """One item of an update request, addressed by the cart's line identifier."""

    where: str
    identifier: str
    quantity: int | None = None
    size: str | None = None
    extras: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ItemOutcome:
    item_id: int | None
    size: str | None
    store_id: int | None
    success: bool
    message: str


@dataclass(frozen=True)
class Availability:
    is_valid: bool
    out_of_stock: bool
    deliverable: bool
    other_store_quantity: int
    sizes: tuple[str, ...]
    available_sizes: tuple[tuple[str, bool], ...]
    message: str


@dataclass(frozen=True)
class PricedLine:
    line: CartLine
    article: Article
    product: Product
    store: Store
    price: LinePrice
    availability: Availability
    repriced: bool = False   # its article's prices are not the catalog's (the forced fault price-changed)


@dataclass(frozen=True)
class Promise:
    """Delivery window as instants; the serializer renders the documented three forms."""

    min: datetime
    max: datetime


@dataclass(frozen=True)
class PricedCart:
    cart: Cart
    lines: tuple[PricedLine, ...]
    breakup: Breakup
    order_type: str
    is_valid: bool
    message: str
    delivery_charge_rules: tuple[DeliveryRule, ...]
    offers: OfferOutcome
    coupon: Offer | None = None


@dataclass(frozen=True)
class ChangeResult:
    priced: PricedCart
    outcomes: tuple[ItemOutcome, ...]
    success: bool
    partial: bool
    message: str


@dataclass(frozen=True)
class Quote:
    """Items priced without a cart (validate, serviceability)."""

    lines: tuple[PricedLine, ...]
    offers: OfferOutcome
    problems: tuple[str, ...]
    breakup: Breakup
    promise: Promise | None
    is_valid: bool
    message: str


@dataclass(frozen=True)
class DeliveryModes:
    available_modes: tuple[str, ...]
    pickup_stores: tuple[int, ...]


@dataclass(frozen=True)
class ScopeOffers:
    """An application's coupons and promotions, parsed."""

    promotions: tuple[Offer, ...] = ()
    coupons: tuple[Offer, ...] = ()
    by_code: Mapping[str, Offer] = field(default_factory=dict)   # casefolded code → coupon holding it

    def coupon(self, code: str) -> Offer | None:
        return self.by_code.get(code.casefold())


NO_OFFERS = ScopeOffers()


class OfferSource(Protocol):
    """Where the cart finds the coupons and promotions of its application (``offer_book.OfferIndex``)."""

    async def of(self, scope: Scope, view) -> ScopeOffers: ...


class ConfigSource(Protocol):
    """Where the cart finds its application's cart configuration (``cart_config.CartConfigs``)."""

    async def active(self, scope: Scope, view) -> dict | None:
        """The configuration document while it is enabled (None: no limits, the setting's delivery rules)."""


class PricingContext(NamedTuple):
    """What pricing a cart of one application needs besides the cart, read once (a named tuple: one is made
    for every request that prices a cart), with how the business fault the request forces changes the world
    (set by ``CartService._faulted``; pricing and the PIN code check apply it)."""

    now: datetime
    offers: ScopeOffers
    taken: Mapping[str, int]             # article id → units the company's checkouts took
    rules: tuple[DeliveryRule, ...]      # delivery charges
    config: dict | None                  # the enabled cart configuration (limits), if any
    cod_charge: Decimal
    repriced: bool = False               # prices moved (the forced fault price-changed)
    unserviceable: bool = False          # no PIN code is served (the forced fault unserviceable)

    def stock(self, article: Article) -> int:
        """Units of ``article`` the company can still sell."""
        return article.stock - self.taken.get(article.article_id, 0)

    def cheapest(self, articles: Iterable[Article], quantity: int = 1, held: Mapping[str, int] | None = None,
                 store: int | None = None) -> Article | None:
        """The one rule for choosing where units come from: of ``articles`` that can still sell ``quantity`` more
        units (beyond ``held``, article id → units already held), the one in ``store`` if there is one, else the
        cheapest (by selling price, then store uid); None when none can."""
        held = held or {}
        fitting = [a for a in articles if held.get(a.article_id, 0) + quantity <= self.stock(a)]
        return min(fitting, key=lambda a: (a.store_uid != store, cheapness(a)), default=None)

    def cheapest_or_any(self, articles: Sequence[Article], quantity: int = 1) -> Article:
        """The cheapest of ``articles`` that has ``quantity`` units left, else the cheapest of them (a quote or
        a preview that shows the shortage rather than refusing)."""
        return self.cheapest(articles, quantity) or min(articles, key=cheapness)


def cheapness(article: Article) -> tuple[Decimal, int]:
    """The order articles are chosen in: selling price, then store uid."""
    return article.effective, article.store_uid


class _SoldOut(Mapping):
    """Stock taken as the forced fault out-of-stock has it: every article's whole stock."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def __getitem__(self, article_id: str) -> int:
        article = self._catalog.article(article_id)
        if article is None:
            raise KeyError(article_id)
        return article.stock

    def __iter__(self):
        return (a.article_id for a in self._catalog.articles)

    def __len__(self) -> int:
        return len(self._catalog.articles)


def _expired(offers: ScopeOffers, now: datetime) -> ScopeOffers:
    """``offers`` with every coupon expired the day before ``now`` (the forced fault coupon-expired)."""
    end = now - timedelta(days=1)
    expired = {id(c): replace(c, end=end, start=min(c.start, end) if c.start else None) for c in offers.coupons}
    return ScopeOffers(offers.promotions, tuple(expired[id(c)] for c in offers.coupons),
                       {code: expired[id(c)] for code, c in offers.by_code.items()})


class CartService:
    """The cart core over one catalog and the state port."""

    def __init__(self, catalog: Catalog, state: SandboxState, ids: Ids, clock: Clock,
                 delivery_rules: Sequence[DeliveryRule], offers: OfferSource | None = None,
                 configs: ConfigSource | None = None, cod_charge: Decimal = ZERO,
                 max_listed: int = 1000, cart_ttl: timedelta | None = None) -> None:
        self.catalog = catalog
        self.state = state
        self.ids = ids
        self.clock = clock
        self.delivery_rules = tuple(delivery_rules)
        self.offers = offers
        self.configs = configs
        self.cod_charge = cod_charge
        self.max_listed = max_listed
        self.cart_ttl = cart_ttl
        self._contexts: dict[Scope, tuple[Any, PricingContext]] = {}   # see context

    def _live(self, cart: Cart | None) -> Cart | None:
        """``cart``, unless it has been idle longer than the cart time-to-live (then it is gone)."""
        if cart is None or self.cart_ttl is None or self.clock.now() - cart.last_modified <= self.cart_ttl:
            return cart
        return None

    # ------------------------------------------------------------------ the context of a price
    async def context(self, scope: Scope, view=None) -> PricingContext:
        """What pricing the application's carts needs, read through ``view`` (the state, or a transaction).

        What was read for the application is reused while the state's stamp of what it was read from has not
        moved (every request that prices a cart asks); a view that cannot tell (a transaction that has
        written) reads it afresh."""
        view = self.state if view is None else view
        stamp = await view.pricing_stamp(scope)
        if stamp is not None:
            kept = self._contexts.get(scope)
            if kept is not None and kept[0] == stamp:
                return self._faulted(kept[1]._replace(now=self.clock.now()))
        offers = await self.offers.of(scope, view) if self.offers is not None else NO_OFFERS
        config = await self.configs.active(scope, view) if self.configs is not None else None
        context = PricingContext(self.clock.now(), offers, await view.stock.taken(scope[0]), self._rules(config),
                                 config, self.cod_charge)
        if stamp is not None:
            if len(self._contexts) >= 1024:   # applications are many only under a flood: start over
                self._contexts.clear()
            self._contexts[scope] = (stamp, context)
        return self._faulted(context)

    def _faulted(self, context: PricingContext) -> PricingContext:
        """``context`` as the business fault the request forces, if any, changes the world (faults.py)."""
        fault = faults.FORCED.get()
        if fault is None:
            return context
        if fault == faults.OUT_OF_STOCK:
            return context._replace(taken=_SoldOut(self.catalog))
        if fault == faults.PRICE_CHANGED:
            return context._replace(repriced=True)
        if fault == faults.UNSERVICEABLE:
            return context._replace(unserviceable=True)
        if fault == faults.COUPON_EXPIRED:
            return context._replace(offers=_expired(context.offers, context.now))
        return context

    def _rules(self, config: dict | None) -> tuple[DeliveryRule, ...]:
        """The application's delivery rules: its cart configuration's, else the ``delivery_rules`` setting."""
        rules = delivery_rules_of(config) if config else None
        return self.delivery_rules if rules is None else rules

    async def atomically(self, fn: Callable[[Changes], Awaitable[T]]) -> T:
        return await self.state.atomically(fn)

    # ------------------------------------------------------------------ finding carts
    async def get(self, scope: Scope, cart_id: str, view=None) -> Cart | None:
        """The cart with ``cart_id``: a stored one, or a fresh one a read showed (see ``find``); else None."""
        view = self.state if view is None else view
        return self._live(await view.carts.get(scope, cart_id)) or await self._shown_fresh_cart(scope, cart_id, view)

    async def find(self, scope: Scope, cart_id: str | None, user_id: str | None = None,
                   buy_now: bool = False, create: bool = False, view=None) -> Cart:
        """The cart named by ``cart_id``, else the user's active cart, else (``create``) a user-less one.

        A user without an active cart gets a fresh empty one that is not stored until a change saves it
        (so reading creates nothing); its id is the one that first change gives it."""
        view = self.state if view is None else view
        if cart_id:
            cart = await self.get(scope, cart_id, view)
            if cart is None:
                raise NotFound(f"cart {cart_id} not found", field="id", value=cart_id)
            return cart
        if user_id:
            cart, generation = await view.carts.owned(scope, user_id, buy_now)
            cart = self._live(cart)
            if cart is None:
                cart = self._new_cart(scope, user_id, buy_now, generation, await self.state.epoch())
                if view is self.state:   # a read shows it: remember, so it can be named by id (a change stores it)
                    await self.state.note_fresh_cart(scope, cart.id, (user_id, buy_now, generation))
            return cart
        if create:
            return self._new_cart(scope, None, buy_now)
        raise InvalidValue("either id (cart id) or user_id is required", field="id")

    async def _shown_fresh_cart(self, scope: Scope, cart_id: str, view) -> Cart | None:
        """The fresh cart a read showed with ``cart_id``, while it is still the user's next cart (and the
        state still remembers showing it)."""
        shown = await self.state.fresh_cart(scope, cart_id)
        if shown is None:
            return None
        user_id, buy_now, generation = shown
        if generation != await view.carts.generation(scope, user_id, buy_now):
            return None   # stored since, or another cart took its place
        return self._new_cart(scope, user_id, buy_now, generation, await self.state.epoch())

    async def all(self, scope: Scope, view=None) -> list[Cart]:
        """Every live cart of the application (bounded by the cart caps)."""
        return [c for c in await (self.state if view is None else view).carts.all(scope) if self._live(c)]

    async def sweep(self, scope: Scope) -> int:
        """Forget the application's carts idle longer than the time-to-live; how many went."""
        if self.cart_ttl is None:
            return 0

        async def change(tx: Changes) -> int:
            idle = [c for c in await tx.carts.all(scope) if self._live(c) is None]
            for cart in idle:
                await tx.carts.remove(cart)
            return len(idle)
        return await self.atomically(change)

    async def cart_to_add_to(self, scope: Scope, cart_id: str | None, user_id: str | None, buy_now: bool,
                             new_cart: bool = False, view=None) -> Cart:
        """The cart an add request fills: the named one, the user's, a new one (``new_cart``) or a user-less one."""
        view = self.state if view is None else view
        if new_cart and not cart_id:
            generation = await view.carts.generation(scope, user_id, buy_now) if user_id else 0
            return self._new_cart(scope, user_id, buy_now, generation, await self.state.epoch())
        return await self.find(scope, cart_id, user_id, buy_now, create=True, view=view)

    async def find_by_number(self, scope: Scope, number: int, view=None) -> Cart:
        """The cart whose small integer id (``cart_id``/``uid``) is ``number``."""
        view = self.state if view is None else view
        cart = next((c for c in await self.all(scope, view) if c.cart_id == number), None)
        if cart is None:
            raise NotFound(f"uid: no cart {number}", field="uid", value=number)
        return cart

    def transient(self, scope: Scope) -> Cart:
        """An empty cart that is never stored, for questions asked without a cart."""
        now = self.clock.now()
        return Cart(id="", cart_id=0, scope=scope, user_id=None, buy_now=False, created_on=now, last_modified=now)

    async def require(self, scope: Scope, cart_id: str | None, buy_now: bool = False, view=None) -> Cart:
        """The cart named by ``cart_id``, which these operations require."""
        if not cart_id:
            raise InvalidValue("id (cart id) is required", field="id")
        return await self.find(scope, cart_id, buy_now=buy_now, view=view)

    def _new_cart(self, scope: Scope, user_id: str | None, buy_now: bool, generation: int = 0,
                  epoch: int = 0) -> Cart:
        """A fresh empty cart, not stored (``store`` stores it with its first change).

        A user's next cart has an id derived from the user and how many carts they have had, so every
        read before the first change shows the id that change gives it; a user-less cart gets a fresh id.
        Its small number (``cart_id``) is 0 until it is stored."""
        now = self.clock.now()
        cart_id = (self.ids.user_cart_id(scope, user_id, buy_now, generation, epoch) if user_id is not None
                   else self.ids.object_id())
        return Cart(id=cart_id, cart_id=0, scope=scope, user_id=user_id, buy_now=buy_now, created_on=now,
                    last_modified=now)

    # ------------------------------------------------------------------ storing
    async def store(self, tx: Changes, cart: Cart, previous: Cart | None = None) -> None:
        """Save ``cart`` in the transaction: a fresh cart is created (within the caps, with its number).
        ``previous`` (the cart as read) is needed only where the change adds or removes price adjustments."""
        if cart.cart_id:
            tx.carts.save(cart, previous)
            return
        caps = self.state.caps
        if caps.carts_per_application and await tx.carts.count(cart.scope) >= caps.carts_per_application:
            raise LimitReached(f"carts_per_application: application {cart.scope[1]} holds "
                               f"{caps.carts_per_application} carts, the most it may (archive some, or start the "
                               f"sandbox with a higher --carts-per-application)", field="carts_per_application",
                               value=caps.carts_per_application)
        if caps.carts and await self.state.cart_total() >= caps.carts:
            raise LimitReached(f"max_carts: the sandbox holds {caps.carts} carts, the most it may (archive some, "
                               f"reset, or start it with a higher --max-carts)", field="max_carts", value=caps.carts)
        cart.cart_id = await self.state.next_number("cart", ordered=False)
        await tx.carts.create(cart)

    # ------------------------------------------------------------------ reading
    async def priced(self, cart: Cart, order_type: str | None = None, view=None) -> PricedCart:
        """The cart with prices, promotions, its coupon, its price adjustments and totals, as of now."""
        return self.price(cart, await self.context(cart.scope, view), order_type)

    def price(self, cart: Cart, ctx: PricingContext, order_type: str | None = None,
              adjustments: list | None = None) -> PricedCart:
        """``priced``, with the context given (``adjustments``: instead of the cart's own)."""
        order_type = order_type or cart.order_type or HOME_DELIVERY
        lines = tuple(self.priced_line(line, ctx) for line in cart.lines)
        coupon = ctx.offers.coupon(cart.coupon_code) if cart.coupon_code else None
        now = ctx.now
        units, promotions, mode = self.units(lines), ctx.offers.promotions, (cart.payment or {}).get("mode")
        outcome = apply_offers(units, promotions, coupon, now, cart.user_id, mode)
        if coupon is None and not cart.auto_coupons_declined and lines:
            coupon, outcome = self._auto_coupon(cart, ctx.offers, units, promotions, now, mode, outcome)
        live = [a for a in (cart.adjustments if adjustments is None else adjustments) if a.active_at(now)]
        cod = ctx.cod_charge if lines and mode == "COD" else ZERO
        totals = self._totals(lines, outcome, order_type,
                              sum((a.value for a in live if a.type == "discount"), ZERO),
                              sum((a.value for a in live if a.type == "charge"), ZERO), cod, ctx.rules)
        invalid = [p for p in lines if not p.availability.is_valid]
        message = invalid[0].availability.message if invalid else ""
        return PricedCart(cart, lines, totals, order_type, not invalid, message, ctx.rules, outcome, coupon)

    def _auto_coupon(self, cart: Cart, offers: ScopeOffers, units, promotions, now, mode, without: OfferOutcome):
        """The live ``auto_apply`` coupon that takes the most off this cart (ties: the first code; a shipping
        coupon, which takes nothing off the goods, ranks last), with its outcome; ``(None, without)`` when
        none applies."""
        best: tuple[Decimal, str, Offer, OfferOutcome] | None = None
        gross = None
        for offer in offers.coupons:
            if not offer.auto_apply or not offer.live_at(now) or (offer.users and cart.user_id not in offer.users):
                continue
            # Promotions only lower the cart's value and never change its units: a coupon whose minimum the
            # undiscounted value misses, or whose unit bounds the cart misses, cannot apply (and every priced
            # cart asks, so it is not worked out in full).
            gross = sum((u.price for u in units), ZERO) if gross is None else gross
            low = offer.cart_value.low
            if (low is not None and gross < low) or not offer.cart_quantity.holds(Decimal(len(units))):
                continue
            outcome = apply_offers(units, promotions, offer, now, cart.user_id, mode)
            if outcome.coupon is None or (outcome.coupon.total <= ZERO and not outcome.coupon.shipping):
                continue
            if best is None or (outcome.coupon.total, best[1]) > (best[0], offer.code):
                best = (outcome.coupon.total, offer.code, offer, outcome)
        return (best[2], best[3]) if best else (None, without)

    def _totals(self, lines: Sequence[PricedLine], outcome: OfferOutcome, order_type: str = HOME_DELIVERY,
                adjustment_discount=ZERO, adjustment_charge=ZERO, cod_charge=ZERO, rules=None) -> Breakup:
        shipping = outcome.shipping.value if outcome.shipping is not None else None
        # A discount adjustment never takes the goods below zero (it was checked when added; prices may change).
        room = sum((p.price.effective for p in lines), ZERO) - outcome.promotion_total - outcome.coupon_total
        return breakup((p.price for p in lines), self.delivery_rules if rules is None else rules, order_type,
                       coupon=outcome.coupon_total,
                       promotion=outcome.promotion_total, shipping_cap=shipping,
                       adjustment_discount=min(adjustment_discount, max(room, ZERO)),
                       adjustment_charge=adjustment_charge, cod_charge=cod_charge)

    def units(self, lines: Iterable[PricedLine], *, within: PricingContext | None = None) -> list[Unit]:
        """Each unit of each line, as offers see it; ``within`` (a context): no more of a line than its
        article has for sale there (a quote may ask for any int32 quantity, and offers look at every unit)."""
        return [Unit(line=p.line.identifier, item_id=p.product.uid, size=p.article.size, brand=p.product.brand_uid,
                     categories=p.product.category_uids, store=p.article.store_uid, article=p.article.article_id,
                     price=p.article.effective)
                for p in lines
                for _ in range(min(p.line.quantity, max(within.stock(p.article), 0))
                               if within is not None else p.line.quantity)]

    def priced_line(self, line: CartLine, ctx: PricingContext) -> PricedLine:
        """``line`` priced, with its availability in the context's stock."""
        article = self.catalog.known_article(line.article_id)
        if ctx.repriced:
            article = replace(article, marked=money(article.marked * faults.PRICE_CHANGE),
                              effective=money(article.effective * faults.PRICE_CHANGE))
        product = self.catalog.known_product(line.item_id)
        return PricedLine(line, article, product, self.catalog.known_store(article.store_uid),
                          price_line(article, line.quantity, product.gst_percent),
                          self._availability(product, article, line.quantity, ctx.taken), ctx.repriced)

    def _availability(self, product: Product, article: Article, quantity: int,
                      taken: Mapping[str, int]) -> Availability:
        # One pass over the product's articles (this runs for every line of every cart read); the
        # article's own size is walked even where a catalog file leaves it out of the product's sizes.
        articles_for, held = self.catalog.articles_for, taken.get
        stock, others, sizes = article.stock - held(article.article_id, 0), 0, list[tuple[str, bool]]()
        for size in dict.fromkeys((*product.sizes, article.size)):
            available = False
            for a in articles_for(product.uid, size):
                left = a.stock - held(a.article_id, 0)
                available = available or left > 0
                if size == article.size and a.article_id != article.article_id:
                    others += left
            if size in product.sizes:
                sizes.append((size, available))
        if stock == 0:
            message = f"item {product.uid} size {article.size} is out of stock"
        elif quantity > stock:
            message = f"only {stock} left of item {product.uid} size {article.size}"
        else:
            message = ""
        return Availability(is_valid=not message, out_of_stock=stock == 0, deliverable=True,
                            other_store_quantity=others, sizes=product.sizes, available_sizes=tuple(sizes),
                            message=message)

    @staticmethod
    def count(cart: Cart) -> int:
        """Units in the cart: the sum of line quantities."""
        return sum(line.quantity for line in cart.lines)

    async def list_carts(self, scope: Scope, from_date: datetime | None, to_date: datetime | None,
                         filter_on: str | None) -> list[tuple[Cart, PricedCart]]:
        """Open carts of the application, filtered on and sorted (newest first) by ``filter_on``; at most
        ``max_listed`` of them (the newest)."""
        column = filter_on or "created_on"
        if column not in SORTABLE:
            raise InvalidValue(f"filter_on must be one of {', '.join(SORTABLE)}, not {column!r}",
                               field="filter_on", value=column)
        chosen = [c for c in await self.all(scope) if c.order_id is None   # checked-out carts are orders
                  and (from_date is None or getattr(c, column) >= from_date)
                  and (to_date is None or getattr(c, column) <= to_date)]
        chosen.sort(key=lambda c: (getattr(c, column), c.cart_id), reverse=True)
        ctx = await self.context(scope)
        return [(c, self.price(c, ctx)) for c in chosen[:self.max_listed]]

    # ------------------------------------------------------------------ changing
    async def add(self, scope: Scope, cart_id: str | None, user_id: str | None, buy_now: bool,
                  items: Sequence[ItemRequest], order_type: str | None = None, new_cart: bool = False,
                  replace_lines: bool = False) -> ChangeResult:
        """Add items to the cart an add request names (see ``cart_to_add_to``), in one transaction."""
        async def change(tx: Changes) -> ChangeResult:
            cart = await self.cart_to_add_to(scope, cart_id, user_id, buy_now, new_cart, view=tx)
            return await self.add_items(tx, cart, items, order_type, replace_lines)
        return await self.atomically(change)

    async def add_items(self, tx: Changes, cart: Cart, items: Sequence[ItemRequest], order_type: str | None = None,
                        replace_lines: bool = False) -> ChangeResult:
        """Add each item that can be added to ``cart`` (read in ``tx``); items that cannot are reported, not added.

        With ``replace_lines`` the items replace what the cart held (a buy-now cart always does).
        When no item can be added, the first item's error is raised and nothing changes.
        """
        if not items:
            raise InvalidValue("items: at least one item is required", field="items")
        ctx = await self.context(cart.scope, tx)
        lines = [] if replace_lines or cart.buy_now else [replace(line) for line in cart.lines]
        outcomes, errors = [], []
        for item in items:
            try:
                article = self._add_one(lines, item, ctx)
            except (InvalidValue, NotFound, OutOfStock) as exc:
                errors.append(exc)
                outcomes.append(ItemOutcome(item.item_id, item.size, item.store_id, False, exc.message))
            else:
                outcomes.append(ItemOutcome(item.item_id, item.size, article.store_uid, True, "Added to cart"))
        if len(errors) == len(items):
            raise errors[0]
        self.set_lines(cart, lines, ctx)
        await self.store(tx, cart)
        partial = bool(errors)
        message = (f"{len(items) - len(errors)} of {len(items)} items added to cart" if partial
                   else "Added to cart")
        return ChangeResult(self.price(cart, ctx, order_type), tuple(outcomes), not partial, partial, message)

    def _add_one(self, lines: list[CartLine], item: ItemRequest, ctx: PricingContext) -> Article:
        """Add ``item`` to ``lines`` from the cheapest store that has the stock; the article used."""
        if item.quantity < 1:
            raise InvalidValue(f"{item.where}.quantity must be at least 1, not {item.quantity}",
                               field=f"{item.where}.quantity", value=item.quantity)
        product, size = self._product_size(item.where, item.item_id, item.size, "item_size")
        candidates = self._candidates(item, product, size)
        if not candidates:
            raise OutOfStock(f"{item.where}.item_size: item {product.uid} size {size} is sold by no store",
                             field=f"{item.where}.item_size", value=size)
        held = {line.article_id: line.quantity for line in lines}
        article = ctx.cheapest(candidates, item.quantity, held)
        if article is None:
            most = max(ctx.stock(a) - held.get(a.article_id, 0) for a in candidates)
            raise OutOfStock(
                f"{item.where}.quantity: only {max(most, 0)} more of item {product.uid} size {size} can be added"
                f" ({item.quantity} asked for)", field=f"{item.where}.quantity", value=item.quantity)
        for line in lines:
            if line.article_id == article.article_id and line.parent_item_identifiers == item.extras.get(
                    "parent_item_identifiers", {}):
                line.quantity += item.quantity
                line.meta = {**line.meta, **(item.extras.get("meta") or {})}
                return article
        lines.append(CartLine(identifier=self.ids.line_identifier(), article_id=article.article_id,
                              item_id=product.uid, size=size, store_uid=article.store_uid,
                              seller_uid=article.seller_uid, quantity=item.quantity, **item.extras))
        return article

    def _product_size(self, where: str, item_id: int | None, size: str | None, size_key: str) -> tuple[Product, str]:
        product = self.catalog.product(item_id) if item_id is not None else None
        if product is None:
            raise NotFound(f"{where}.item_id: no item {item_id} in the catalog", field=f"{where}.item_id",
                           value=item_id)
        if size not in product.sizes:
            raise InvalidValue(f"{where}.{size_key}: item {product.uid} is not sold in size {size!r}"
                               f" (sizes: {', '.join(product.sizes)})", field=f"{where}.{size_key}", value=size)
        return product, size

    def _candidates(self, item: ItemRequest, product: Product, size: str) -> list[Article]:
        articles = self.catalog.articles_for(product.uid, size)
        if item.article_id is not None:
            articles = [a for a in articles if a.article_id == item.article_id]
            if not articles:
                raise NotFound(f"{item.where}.article_id: no article {item.article_id} of item {product.uid}"
                               f" size {size}", field=f"{item.where}.article_id", value=item.article_id)
        if item.store_id is not None:
            articles = [a for a in articles if a.store_uid == item.store_id]
            if not articles:
                raise NotFound(f"{item.where}.store_id: store {item.store_id} does not sell item {product.uid}"
                               f" size {size}", field=f"{item.where}.store_id", value=item.store_id)
        if item.seller_id is not None:
            articles = [a for a in articles if a.seller_uid == item.seller_id]
            if not articles:
                raise NotFound(f"{item.where}.seller_id: seller {item.seller_id} does not sell item {product.uid}"
                               f" size {size}", field=f"{item.where}.seller_id", value=item.seller_id)
        return articles

    async def update(self, scope: Scope, cart_id: str | None, user_id: str | None, buy_now: bool, operation: str,
                     updates: Sequence[LineUpdate], order_type: str | None = None) -> ChangeResult:
        """Change the lines of the cart an update request names, in one transaction (all or nothing)."""
        async def change(tx: Changes) -> ChangeResult:
            cart = await self.find(scope, cart_id, user_id, buy_now, view=tx)
            return await self.update_items(tx, cart, operation, updates, order_type)
        return await self.atomically(change)

    async def update_items(self, tx: Changes, cart: Cart, operation: str, updates: Sequence[LineUpdate],
                           order_type: str | None = None) -> ChangeResult:
        """Change quantities or sizes (``update_item``) or drop lines (``remove_item``); all or nothing."""
        if operation not in OPERATIONS:
            raise InvalidValue(f"operation must be one of {', '.join(OPERATIONS)}, not {operation!r}",
                               field="operation", value=operation)
        if not updates:
            raise InvalidValue("items: at least one item is required", field="items")
        ctx = await self.context(cart.scope, tx)
        lines = [replace(line) for line in cart.lines]
        outcomes = []
        for update in updates:
            index = next((i for i, line in enumerate(lines) if line.identifier == update.identifier), None)
            if index is None:
                raise NotFound(f"{update.where}.identifiers.identifier: no line {update.identifier!r} in cart"
                               f" {cart.id}", field=f"{update.where}.identifiers.identifier", value=update.identifier)
            line = lines[index]
            if operation == REMOVE_ITEM or update.quantity == 0:
                del lines[index]
                size, message = line.size, "Item removed from cart"
            else:
                lines[index] = self._updated_line(lines, line, update, ctx)
                size, message = lines[index].size, "Item updated in cart"
            outcomes.append(ItemOutcome(line.item_id, size, line.store_uid, True, message))
        self.set_lines(cart, lines, ctx)
        await self.store(tx, cart)
        message = "Item removed from cart" if operation == REMOVE_ITEM else "Cart updated"
        return ChangeResult(self.price(cart, ctx, order_type), tuple(outcomes), True, False, message)

    def _updated_line(self, lines: list[CartLine], line: CartLine, update: LineUpdate,
                      ctx: PricingContext) -> CartLine:
        quantity = line.quantity if update.quantity is None else update.quantity
        if quantity < 0:
            raise InvalidValue(f"{update.where}.quantity must be at least 0, not {quantity}",
                               field=f"{update.where}.quantity", value=quantity)
        article = self.catalog.known_article(line.article_id)
        if update.size is not None and update.size != line.size:
            product, size = self._product_size(update.where, line.item_id, update.size, "item_size")
            options = self.catalog.articles_for(product.uid, size)
            # Same store when it can serve the quantity, else the cheapest store that can.
            chosen = ctx.cheapest(options, quantity, store=line.store_uid)
            if chosen is None:
                raise OutOfStock(f"{update.where}.quantity: only {max((ctx.stock(a) for a in options), default=0)}"
                                 f" of item {product.uid} size {size} in stock ({quantity} asked for)",
                                 field=f"{update.where}.quantity", value=quantity)
            article = chosen
        elsewhere = sum(other.quantity for other in lines if other.article_id == article.article_id
                        and other.identifier != line.identifier)
        if quantity + elsewhere > ctx.stock(article):
            raise OutOfStock(f"{update.where}.quantity: only {ctx.stock(article) - elsewhere} of item {line.item_id}"
                             f" size {article.size} in stock ({quantity} asked for)",
                             field=f"{update.where}.quantity", value=quantity)
        changed = replace(line, quantity=quantity, article_id=article.article_id, size=article.size,
                          store_uid=article.store_uid, seller_uid=article.seller_uid)
        for key, value in update.extras.items():
            setattr(changed, key, value)
        return changed

    @staticmethod
    def writable(cart: Cart) -> Cart:
        """``cart``, unless checkout closed it (then Refused: a new cart starts on the next add)."""
        if cart.order_id is not None:
            raise Refused(f"cart {cart.id} is checked out (order {cart.order_id}); add items to start a new cart",
                          field="id", value=cart.id)
        return cart

    def set_lines(self, cart: Cart, lines: list[CartLine], ctx: PricingContext, *,
                  order_type: str | None = None) -> None:
        """Give the cart ``lines`` (and ``order_type``, when given), once the cart is writable and within its
        application's configured limits; the caller stores it."""
        self.writable(cart)
        if ctx.config:
            after = replace(cart, lines=lines)
            refusal = limit_refusal(ctx.config, self.count(cart), self.count(after),
                                    lambda: self.price(cart, ctx).breakup.vog, lambda: self.price(after, ctx).breakup.vog)
            if refusal is not None:
                raise refusal
        cart.lines = lines
        if order_type is not None:
            cart.order_type = order_type
        cart.last_modified = self.clock.now()

    async def archive(self, scope: Scope, cart_ids: Sequence[str]) -> int:
        """Remove the named carts (all of them, or none when one is unknown)."""
        if not cart_ids:
            raise InvalidValue("id or cart_id_list is required", field="cart_id_list")

        async def change(tx: Changes) -> int:
            carts = [await self.find(scope, cart_id, view=tx) for cart_id in dict.fromkeys(cart_ids)]
            for cart in carts:
                if cart.cart_id:   # a fresh cart was never stored: nothing to remove
                    await tx.carts.remove(cart)
            return len(carts)
        return await self.atomically(change)

    async def move_to_user(self, scope: Scope, cart_id: str | None, user_id: str) -> Cart:
        """Give the cart to ``user_id``; it becomes that user's active cart."""
        if not user_id.strip():
            raise InvalidValue("user_id must not be empty", field="user_id", value=user_id)

        async def change(tx: Changes) -> Cart:
            cart = self.writable(await self.require(scope, cart_id, view=tx))
            cart.user_id = user_id
            cart.last_modified = self.clock.now()
            await self.store(tx, cart)
            return cart
        return await self.atomically(change)

    async def update_meta(self, scope: Scope, cart_id: str | None, buy_now: bool, meta: CartMetaInput) -> Cart:
        """Store the cart's meta fields, checking the GSTIN and PAN formats first."""
        for key, pattern, value in (("gstin", GSTIN, meta.gstin), ("pan_no", PAN, meta.pan_no)):
            if value not in (None, "") and not (isinstance(value, str) and pattern.match(value)):
                raise InvalidValue(f"{key}: {value!r} is not a valid {key.split('_')[0].upper()}",
                                   field=key, value=value)

        async def change(tx: Changes) -> Cart:
            cart = self.writable(await self.require(scope, cart_id, buy_now, view=tx))
            cart.meta.update(meta.fields)
            cart.last_modified = self.clock.now()
            await self.store(tx, cart)
            return cart
        return await self.atomically(change)

    # ------------------------------------------------------------------ quotes without a cart
    async def quote(self, scope: Scope, items: Sequence[tuple[str, str, int]], area_code: str | None = None,
                    view=None) -> Quote:
        """Price ``(product_id, size, quantity)`` triples with the application's promotions; at
        ``area_code``, also check delivery."""
        ctx = await self.context(scope, view)
        lines, problems = [], []
        for i, (product_id, size, quantity) in enumerate(items):
            where = f"cart_items[{i}]"
            if not (product_id.isascii() and product_id.isdigit()):  # "²" is a digit to isdigit, not to int
                raise InvalidValue(f"{where}.product_id must be a numeric item id, not {product_id!r}",
                                   field=f"{where}.product_id", value=product_id)
            if quantity < 1:
                raise InvalidValue(f"{where}.quantity must be at least 1, not {quantity}",
                                   field=f"{where}.quantity", value=quantity)
            try:
                product, size = self._product_size(where, int(product_id), size, "size")
            except (NotFound, InvalidValue) as exc:
                problems.append(exc.message)
                continue
            articles = self.catalog.articles_for(product.uid, size)
            if not articles:
                problems.append(f"{where}.size: item {product.uid} size {size} is sold by no store")
                continue
            article = ctx.cheapest_or_any(articles, quantity)
            line = CartLine(identifier=where, article_id=article.article_id, item_id=product.uid, size=size,
                            store_uid=article.store_uid, seller_uid=article.seller_uid, quantity=quantity)
            lines.append(self.priced_line(line, ctx))
        pin = None
        if area_code is not None:
            pin = self.pincode(area_code, ctx)
            if pin is None or not pin.serviceable:
                problems.append(f"shipping_address.area_code: PIN code {area_code} is not serviceable")
                lines = [replace(p, availability=replace(p.availability, deliverable=False)) for p in lines]
        problems.extend(p.availability.message for p in lines if p.availability.message)
        outcome = apply_offers(self.units(lines, within=ctx), ctx.offers.promotions, None, ctx.now)
        totals = self._totals(lines, outcome, rules=ctx.rules)
        promise = self.promise(pin) if pin is not None and pin.serviceable else None
        return Quote(tuple(lines), outcome, tuple(problems), totals, promise, not problems,
                     problems[0] if problems else "All items are valid")

    def pincode(self, code: str, ctx: PricingContext) -> PinCode | None:
        """PIN code ``code`` as deliveries see it in ``ctx``: the catalog's (``Catalog.pincode``), served by no
        one (nor COD) under the forced fault unserviceable; None when it is not a PIN code."""
        pin = self.catalog.pincode(code)
        if pin is not None and ctx.unserviceable:
            return replace(pin, serviceable=False, cod=False)
        return pin

    def promise(self, pin: PinCode) -> Promise:
        now = self.clock.now()
        return Promise(now + timedelta(days=pin.promise_min_days), now + timedelta(days=pin.promise_max_days))

    async def delivery_modes(self, scope: Scope, area_code: str, cart_id: str | None) -> DeliveryModes:
        """Home delivery where the PIN code is served; pick-up from stores in its city that stock the cart."""
        cart = await self.find(scope, cart_id) if cart_id else None
        ctx = await self.context(scope)
        pin = self.pincode(area_code, ctx)
        if pin is None:
            return DeliveryModes((), ())
        wanted = [(line.item_id, line.size, line.quantity) for line in (cart.lines if cart else [])]
        stores = tuple(
            s.uid for s in self.catalog.stores
            if s.city == pin.city and all(
                any(a.store_uid == s.uid and ctx.stock(a) >= q for a in self.catalog.articles_for(item, size))
                for item, size, q in wanted)
        )
        modes = ((HOME_DELIVERY,) if pin.serviceable else ()) + ((PICK_AT_STORE,) if stores else ())
        return DeliveryModes(modes, stores)

    def store_details(self, store_uid: int) -> Store:
        store = self.catalog.store(store_uid)
        if store is None:
            raise NotFound(f"store_uid: no store {store_uid}", field="store_uid", value=store_uid)
        return store
