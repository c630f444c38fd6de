"""Payment modes and checkout: the cart becomes an order, stock is taken, the cart closes.

Checkout is idempotent per cart: a cart that already has an order answers with that
order again and takes nothing twice. The open-API checkout (no cart, items in the body)
is idempotent per identical request.

Each checkout reads and checks in one state transaction, then takes the stock, closes the cart and
records the order in it: a failure at any step leaves no stock taken, no cart closed and no order placed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from . import faults
from .cart import Cart, CartService, PricedCart, PricingContext, Scope
from .cart_config import checkout_problems
from .catalog import PinCode
from .errors import InvalidValue, NotFound, OutOfStock, Refused, Unserviceable
from .inputs import CheckoutItemsInput, OverrideItem, PaymentMethod
from .money import ZERO, money
from .pricing import PICK_AT_STORE

if TYPE_CHECKING:
    from .catalog import Catalog
    from .runtime import Clock, Ids
    from .state import Changes, SandboxState


class AddressSource(Protocol):
    async def pincode(self, scope: Scope, address_id: str, view=None) -> str:
        """The PIN code of a saved address (NotFound when there is none)."""


@dataclass(frozen=True)
class Order:
    order_id: str
    cart: Cart | None
    priced: PricedCart | None
    value: Decimal
    repeated: bool            # an earlier checkout's order, answered again
    cod_available: bool = True   # a cart's: cash on delivery is possible at its address (or it has none)


class Checkout:
    """Selecting payment modes and checking carts out, over a ``CartService``."""

    def __init__(self, carts: CartService, state: SandboxState, catalog: Catalog, ids: Ids, clock: Clock,
                 modes: Sequence[str], addresses: AddressSource | None = None) -> None:
        self.carts = carts
        self.state = state
        self.catalog = catalog
        self.ids = ids
        self.clock = clock
        self.modes = tuple(m.upper() for m in modes)
        self.addresses = addresses

    # ------------------------------------------------------------------ payment
    async def select_payment(self, scope: Scope, cart_id: str | None, buy_now: bool, mode: str | None,
                             identifiers: Sequence[tuple[str, str | None]], methods: Sequence[PaymentMethod] = (),
                             address_id: str | None = None, order_type: str | None = None) -> PricedCart:
        """Set the cart's payment mode (v1), or several modes with amounts (v2, ``methods``)."""
        async def change(tx: Changes) -> PricedCart:
            cart = self.carts.writable(await self.carts.require(scope, cart_id, buy_now, view=tx))
            modes = [self._mode(m.mode, f"payment_methods[{i}].mode") for i, m in enumerate(methods)]
            if mode is not None or not modes:
                modes.insert(0, self._mode(mode, "payment_mode"))
            ctx = await self.carts.context(scope, tx)
            if address_id:
                await self._pin(scope, address_id, "address_id", ctx, tx)
            pin = await self._cart_pin(cart, ctx, address_id, tx)
            if "COD" in modes and pin is not None and not pin.cod:
                raise Refused(f"payment_mode: cash on delivery is not available at PIN code {pin.pincode}",
                              field="payment_mode", value="COD")
            payment = {"mode": modes[0], "modes": modes, **{k: v for k, v in identifiers if v},
                       "methods": [dict(m.doc) for m in methods]}
            self._check_amounts(methods, replace(cart, payment=payment), ctx)
            cart.payment = payment
            if address_id:
                cart.address_id = address_id
            cart.last_modified = self.clock.now()
            await self.carts.store(tx, cart)
            return self.carts.price(cart, ctx, order_type)
        return await self.state.atomically(change)

    def _check_amounts(self, methods: Sequence[PaymentMethod], cart: Cart, ctx: PricingContext) -> None:
        """Where the payment methods give amounts, they must add up to ``cart``'s total (priced with its
        payment mode, so a COD charge counts)."""
        amounts = [m.amount for m in methods if m.amount is not None]
        if not amounts:
            return
        paid = money(sum(amounts, ZERO))
        total = self.carts.price(cart, ctx).breakup.total
        if paid != total:
            raise InvalidValue(f"payment_methods: the amounts add up to {paid}, not the cart's total {total}",
                               field="payment_methods", value=str(paid))

    def _mode(self, mode: str | None, where: str) -> str:
        if not mode:
            raise InvalidValue(f"{where} is required", field=where)
        if mode.upper() not in self.modes:
            raise InvalidValue(f"{where} {mode!r} is not a payment mode here; modes: {', '.join(self.modes)}",
                               field=where, value=mode)
        return mode.upper()

    async def _pin(self, scope: Scope, address_id: str, where: str, ctx: PricingContext, view=None) -> PinCode:
        """The PIN code of a saved address, as ``ctx`` sees it (``CartService.pincode``); Unserviceable when it
        is not served."""
        if self.addresses is None:
            raise NotFound(f"{where}: no address {address_id}", field=where, value=address_id)
        code = await self.addresses.pincode(scope, address_id, view)
        pin = self.carts.pincode(code, ctx)
        if pin is None or not pin.serviceable:
            raise Unserviceable(f"{where}: PIN code {code} of address {address_id} is not serviceable",
                                field=where, value=code)
        return pin

    async def _cart_pin(self, cart: Cart, ctx: PricingContext, address_id: str | None = None,
                        view=None) -> PinCode | None:
        """The PIN code ``address_id`` names, else the cart's address's; None without either."""
        chosen = address_id or cart.address_id
        return await self._pin(cart.scope, chosen, "address_id", ctx, view) if chosen else None

    # ------------------------------------------------------------------ checkout of a cart
    async def checkout(self, scope: Scope, cart_id: str | None, user_id: str | None, order_type: str | None,
                       address_id: str | None, payment_mode: str | None, methods: Sequence[PaymentMethod] = (),
                       billing_address_id: str | None = None, pick_at_store: int | None = None) -> Order:
        """Turn the cart into an order, or refuse with the first problem; a repeat answers the same order.

        The checks run on the cart as read (a copy: nothing is stored until the transaction ends), so a
        refusal leaves the cart exactly as it was; the stock, the closed cart and its release as the user's
        active cart are stored together. ``pick_at_store`` makes it a pick-up order from that store: every
        line moves to the store's article of its item and size."""
        async def change(tx: Changes) -> Order:
            cart = await self.carts.require(scope, cart_id, view=tx)
            ctx = await self.carts.context(scope, tx)
            if cart.order_id is not None:
                priced = self.carts.price(cart, ctx)
                pin = await self._cart_pin(cart, ctx, view=tx)
                return Order(cart.order_id, cart, priced, priced.breakup.total, True, pin is None or pin.cod)
            if user_id and cart.user_id and user_id != cart.user_id:
                raise InvalidValue(f"user_id: cart {cart.id} belongs to another user", field="user_id",
                                   value=user_id)
            if not cart.lines:
                raise Refused(f"id: cart {cart.id} has no items", field="id", value=cart.id)
            if order_type is not None:
                cart.order_type = order_type
            if pick_at_store is not None:
                cart.order_type = PICK_AT_STORE
                cart.lines = self._lines_at_store(cart, pick_at_store)
            chosen_address = address_id or cart.address_id
            pick_up = (cart.order_type or "") == PICK_AT_STORE
            if not chosen_address and not pick_up:
                raise Refused("address_id: select a delivery address before checkout", field="address_id")
            pin = await self._pin(scope, chosen_address, "address_id", ctx, tx) if chosen_address else None
            mode = payment_mode or (methods[0].mode if methods else None) or (cart.payment or {}).get("mode")
            mode = self._mode(mode, "payment_mode")
            if mode == "COD" and pin is not None and not pin.cod:
                raise Refused(f"payment_mode: cash on delivery is not available at PIN code {pin.pincode}",
                              field="payment_mode", value=mode)
            cart.payment = {**(cart.payment or {}), "mode": mode}
            priced = self.carts.price(cart, ctx)
            for p in priced.lines:
                if not p.availability.is_valid:
                    field = "pick_at_store_uid" if pick_at_store is not None else "items"
                    raise OutOfStock(f"{field}: {p.availability.message}", field=field, value=p.product.uid)
            self._check_amounts(methods, cart, ctx)
            problems = checkout_problems(ctx.config, priced.breakup.vog, self.carts.count(cart))
            if problems:   # the application's cart configuration
                raise problems[0]
            _pay(mode, priced.breakup.total)
            # Everything checked: take the stock and close the cart, in this one transaction.
            cart.address_id = chosen_address
            if billing_address_id:
                cart.billing_address_id = billing_address_id
            cart.order_id = self._order_id()
            cart.checked_out_on = cart.last_modified = self.clock.now()
            await tx.stock.take(scope[0], _units(priced.lines))
            await self.carts.store(tx, cart)
            await tx.carts.release(cart)
            priced = await self.carts.priced(cart, view=tx)   # as the order stands, its stock taken
            return Order(cart.order_id, cart, priced, priced.breakup.total, False, pin is None or pin.cod)
        return await self.state.atomically(change)

    def _lines_at_store(self, cart: Cart, store_uid: int) -> list:
        """The cart's lines moved to ``store_uid``'s articles (quantities merge where two lines meet)."""
        catalog = self.catalog
        if catalog.store(store_uid) is None:
            raise NotFound(f"pick_at_store_uid: no store {store_uid}", field="pick_at_store_uid", value=store_uid)
        moved: list = []
        for line in cart.lines:
            article = catalog.article_at(line.item_id, line.size, store_uid)
            if article is None:
                raise Refused(f"pick_at_store_uid: store {store_uid} does not sell item {line.item_id} size "
                              f"{line.size}", field="pick_at_store_uid", value=store_uid)
            same = next((m for m in moved if m.article_id == article.article_id), None)
            if same is not None:
                same.quantity += line.quantity
            else:
                line.move_to(article)   # the cart as read is a copy: nothing stored changes
                moved.append(line)
        return moved

    def _order_id(self) -> str:
        # Fynd order ids look like FY followed by digits and letters.
        return "FY" + self.ids.object_id()[:16].upper()

    # ------------------------------------------------------------------ override checkout
    async def override(self, scope: Scope, cart_id: str, items: Sequence[OverrideItem], order_type: str,
                       payment_mode: str,
                       ordering_store: int | None = None) -> Order:
        """Check the cart out with the given items and prices instead of its own (as documented)."""
        async def change(tx: Changes) -> Order:
            cart = await self.carts.require(scope, cart_id, view=tx)
            if cart.order_id is not None:
                return Order(cart.order_id, cart, None, _amount_paid(cart.meta.get("override_items", [])), True)
            mode = self._mode(payment_mode, "payment_mode")
            if not items:
                raise InvalidValue("cart_items: at least one item is required", field="cart_items")
            ctx = await self.carts.context(scope, tx)
            takes: dict[str, int] = {}
            for i, item in enumerate(items):
                article, quantity = self._override_article(f"cart_items[{i}]", item, ordering_store, ctx, takes)
                takes[article.article_id] = takes.get(article.article_id, 0) + quantity
            value = _amount_paid([i.doc for i in items])
            _pay(mode, value)
            now = self.clock.now()
            cart.payment = {**(cart.payment or {}), "mode": mode}
            cart.order_type = order_type
            cart.meta = {**cart.meta, "override_items": [dict(i.doc) for i in items]}
            cart.order_id = self._order_id()
            cart.checked_out_on = cart.last_modified = now
            await tx.stock.take(scope[0], takes)
            await self.carts.store(tx, cart)
            await tx.carts.release(cart)
            return Order(cart.order_id, cart, None, value, False)
        return await self.state.atomically(change)

    def _override_article(self, where: str, item: OverrideItem, ordering_store: int | None, ctx: PricingContext,
                          taken: dict[str, int]):
        """The article an override item is taken from (the cheapest with the stock left), and its quantity."""
        product = self.catalog.product(item.item_id)
        if product is None:
            raise NotFound(f"{where}.item_id: no item {item.item_id}", field=f"{where}.item_id", value=item.item_id)
        if item.size not in product.sizes:
            raise InvalidValue(f"{where}.size: item {product.uid} is not sold in size {item.size!r}",
                               field=f"{where}.size", value=item.size)
        quantity = item.quantity
        if quantity < 1:
            raise InvalidValue(f"{where}.quantity must be at least 1", field=f"{where}.quantity", value=quantity)
        for key, amount in (("price_marked", item.price_marked), ("price_effective", item.price_effective),
                            ("amount_paid", item.amount_paid), ("discount", item.discount)):
            if amount < 0:
                raise InvalidValue(f"{where}.{key} must not be negative", field=f"{where}.{key}", value=amount)
        articles = [a for a in self.catalog.articles_for(product.uid, item.size)
                    if (ordering_store is None or a.store_uid == ordering_store)
                    and (not item.seller_identifier or a.seller_identifier == item.seller_identifier)]
        article = ctx.cheapest(articles, quantity, taken)
        if article is None:
            raise OutOfStock(f"{where}.quantity: {quantity} of item {product.uid} size {item.size} are not "
                             f"in stock{' at store ' + str(ordering_store) if ordering_store else ''}",
                             field=f"{where}.quantity", value=quantity)
        return article, quantity

    # ------------------------------------------------------------------ open-API checkout (no cart)
    async def checkout_items(self, scope: Scope, order: CheckoutItemsInput) -> Order:
        """Order the items at the shipping address: the prices must be today's, the value the total."""
        # The request, field for field, in its application (as JSON: [scope, body]) names a repeat.
        digest = hashlib.sha256(f"[{json.dumps(list(scope))}, {order.fingerprint}]".encode()).hexdigest()

        async def change(tx: Changes) -> Order:
            earlier = await tx.orders.order_for(scope, digest)
            if earlier is not None:
                return Order(earlier, None, None, order.cart_value, True)
            triples = [(item.product_id, item.size, item.quantity) for item in order.items]
            quote = await self.carts.quote(scope, triples, order.area_code, view=tx)
            if not quote.is_valid:
                raise Refused(quote.message, field="cart_items")
            for i, (item, line) in enumerate(zip(order.items, quote.lines)):
                if money(item.price_effective) != line.price.effective_unit:
                    raise InvalidValue(f"cart_items[{i}].price_effective: {item.price_effective} is not today's "
                                       f"price {line.price.effective_unit}", field=f"cart_items[{i}].price_effective",
                                       value=str(item.price_effective))
            value = money(order.cart_value)
            if value != quote.breakup.total:
                raise InvalidValue(f"cart_value: {value} is not the items' total {quote.breakup.total}",
                                   field="cart_value", value=str(value))
            paid = ZERO
            for i, m in enumerate(order.payment_methods):
                if m.amount is None:
                    raise InvalidValue(f"payment_methods[{i}].amount is required", field=f"payment_methods[{i}].amount")
                paid += m.amount
            paid = money(paid)
            if paid != value:
                raise InvalidValue(f"payment_methods: the amounts add up to {paid}, not cart_value {value}",
                                   field="payment_methods", value=str(paid))
            modes = [self._mode(m.mode, "payment_methods.mode") for m in order.payment_methods]
            _pay(modes[0] if modes else "", value)
            order_id = self._order_id()
            await tx.stock.take(scope[0], _units(quote.lines))
            tx.orders.record(scope, digest, order_id)
            return Order(order_id, None, None, value, False)
        return await self.state.atomically(change)


def _amount_paid(override_items: Iterable[Mapping[str, Any]]) -> Decimal:
    """What an override checkout's items (as sent, and as kept on the order) say was paid: the order's value."""
    return money(sum((Decimal(str(i["amount_paid"])) for i in override_items), ZERO))


def _pay(mode: str, amount: Decimal) -> None:
    """Take the payment: the sandbox takes every one, unless the request forces it declined (faults.py)."""
    if faults.forced(faults.PAYMENT_DECLINED):
        raise faults.PaymentDeclined(f"payment_mode: the {mode} payment of {amount} was declined by the payment "
                                     f"gateway", field="payment_mode", value=mode)


def _units(lines) -> dict[str, int]:
    """Units of each article in priced lines."""
    takes: dict[str, int] = {}
    for p in lines:
        takes[p.article.article_id] = takes.get(p.article.article_id, 0) + p.line.quantity
    return takes
