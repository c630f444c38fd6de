"""Customer addresses, selecting one for a cart, and the cart's shipments.

``AddressBook`` keeps each application's addresses (per ``(company_id, application_id)``), each
belonging to one user, as the documented ``PlatformAddress`` document plus ``id``.
``CartAddresses`` works on carts through the ``CartService``: selecting a shipping address checks
every line can be delivered to its PIN code; shipments group the cart's lines by fulfilling store
with their delivery promise; updating shipments changes quantities, the delivery mode and the
pick-up store. Every operation checks all its input before it changes anything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .cart import Cart, CartLine, CartService, PricedCart, PricingContext, Promise, Scope
from .catalog import Article, PinCode
from .errors import InvalidValue, LimitReached, NotFound
from .inputs import AddressChoice, AddressInput
from .pricing import HOME_DELIVERY, PICK_AT_STORE

if TYPE_CHECKING:
    from .catalog import Catalog
    from .runtime import Clock, Ids
    from .state import Changes, SandboxState

ADDRESS_MAX_LIMIT = 50            # addresses one user may keep (``validation_config.address_max_limit``)
CHECKOUT_MODES = ("self", "others")
SHIPMENT_TYPES = ("single_shipment", "multiple_shipment")
PIN = re.compile(r"^[1-9][0-9]{5}$")
PHONE = re.compile(r"^[0-9]{10}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check_mode(mode: object) -> None:
    """Refuse a ``checkout_mode`` that is none of ``CHECKOUT_MODES``, naming the field."""
    if mode not in CHECKOUT_MODES:
        raise InvalidValue(f"checkout_mode must be one of {', '.join(CHECKOUT_MODES)}, not {mode!r}",
                           field="checkout_mode", value=mode)


@dataclass(frozen=True)
class AddressFilter:
    """The list filters of ``GET …/address`` (``None``: not asked)."""

    mobile_no: str | None = None
    checkout_mode: str = "self"
    tags: str | None = None
    is_default: bool | None = None


class AddressBook:
    """Addresses by application and id (in the state's ``addresses``); each document carries its ``id`` and
    ``user_id``."""

    def __init__(self, state: SandboxState, ids: Ids) -> None:
        self.state = state
        self.ids = ids

    # ------------------------------------------------------------------ reading
    async def of_user(self, scope: Scope, user_id: str, view=None) -> list[dict]:
        """The user's addresses, oldest first."""
        return await (self.state if view is None else view).addresses.of_user(scope, user_id)

    async def get(self, scope: Scope, address_id: str, user_id: str | None = None, field: str = "id",
                  view=None) -> dict:
        """The address ``address_id`` (of ``user_id`` when given); another user's is not found."""
        address = await (self.state if view is None else view).addresses.get(scope, address_id)
        if address is None or (user_id is not None and address["user_id"] != user_id):
            owner = f" of user {user_id}" if user_id is not None else ""
            raise NotFound(f"{field}: no address {address_id}{owner}", field=field, value=address_id)
        return address

    async def lookup(self, scope: Scope, address_id: str, view=None) -> dict | None:
        """The address ``address_id``, or None (it may have been deleted)."""
        return await (self.state if view is None else view).addresses.get(scope, address_id)

    async def pincode(self, scope: Scope, address_id: str, view=None) -> str:
        """The PIN code of a saved address (NotFound naming ``address_id``): checkout's ``AddressSource``."""
        return (await self.get(scope, address_id, field="address_id", view=view))["area_code"]

    async def default_of(self, scope: Scope, user_id: str | None, view=None) -> dict | None:
        if not user_id:
            return None
        return next((a for a in await self.of_user(scope, user_id, view) if a.get("is_default_address")), None)

    async def find(self, scope: Scope, user_id: str, f: AddressFilter) -> list[dict]:
        """The user's addresses that pass every filter asked for."""
        _check_mode(f.checkout_mode)
        tag = f.tags.strip().lower() if f.tags is not None else None
        return [a for a in await self.of_user(scope, user_id)
                if (f.mobile_no is None or a.get("phone") == f.mobile_no)
                and a.get("checkout_mode", "self") == f.checkout_mode
                and (tag is None or tag in (t.lower() for t in a.get("tags") or ()))
                and (not f.is_default or a.get("is_default_address"))]

    # ------------------------------------------------------------------ changing
    async def add(self, scope: Scope, address: AddressInput) -> dict:
        """Store a new address for ``address.user_id``; the user's first address becomes the default."""
        doc = self._checked(address, address.user_id)

        async def change(tx: Changes) -> dict:
            mine = await self.of_user(scope, doc["user_id"], tx)
            if len(mine) >= ADDRESS_MAX_LIMIT:
                raise InvalidValue(f"user_id: user {doc['user_id']} already has {ADDRESS_MAX_LIMIT} addresses,"
                                   f" the most one user may keep", field="user_id", value=doc["user_id"])
            cap = self.state.caps.records_per_application
            if cap and await tx.addresses.count(scope) >= cap:
                raise LimitReached(f"records_per_application: application {scope[1]} holds {cap} addresses, the"
                                   f" most it may", field="records_per_application", value=cap)
            new = {**doc, "id": self.ids.object_id(),
                   "is_default_address": bool(address.is_default_address) or not mine}
            await self._store(tx, scope, new, await self.state.next_number("address"))
            return new
        return await self.state.atomically(change)

    async def update(self, scope: Scope, address_id: str, address: AddressInput) -> dict:
        """Replace the address's document (keeping its id and user); ``is_default_address`` kept when absent."""
        async def change(tx: Changes) -> dict:
            old = await self.get(scope, address_id, view=tx)
            user_id = old["user_id"] if address.user_id is None else address.user_id
            if user_id != old["user_id"]:
                raise InvalidValue(f"user_id: address {address_id} belongs to user {old['user_id']}, not {user_id}",
                                   field="user_id", value=user_id)
            doc = self._checked(address, user_id)
            doc["id"] = address_id
            given = address.is_default_address
            doc["is_default_address"] = bool(old.get("is_default_address") if given is None else given)
            await self._store(tx, scope, doc, await self._seq(tx, scope, old["user_id"], address_id))
            return doc
        return await self.state.atomically(change)

    async def remove(self, scope: Scope, address_id: str, user_id: str | None = None) -> dict:
        async def change(tx: Changes) -> dict:
            address = await self.get(scope, address_id, user_id, view=tx)
            tx.addresses.delete(scope, address)
            return address
        return await self.state.atomically(change)

    async def _store(self, tx: Changes, scope: Scope, doc: dict, seq: int) -> None:
        if doc["is_default_address"]:  # one default per user
            for other in await self.of_user(scope, doc["user_id"], tx):
                if other["id"] != doc["id"] and other.get("is_default_address"):
                    other["is_default_address"] = False
                    tx.addresses.put(scope, other, await self._seq(tx, scope, other["user_id"], other["id"]))
        tx.addresses.put(scope, doc, seq)

    @staticmethod
    async def _seq(tx: Changes, scope: Scope, user_id: str, address_id: str) -> int:
        """The stored address's place in its user's list (``Addresses.seq``): one read in this change is there."""
        seq = await tx.addresses.seq(scope, user_id, address_id)
        assert seq is not None, f"address {address_id} was read in this change"
        return seq

    @staticmethod
    def _checked(address: AddressInput, user_id: object) -> dict:
        """The document to store for ``address`` (of ``user_id``), after checking it; defaults filled in."""
        if not isinstance(user_id, str) or not user_id.strip():
            raise InvalidValue("user_id: an address belongs to a user; user_id is required", field="user_id",
                               value=user_id)
        area_code = address.area_code
        if not isinstance(area_code, str) or not area_code.strip():
            raise InvalidValue("area_code (the PIN code) is required", field="area_code", value=area_code)
        if address.area_code_slug == "pincode" and not PIN.match(area_code):
            raise InvalidValue(f"area_code: {area_code!r} is not a 6-digit PIN code", field="area_code",
                               value=area_code)
        phone, email, mode = address.phone, address.email, address.checkout_mode
        if phone not in (None, "") and not (isinstance(phone, str) and PHONE.match(phone)):
            raise InvalidValue(f"phone: {phone!r} is not a 10-digit mobile number", field="phone", value=phone)
        if email not in (None, "") and not (isinstance(email, str) and EMAIL.match(email)):
            raise InvalidValue(f"email: {email!r} is not an email address", field="email", value=email)
        _check_mode(mode)
        # The document as sent, with the book's defaults where it leaves a field out.
        doc = {**address.doc, "user_id": user_id}
        for key, default in (("area_code_slug", address.area_code_slug), ("checkout_mode", mode), ("is_active", True),
                             ("created_by_user_id", user_id), ("tags", [])):
            doc.setdefault(key, default)
        return doc


# ---------------------------------------------------------------------- carts, addresses and shipments
@dataclass(frozen=True)
class Delivery:
    """Where the cart goes: the PIN code asked about, its catalog entry, and the promise (when served)."""

    area_code: str | None
    pin: PinCode | None
    promise: Promise | None
    problem: str = ""


@dataclass(frozen=True)
class Shipment:
    store_uid: int
    lines: tuple  # of PricedLine
    order_type: str
    promise: Promise | None


@dataclass(frozen=True)
class Shipments:
    priced: PricedCart
    shipments: tuple[Shipment, ...]
    delivery: Delivery
    is_valid: bool
    message: str


@dataclass(frozen=True)
class Selection:
    priced: PricedCart
    delivery: Delivery
    selected: bool
    is_valid: bool
    message: str


@dataclass(frozen=True)
class ShipmentChange:
    """One entry of an update-shipments body; ``where`` is its JSON path."""

    where: str
    article_uid: str
    shipment_type: str
    quantity: int | None = None


class CartAddresses:
    """Addresses and shipments of carts."""

    def __init__(self, carts: CartService, book: AddressBook, state: SandboxState, catalog: Catalog,
                 clock: Clock) -> None:
        self.carts = carts
        self.book = book
        self.state = state
        self.catalog = catalog
        self.clock = clock

    async def cart_named(self, scope: Scope, cart_id: str, field: str = "cart_id", view=None) -> Cart:
        """The cart ``cart_id``; NotFound naming ``field`` (these operations call the cart id ``cart_id``)."""
        cart = await self.carts.get(scope, cart_id, view)
        if cart is None:
            raise NotFound(f"{field}: no cart {cart_id}", field=field, value=cart_id)
        return cart

    # ------------------------------------------------------------------ where
    def delivery_to(self, area_code: str | None, ctx: PricingContext) -> Delivery:
        """Delivery to ``area_code`` as ``ctx`` sees it (``CartService.pincode``)."""
        if area_code is None:
            return Delivery(None, None, None)
        pin = self.carts.pincode(area_code, ctx)
        if pin is None or not pin.serviceable:
            return Delivery(area_code, pin, None, f"PIN code {area_code} is not serviceable")
        return Delivery(area_code, pin, self.carts.promise(pin))

    async def destination(self, cart: Cart, ctx: PricingContext, area_code: str | None = None,
                          address_id: str | None = None, view=None) -> Delivery:
        """The PIN code asked for, else the address asked for, the cart's address, its user's default."""
        if area_code is not None:
            return self.delivery_to(area_code, ctx)
        if address_id is not None:
            return self.delivery_to((await self.book.get(cart.scope, address_id, field="address_id",
                                                         view=view))["area_code"], ctx)
        address = await self.book.lookup(cart.scope, cart.address_id, view) if cart.address_id else None  # deleted?
        address = address or await self.book.default_of(cart.scope, cart.user_id, view)
        return self.delivery_to(address["area_code"] if address else None, ctx)

    async def priced_with_promise(self, cart: Cart, order_type: str | None = None
                                  ) -> tuple[PricedCart, Promise | None]:
        """``cart`` priced (as ``order_type``), and the delivery promise at its selected address (None without
        one, or where it is not served): getCart's answer, from one read of the pricing context."""
        ctx = await self.carts.context(cart.scope)
        priced = self.carts.price(cart, ctx, order_type)
        return priced, (await self.destination(cart, ctx)).promise if cart.address_id else None

    # ------------------------------------------------------------------ select-address
    async def select(self, scope: Scope, choice: AddressChoice, cart_id: str | None, buy_now: bool) -> Selection:
        """Select the shipping (and billing) address of a cart when every line can be delivered there."""
        address_id = choice.address_id
        if not address_id:
            raise InvalidValue("id (the address to deliver to) is required", field="id")
        mode = choice.checkout_mode
        if mode is not None:
            _check_mode(mode)
        query_id, body_id = cart_id or None, choice.cart_id or None
        if query_id and body_id and query_id != body_id:
            raise InvalidValue(f"cart_id: the query names cart {query_id}, the body cart {body_id}",
                               field="cart_id", value=body_id)
        named = query_id or body_id

        async def change(tx: Changes) -> Selection:
            user_id = choice.user_id or None
            address = await self.book.get(scope, address_id, user_id, view=tx)
            billing_id = choice.billing_address_id or address_id
            await self.book.get(scope, billing_id, address["user_id"], field="billing_address_id", view=tx)
            cart: Cart | None
            if named:
                cart = await self.cart_named(scope, named, view=tx)
            else:
                cart = await tx.carts.active(scope, address["user_id"], buy_now)
                if cart is None:
                    raise NotFound(f"cart_id: user {address['user_id']} has no cart", field="cart_id")
            if cart.user_id is not None and cart.user_id != address["user_id"]:
                raise InvalidValue(f"id: address {address_id} belongs to user {address['user_id']}, cart {cart.id}"
                                   f" to user {cart.user_id}", field="id", value=address_id)
            self.carts.writable(cart)
            ctx = await self.carts.context(scope, tx)
            delivery = self.delivery_to(address["area_code"], ctx)
            if delivery.problem:  # nothing changes: the answer says why
                return Selection(self.carts.price(cart, ctx), delivery, False, False,
                                 f"id: address {address_id}: {delivery.problem}")
            cart.address_id, cart.billing_address_id = address_id, billing_id
            if mode is not None:
                cart.meta["checkout_mode"] = mode
            cart.last_modified = self.clock.now()
            await self.carts.store(tx, cart)
            priced = self.carts.price(cart, ctx)
            return Selection(priced, delivery, True, priced.is_valid,
                             priced.message or f"address {address_id} selected")
        return await self.state.atomically(change)

    # ------------------------------------------------------------------ shipments
    async def shipments(self, cart: Cart, order_type: str | None = None, area_code: str | None = None,
                        address_id: str | None = None, view=None) -> Shipments:
        """The cart's lines grouped by fulfilling store, with the delivery promise at the destination."""
        order_type = order_type or cart.order_type or HOME_DELIVERY
        ctx = await self.carts.context(cart.scope, view)
        priced = self.carts.price(cart, ctx, order_type)
        delivery = (await self.destination(cart, ctx, area_code, address_id, view) if order_type == HOME_DELIVERY
                    else Delivery(None, None, None))
        groups: dict[int, list] = {}
        for p in priced.lines:
            groups.setdefault(p.article.store_uid, []).append(p)
        promise = delivery.promise if order_type == HOME_DELIVERY else None
        shipments = tuple(Shipment(store, tuple(lines), order_type, promise) for store, lines in groups.items())
        problems = [delivery.problem] if delivery.problem else []
        if not priced.is_valid:
            problems.append(priced.message)
        return Shipments(priced, shipments, delivery, not problems, problems[0] if problems else "")

    async def update_shipments(self, scope: Scope, cart_id: str | None, changes: Sequence[ShipmentChange],
                               order_type: str | None = None, area_code: str | None = None,
                               address_id: str | None = None) -> Shipments:
        """Change line quantities and stores as ``changes`` name, and the delivery mode; all or nothing; the
        shipments after it.

        Each change names an article: a line's own article (its quantity may change), or another
        store's article of a line's item and size (the line moves there). With ``PickAtStore``, the
        store of the named articles is the pick-up store and every line moves to it.
        """
        async def change(tx: Changes) -> Shipments:
            cart = await self.carts.require(scope, cart_id, view=tx)
            if address_id is not None:
                await self.book.get(scope, address_id, field="address_id", view=tx)
            if not changes:
                raise InvalidValue("shipments: at least one shipment item is required", field="shipments")
            ctx = await self.carts.context(scope, tx)
            lines = self._shipment_lines(cart, changes, order_type or cart.order_type or HOME_DELIVERY, ctx)
            # Checks writability and limits before anything changes; lines and order type are stored together.
            self.carts.set_lines(cart, lines, ctx, order_type=order_type or cart.order_type or HOME_DELIVERY)
            await self.carts.store(tx, cart)
            return await self.shipments(cart, None, area_code, address_id, view=tx)
        return await self.state.atomically(change)

    def _shipment_lines(self, cart: Cart, changes: Sequence[ShipmentChange], order_type: str,
                        ctx: PricingContext) -> list[CartLine]:
        catalog = self.catalog
        lines = [replace(line) for line in cart.lines]
        named: list[tuple[ShipmentChange, Article]] = []
        for change in changes:
            if change.shipment_type not in SHIPMENT_TYPES:
                raise InvalidValue(f"{change.where}.shipment_type must be one of {', '.join(SHIPMENT_TYPES)},"
                                   f" not {change.shipment_type!r}", field=f"{change.where}.shipment_type",
                                   value=change.shipment_type)
            if change.quantity is not None and change.quantity < 0:
                raise InvalidValue(f"{change.where}.quantity must be at least 0, not {change.quantity}",
                                   field=f"{change.where}.quantity", value=change.quantity)
            article = catalog.article(change.article_uid)
            if article is None:
                raise NotFound(f"{change.where}.article_uid: no article {change.article_uid}",
                               field=f"{change.where}.article_uid", value=change.article_uid)
            line = self._line_for(lines, article)
            if line is None:
                raise NotFound(f"{change.where}.article_uid: item {article.item_id} size {article.size} is not in"
                               f" cart {cart.id}", field=f"{change.where}.article_uid", value=change.article_uid)
            line.move_to(article)
            if change.quantity is not None:
                line.quantity = change.quantity
            named.append((change, article))
        if order_type == PICK_AT_STORE:
            stores = {a.store_uid for _, a in named}
            if len(stores) > 1:
                raise InvalidValue(f"shipments: pick-up is from one store; the articles named are in stores"
                                   f" {', '.join(map(str, sorted(stores)))}", field="shipments")
            pickup = stores.pop()
            for line in lines:
                at_store = catalog.article_at(line.item_id, line.size, pickup)
                if at_store is None:
                    raise InvalidValue(f"shipments: pick-up store {pickup} does not sell item {line.item_id}"
                                       f" size {line.size}", field="shipments", value=pickup)
                line.move_to(at_store)
        lines = [line for line in lines if line.quantity > 0]
        held: dict[str, int] = {}
        for line in lines:
            held[line.article_id] = held.get(line.article_id, 0) + line.quantity
        for article_id, quantity in held.items():
            article = catalog.known_article(article_id)
            if quantity > ctx.stock(article):
                where = next((c.where for c, a in named if a.article_id == article_id), "shipments")
                field = f"{where}.quantity" if where != "shipments" else where
                raise InvalidValue(f"{field}: store {article.store_uid} has only {ctx.stock(article)} of"
                                   f" item {article.item_id} size {article.size} ({quantity} asked for)",
                                   field=field, value=quantity)
        return lines

    @staticmethod
    def _line_for(lines: list[CartLine], article: Article) -> CartLine | None:
        """The line holding ``article``, else the first line of its item and size."""
        return (next((line for line in lines if line.article_id == article.article_id), None)
                or next((line for line in lines if (line.item_id, line.size) == (article.item_id, article.size)),
                        None))
