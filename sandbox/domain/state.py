"""The sandbox's state, typed: repositories of domain objects over the ``Storage`` port.

``SandboxState`` is the one way in to everything the sandbox remembers. Its repositories read (copies:
every read decodes a record afresh, so changing what was read changes nothing until it is saved);
``SandboxState.atomically(fn)`` gives ``fn`` a ``Changes``, the same repositories over one transaction,
whose writes are applied together when ``fn`` returns, or not at all when it raises. A backend may run
``fn`` more than once, so ``fn`` only reads and writes through its ``Changes``.

Records are plain JSON-like values (see ``storage.Record``): the conversions are here (``*_record`` and
``*_from``), so the storage knows nothing of carts and the snapshot format is these records.

    table            part                    key                 record
    carts            application             cart id             cart_record
    active           application             user + buy now      cart id
    generations      application             user + buy now      carts stored as new for the user
    adjustment_cart  application             adjustment id       cart id
    stock_taken      company                 article id          units checkouts took
    orders           application             request digest      order id (open-API checkout)
    offers           application             coupon:/promotion:id  {"doc", "seq"}
    offer_books      application             "defaults"          true once the defaults were copied in
    offer_revision   application             "n"                 changes to the application's offers
    addresses        application + user      address id          {"doc", "seq"}
    address_users    application             address id          user id
    shares           application             token               share_record
    share_of_cart    application             cart id             token
    cart_configs     application             "config"            config_record
    voucher_carts    token owner             catalog entry id    voucher_record
    controls         "sandbox"               "controls"          controls_record: the clock's setting, fault rules
    (notes) fresh    application             cart id             [user, buy now, generation]
    (log) journal                                                journal entries (web/journal.py), newest first
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from . import faults
from .adjustments import Adjustment
from .cart import Cart, CartLine, Scope
from .cart_config import CartConfig
from .errors import InvalidValue
from .moments import instant
from .runtime import ClockSetting
from .sharing import Share
from .storage import FORMAT, VERSION, Record, checked_document
from .vouchers import VoucherCart, VoucherEntry

if TYPE_CHECKING:
    from .storage import Reader, Storage, Tx

T = TypeVar("T")
SEP = "\x1f"   # between the parts of a key (ids and names never hold it)


@functools.lru_cache(maxsize=4096)
def part_of(scope: Scope) -> str:
    """The storage part of an application ``(company_id, application_id)``."""
    return f"{scope[0]}{SEP}{scope[1]}"


def scope_of(part: str) -> Scope:
    company, _, application = part.partition(SEP)
    return company, application


def _user_key(user_id: str, buy_now: bool) -> str:
    return f"{user_id}{SEP}{'buy-now' if buy_now else 'cart'}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: str | None) -> datetime | None:
    return None if text is None else _instant(text)


def _instant(text: str) -> datetime:
    moment = instant(text)
    if moment is None:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time")
    return moment


# ---------------------------------------------------------------------- records
def line_record(line: CartLine) -> dict:
    record = {"identifier": line.identifier, "article": line.article_id, "item": line.item_id, "size": line.size,
              "store": line.store_uid, "seller": line.seller_uid, "quantity": line.quantity}
    # Empty ones are left out: most lines have none, and every byte counts per cart.
    if line.meta:
        record["meta"] = line.meta
    if line.extra_meta:
        record["extra_meta"] = line.extra_meta
    if line.custom_json:
        record["custom_json"] = line.custom_json
    if line.parent_item_identifiers:
        record["parent_item_identifiers"] = line.parent_item_identifiers
    if line.product_group_tags:
        record["product_group_tags"] = line.product_group_tags
    if line.display is not None:
        record["display"] = line.display
    return record


def line_from(record: dict) -> CartLine:
    # Built field by field into a bare instance: ~4x faster than the dataclass's keyword __init__, and every
    # cart read decodes each of its lines.
    line = object.__new__(CartLine)
    line.__dict__ = {"identifier": record["identifier"], "article_id": record["article"], "item_id": record["item"],
                     "size": record["size"], "store_uid": record["store"], "seller_uid": record["seller"],
                     "quantity": record["quantity"], "meta": record.get("meta") or {},
                     "extra_meta": record.get("extra_meta") or {}, "custom_json": record.get("custom_json") or {},
                     "parent_item_identifiers": record.get("parent_item_identifiers") or {},
                     "product_group_tags": record.get("product_group_tags") or [], "display": record.get("display")}
    return line


def adjustment_record(a: Adjustment) -> dict:
    return {"id": a.id, "cart_id": a.cart_id, "type": a.type, "value": str(a.value), "expires": _iso(a.expires),
            "doc": a.doc}


def adjustment_from(record: dict) -> Adjustment:
    return Adjustment(record["id"], record["cart_id"], record["type"], Decimal(record["value"]),
                      _moment(record["expires"]), record["doc"])


_CART_OPTIONAL = ("coupon_code", "order_type", "address_id", "billing_address_id", "payment", "order_id")


def cart_record(cart: Cart) -> dict:
    record = {"id": cart.id, "number": cart.cart_id, "scope": list(cart.scope), "user": cart.user_id,
              "buy_now": cart.buy_now, "created": _iso(cart.created_on), "modified": _iso(cart.last_modified),
              "lines": [line_record(line) for line in cart.lines]}
    if cart.meta:
        record["meta"] = cart.meta
    if cart.auto_coupons_declined:
        record["auto_coupons_declined"] = True
    if cart.adjustments:
        record["adjustments"] = [adjustment_record(a) for a in cart.adjustments]
    for name in _CART_OPTIONAL:
        value = getattr(cart, name)
        if value is not None:
            record[name] = value
    if cart.checked_out_on is not None:
        record["checked_out"] = _iso(cart.checked_out_on)
    return record


def cart_from(record: dict) -> Cart:
    cart = object.__new__(Cart)   # field by field, as line_from does
    get = record.get
    cart.__dict__ = {
        "id": record["id"], "cart_id": record["number"], "scope": tuple(record["scope"]), "user_id": record["user"],
        "buy_now": record["buy_now"], "created_on": _instant(record["created"]),
        "last_modified": _instant(record["modified"]),
        "lines": [line_from(r) for r in record["lines"]], "meta": get("meta") or {},
        "coupon_code": get("coupon_code"), "auto_coupons_declined": get("auto_coupons_declined", False),
        "adjustments": [adjustment_from(a) for a in get("adjustments", ())], "order_type": get("order_type"),
        "address_id": get("address_id"), "billing_address_id": get("billing_address_id"),
        "payment": get("payment"), "order_id": get("order_id"), "checked_out_on": _moment(get("checked_out"))}
    return cart


def share_record(share: Share) -> dict:
    return {"token": share.token, "scope": list(share.scope), "cart_id": share.cart_id, "user": share.user_id,
            "created": _iso(share.created_on), "meta": share.meta}


def share_from(record: dict) -> Share:
    return Share(record["token"], tuple(record["scope"]), record["cart_id"], record["user"],
                 _instant(record["created"]), record["meta"])


def config_record(config: CartConfig) -> dict:
    return {"id": config.id, "scope": list(config.scope), "doc": config.doc, "created": _iso(config.created_on),
            "modified": _iso(config.modified_on)}


def config_from(record: dict) -> CartConfig:
    return CartConfig(record["id"], tuple(record["scope"]), record["doc"], _instant(record["created"]),
                      _instant(record["modified"]))


def voucher_record(cart: VoucherCart) -> dict:
    return {"id": cart.id, "user": cart.user, "entry": cart.entry.id, "quantities": list(cart.quantities.items())}


def voucher_from(record: dict, catalog: dict[str, VoucherEntry]) -> VoucherCart | None:
    """The voucher cart, or None when its catalog entry is gone (after a reseed)."""
    entry = catalog.get(record["entry"])
    if entry is None:
        return None
    return VoucherCart(record["id"], record["user"], entry, {cid: q for cid, q in record["quantities"]})


def clock_record(setting: ClockSetting) -> dict:
    offset = setting.offset
    return {"frozen_at": _iso(setting.frozen_at),
            "offset_us": (offset.days * 86_400 + offset.seconds) * 1_000_000 + offset.microseconds}


def clock_from(record: dict) -> ClockSetting:
    return ClockSetting(_moment(record["frozen_at"]), timedelta(microseconds=record["offset_us"]))


def rule_record(rule: faults.FaultRule) -> dict:
    return {"id": rule.id, "operation_id": rule.operation_id,
            "latency_ms": list(rule.latency_ms) if rule.latency_ms is not None else None, "status": rule.status,
            "drop": rule.drop, "probability": rule.probability, "times": rule.times}


def rule_from(record: dict) -> faults.FaultRule:
    latency = record.get("latency_ms")
    return faults.FaultRule(record["id"], record["operation_id"], tuple(latency) if latency is not None else None,
                     record.get("status"), record.get("drop", False), record.get("probability", 1.0),
                     record.get("times"))


def controls_record(clock: ClockSetting | None, rules: list[faults.FaultRule]) -> dict:
    return {"clock": None if clock is None else clock_record(clock), "fault_rules": [rule_record(r) for r in rules]}


def controls_from(record: dict) -> tuple[ClockSetting | None, list[faults.FaultRule]]:
    clock = record.get("clock")
    return (None if clock is None else clock_from(clock)), [rule_from(r) for r in record.get("fault_rules", ())]


RECORD_READERS: dict[str, Callable[[Any], object]] = {
    "carts": cart_from, "shares": share_from, "cart_configs": config_from,
    "controls": controls_from,
}
"""The decoder of each table whose records are domain objects (the others hold plain values)."""


# ---------------------------------------------------------------------- repositories
class _Repository:
    """A repository over a reader (the storage: reads only) or a transaction (reads and writes)."""

    def __init__(self, view: Reader) -> None:
        self._view = view

    @property
    def _tx(self) -> Tx:
        if not hasattr(self._view, "put"):
            raise TypeError("a change needs a transaction: use SandboxState.atomically")
        return self._view  # type: ignore[return-value]


class DecodedCarts:
    """Carts decoded from their records, kept by what they were decoded from: a cart read again unchanged is
    handed out as a copy of the one kept (``copy_cart``, ~2 µs) instead of decoded again (~5 µs for three
    lines). At most ``capacity`` are kept; past it, the oldest half goes."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._kept: dict[tuple[str, str], tuple[Any, Cart]] = {}

    def cart(self, key: tuple[str, str], encoded: Any, decode: Callable[[Any], Record]) -> Cart:
        kept = self._kept.get(key)
        if kept is not None and (kept[0] is encoded or kept[0] == encoded):
            return copy_cart(kept[1])
        cart = cart_from(decode(encoded))
        if len(self._kept) >= self.capacity:
            for old in list(self._kept)[:self.capacity // 2]:
                del self._kept[old]
        self._kept[key] = (encoded, cart)
        return copy_cart(cart)

    def clear(self) -> None:
        self._kept.clear()


def copy_cart(cart: Cart) -> Cart:
    """A copy of ``cart`` down to every container the domain changes in place (lines, meta, adjustments): what
    it holds deeper (a line's meta values, a payment's methods) is replaced whole by every change, never edited,
    so it is shared."""
    fields = dict(cart.__dict__)
    fields["lines"] = [_copy_line(line) for line in cart.lines]
    fields["meta"] = dict(cart.meta)
    fields["adjustments"] = list(cart.adjustments)
    new = object.__new__(Cart)
    new.__dict__ = fields
    return new


def _copy_line(line: CartLine) -> CartLine:
    fields = dict(line.__dict__)
    fields["meta"] = dict(line.meta)
    fields["extra_meta"] = dict(line.extra_meta)
    fields["custom_json"] = dict(line.custom_json)
    fields["parent_item_identifiers"] = dict(line.parent_item_identifiers)
    fields["product_group_tags"] = list(line.product_group_tags)
    new = object.__new__(CartLine)
    new.__dict__ = fields
    return new


class Carts(_Repository):
    def __init__(self, view: Reader, decoded: DecodedCarts | None = None) -> None:
        super().__init__(view)
        self._decoded = decoded

    async def get(self, scope: Scope, cart_id: str) -> Cart | None:
        part = part_of(scope)
        return self._cart(part, cart_id, await self._view.get_encoded("carts", part, cart_id))

    def _cart(self, part: str, cart_id: str, encoded: Any | None) -> Cart | None:
        if encoded is None:
            return None
        if self._decoded is not None:
            return self._decoded.cart((part, cart_id), encoded, self._view.decode)
        return cart_from(self._view.decode(encoded))

    async def active(self, scope: Scope, user_id: str, buy_now: bool) -> Cart | None:
        """The user's active cart (a cart moved to another user since is not theirs any more)."""
        return (await self._users(scope, user_id, buy_now))[0]

    async def owned(self, scope: Scope, user_id: str, buy_now: bool) -> tuple[Cart | None, int]:
        """``active``, and ``generation`` (what a new cart of the user is made from), read together."""
        cart, (generation,) = await self._users(scope, user_id, buy_now, "generations")
        return cart, generation or 0

    async def _users(self, scope: Scope, user_id: str, buy_now: bool, *also: str) -> tuple[Cart | None, list]:
        """The user's active cart and their records of the tables ``also``, read with the user's cart pointer and
        the cart it names (one round trip in a shared store)."""
        part, key = part_of(scope), _user_key(user_id, buy_now)
        (cart_id, *records), encoded = await self._view.follow(
            (("active", part, key), *((table, part, key) for table in also)), "carts")
        cart = self._cart(part, cart_id, encoded) if cart_id else None
        return (cart if cart is not None and cart.user_id == user_id else None), records

    async def generation(self, scope: Scope, user_id: str, buy_now: bool) -> int:
        """How many carts were stored as new for the user: what their next cart's id derives from."""
        return await self._view.get("generations", part_of(scope), _user_key(user_id, buy_now)) or 0

    async def all(self, scope: Scope) -> list[Cart]:
        """Every cart of the application (bounded by the cart caps), in no particular order."""
        return [cart_from(r) for r in (await self._view.items("carts", part_of(scope))).values()]

    async def count(self, scope: Scope) -> int:
        return await self._view.count("carts", part_of(scope))

    async def of_adjustment(self, scope: Scope, adjustment_id: str) -> str | None:
        """The id of the cart holding price adjustment ``adjustment_id``."""
        return await self._view.get("adjustment_cart", part_of(scope), adjustment_id)

    # ------------------------------------------------------------------ changes
    async def create(self, cart: Cart) -> None:
        """Store a cart for the first time (a user's cart becomes their active one)."""
        if cart.user_id is not None:
            part, key = part_of(cart.scope), _user_key(cart.user_id, cart.buy_now)
            generation = await self._view.get("generations", part, key) or 0
            self._tx.put("generations", part, key, generation + 1)
        self.save(cart)

    def save(self, cart: Cart, previous: Cart | None = None) -> None:
        """Store the cart as it is now (a user's cart becomes their active one); ``previous``, the cart as it
        was read, lets the index of its price adjustments follow (needed only where they change)."""
        part = part_of(cart.scope)
        tx = self._tx
        tx.put("carts", part, cart.id, cart_record(cart))
        if cart.user_id is not None:
            tx.put("active", part, _user_key(cart.user_id, cart.buy_now), cart.id)
        if previous is None and not cart.adjustments:
            return
        before = {a.id for a in previous.adjustments} if previous is not None else set()
        now = {a.id for a in cart.adjustments}
        for gone in before - now:
            tx.delete("adjustment_cart", part, gone)
        for new in now - before:
            tx.put("adjustment_cart", part, new, cart.id)

    async def release(self, cart: Cart) -> None:
        """The cart stops being its user's active cart (it stays readable by id)."""
        if cart.user_id is None:
            return
        part, key = part_of(cart.scope), _user_key(cart.user_id, cart.buy_now)
        if await self._view.get("active", part, key) == cart.id:
            self._tx.delete("active", part, key)

    async def remove(self, cart: Cart) -> None:
        part = part_of(cart.scope)
        self._tx.delete("carts", part, cart.id)
        for a in cart.adjustments:
            self._tx.delete("adjustment_cart", part, a.id)
        await self.release(cart)


class Stock(_Repository):
    async def taken(self, company: str) -> dict[str, int]:
        """Units of each article the company's checkouts took (articles never sold are absent)."""
        return await self._view.items("stock_taken", company)

    async def take(self, company: str, takes: dict[str, int]) -> None:
        """Take ``takes`` (article id → units) from the company's stock."""
        for article_id, quantity in takes.items():
            now = await self._view.get("stock_taken", company, article_id) or 0
            self._tx.put("stock_taken", company, article_id, now + quantity)


class Orders(_Repository):
    async def order_for(self, scope: Scope, digest: str) -> str | None:
        """The order an identical open-API checkout placed before, if any."""
        return await self._view.get("orders", part_of(scope), digest)

    def record(self, scope: Scope, digest: str, order_id: str) -> None:
        self._tx.put("orders", part_of(scope), digest, order_id)


class Offers(_Repository):
    """Coupon and promotion documents of each application, each with its arrival number (``seq``)."""

    async def docs(self, kind: str, scope: Scope) -> list[tuple[dict, int]] | None:
        """``(document, seq)`` of every ``kind`` ("coupon"/"promotion") offer, or None when the application's
        book was never written (it holds the default offers then)."""
        part = part_of(scope)
        if not await self._view.get("offer_books", part, "defaults"):
            return None
        prefix = kind + ":"
        return [(r["doc"], r["seq"]) for k, r in (await self._view.items("offers", part)).items()
                if k.startswith(prefix)]

    async def revision(self, scope: Scope) -> int:
        """Counts the changes to the application's offers: what was derived from them stays good until it moves."""
        return await self._view.get("offer_revision", part_of(scope), "n") or 0

    async def count(self, scope: Scope) -> int:
        return await self._view.count("offers", part_of(scope))

    def write(self, kind: str, scope: Scope, doc: dict, seq: int) -> None:
        self._tx.put("offers", part_of(scope), f"{kind}:{doc['_id']}", {"doc": doc, "seq": seq})

    def delete(self, kind: str, scope: Scope, offer_id: str) -> None:
        self._tx.delete("offers", part_of(scope), f"{kind}:{offer_id}")

    def copy_in(self, scope: Scope, defaults: dict[str, list[tuple[dict, int]]]) -> None:
        """Give the application its own copy of the default offers (before its first change)."""
        part = part_of(scope)
        for kind, docs in defaults.items():
            for doc, seq in docs:
                self._tx.put("offers", part, f"{kind}:{doc['_id']}", {"doc": doc, "seq": seq})
        self._tx.put("offer_books", part, "defaults", True)

    def moved(self, scope: Scope, revision: int) -> None:
        """The application's offers changed: their revision is now ``revision`` (a number never used before,
        so nothing derived from older offers, even before a reset, is taken for current)."""
        self._tx.put("offer_revision", part_of(scope), "n", revision)


class Addresses(_Repository):
    async def of_user(self, scope: Scope, user_id: str) -> list[dict]:
        """The user's addresses, oldest first."""
        records = await self._view.items("addresses", part_of(scope) + SEP + user_id)
        return [r["doc"] for r in sorted(records.values(), key=lambda r: r["seq"])]

    async def get(self, scope: Scope, address_id: str) -> dict | None:
        user_id = await self._view.get("address_users", part_of(scope), address_id)
        if user_id is None:
            return None
        record = await self._view.get("addresses", part_of(scope) + SEP + user_id, address_id)
        return None if record is None else record["doc"]

    async def seq(self, scope: Scope, user_id: str, address_id: str) -> int | None:
        record = await self._view.get("addresses", part_of(scope) + SEP + user_id, address_id)
        return None if record is None else record["seq"]

    async def count(self, scope: Scope) -> int:
        return await self._view.count("address_users", part_of(scope))

    def put(self, scope: Scope, doc: dict, seq: int) -> None:
        part = part_of(scope)
        self._tx.put("addresses", part + SEP + doc["user_id"], doc["id"], {"doc": doc, "seq": seq})
        self._tx.put("address_users", part, doc["id"], doc["user_id"])

    def delete(self, scope: Scope, doc: dict) -> None:
        part = part_of(scope)
        self._tx.delete("addresses", part + SEP + doc["user_id"], doc["id"])
        self._tx.delete("address_users", part, doc["id"])


class Shares(_Repository):
    async def by_token(self, scope: Scope, token: str) -> Share | None:
        record = await self._view.get("shares", part_of(scope), token)
        return None if record is None else share_from(record)

    async def of_cart(self, scope: Scope, cart_id: str) -> Share | None:
        token = await self._view.get("share_of_cart", part_of(scope), cart_id)
        return await self.by_token(scope, token) if token else None

    async def count(self, scope: Scope) -> int:
        return await self._view.count("shares", part_of(scope))

    def put(self, share: Share) -> None:
        part = part_of(share.scope)
        self._tx.put("shares", part, share.token, share_record(share))
        self._tx.put("share_of_cart", part, share.cart_id, share.token)


class CartConfigs(_Repository):
    async def get(self, scope: Scope) -> CartConfig | None:
        record = await self._view.get("cart_configs", part_of(scope), "config")
        return None if record is None else config_from(record)

    def put(self, config: CartConfig) -> None:
        self._tx.put("cart_configs", part_of(config.scope), "config", config_record(config))


class VoucherCarts(_Repository):
    async def of_owner(self, owner: str, catalog: dict[str, VoucherEntry]) -> list[VoucherCart]:
        """The owner's voucher carts, in the order they were made."""
        found = [voucher_from(r, catalog) for r in (await self._view.items("voucher_carts", owner)).values()]
        return sorted((c for c in found if c is not None), key=lambda c: c.id)

    def put(self, owner: str, cart: VoucherCart) -> None:
        self._tx.put("voucher_carts", owner, cart.entry.id, voucher_record(cart))


CONTROLS = "sandbox"   # the part of the sandbox-wide controls (not an application's)


class ControlRecords(_Repository):
    """The sandbox-wide controls, one record read on every request: the clock's setting (None: the one the
    sandbox started with) and the fault rules, in order (no record: the start rules, ``domain/controls.py``)."""

    async def encoded(self) -> Any | None:
        """The record as the storage keeps it (``decoded`` reads it): a reader keeping what it decoded last
        compares this with what that was decoded from."""
        return await self._view.get_encoded("controls", CONTROLS, "controls")

    def decoded(self, encoded: Any | None) -> tuple[ClockSetting | None, list[faults.FaultRule]]:
        return (None, []) if encoded is None else controls_from(self._view.decode(encoded))

    def write(self, clock: ClockSetting | None, rules: list[faults.FaultRule]) -> None:
        """(No record at all means "as the sandbox started": its start rules, which an empty list is not.)"""
        self._tx.put("controls", CONTROLS, "controls", controls_record(clock, rules))


_REPOSITORIES = {"carts": Carts, "stock": Stock, "orders": Orders, "offers": Offers, "addresses": Addresses,
                 "shares": Shares, "cart_configs": CartConfigs, "voucher_carts": VoucherCarts,
                 "controls": ControlRecords}


class _Repositories:
    """Every repository, over one view (the storage, or a transaction): ``carts``, ``stock``, ``orders``,
    ``offers``, ``addresses``, ``shares``, ``cart_configs``, ``voucher_carts``, ``controls``. Each is made when
    first asked for (a transaction uses two or three of them)."""

    carts: Carts
    stock: Stock
    orders: Orders
    offers: Offers
    addresses: Addresses
    shares: Shares
    cart_configs: CartConfigs
    voucher_carts: VoucherCarts
    controls: ControlRecords

    def __init__(self, view: Reader, decoded: DecodedCarts | None = None) -> None:
        self._view = view
        self._decoded = decoded

    async def pricing_stamp(self, scope: Scope):
        """Moves whenever what pricing the application's carts reads changes (its offers, its cart
        configuration, its company's stock taken); None when the view cannot tell."""
        part = part_of(scope)
        return await self._view.stamp((("offers", part), ("offer_books", part), ("offer_revision", part),
                                       ("cart_configs", part), ("stock_taken", scope[0])))

    def __getattr__(self, name: str):
        kind = _REPOSITORIES.get(name)
        if kind is None:
            raise AttributeError(name)
        repository = self.__dict__[name] = kind(self._view, self._decoded) if kind is Carts else kind(self._view)
        return repository


class Changes(_Repositories):
    """The repositories of one transaction: reads see its writes; writes apply together when it ends."""


class _Watched:
    """A transaction that notes whether anything was written through it (reads pass through)."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self.wrote = False

    def put(self, table: str, part: str, key: str, record: Any) -> None:
        self.wrote = True
        self._tx.put(table, part, key, record)

    def delete(self, table: str, part: str, key: str) -> None:
        self.wrote = True
        self._tx.delete(table, part, key)

    def __getattr__(self, name: str):
        return getattr(self._tx, name)


@dataclass(frozen=True)
class Caps:
    """How much a client can make the sandbox remember (settings; 0 = no cap)."""

    carts_per_application: int = 50_000
    carts: int = 200_000
    records_per_application: int = 10_000   # addresses, shares, coupons and promotions, each
    fresh_carts_remembered: int = 10_000


class SandboxState(_Repositories):
    """The state port: repositories to read, ``atomically`` to change, counters, notes and snapshots."""

    def __init__(self, storage: Storage, caps: Caps = Caps()) -> None:
        super().__init__(storage, DecodedCarts())
        self.storage = storage
        self.caps = caps

    async def atomically(self, fn: Callable[[Changes], Awaitable[T]]) -> T:
        fault = faults.FORCED.get()
        if fault is None:
            return await self.storage.atomically(lambda tx: fn(Changes(tx, self._decoded)))
        return await self.storage.atomically(lambda tx: self._dry_run(fn, tx, fault))

    async def _dry_run(self, fn: Callable[[Changes], Awaitable[T]], tx: Tx, fault: str) -> T:
        """``fn`` under a forced business fault: it may read and refuse, but a change it would make is refused
        (``faults.DidNotArise``), so the storage applies none of it."""
        watched = _Watched(tx)
        result = await fn(Changes(watched, self._decoded))
        if watched.wrote:
            raise faults.did_not_arise(fault)
        return result

    def append_journal(self, entry: dict, capacity: int) -> Awaitable[None]:
        """Keep one entry of the request journal (the newest ``capacity`` are kept); the journal owns it."""
        return self.storage.append("journal", entry, capacity)   # awaited by the caller: one coroutine less

    async def journal(self, limit: int | None = None) -> list[dict]:
        """The request journal's entries, newest first."""
        return await self.storage.tail("journal", limit)

    async def clear_journal(self) -> None:
        await self.storage.clear_log("journal")

    async def next_number(self, name: str, ordered: bool = True) -> int:
        """The next number of counter ``name``; ``ordered=False``: unique only (``Storage.next_number``)."""
        return await self.storage.next_number(name, ordered)

    async def epoch(self) -> int:
        """How many times the state was emptied (what the ids derived from it, such as a user's next cart's,
        mix in, so none is ever given again after a reset)."""
        return await self.storage.counter("epoch")

    async def note_fresh_cart(self, scope: Scope, cart_id: str, owner: tuple[str, bool, int]) -> None:
        """Remember, for a while, that a read showed ``cart_id`` as the fresh cart of ``owner``
        (user, buy now, generation)."""
        await self.storage.remember("fresh", part_of(scope), cart_id, list(owner), self.caps.fresh_carts_remembered)

    async def fresh_cart(self, scope: Scope, cart_id: str) -> tuple[str, bool, int] | None:
        noted = await self.storage.recall("fresh", part_of(scope), cart_id)
        return None if noted is None else (noted[0], noted[1], noted[2])

    async def scopes(self) -> list[Scope]:
        """The applications that hold carts."""
        return [scope_of(p) for p in await self.storage.parts("carts")]

    async def cart_total(self) -> int:
        return await self.storage.total("carts")

    async def clear(self, catalog: dict | None = None) -> None:
        """Forget everything (counters aside). ``catalog``: the identity of the catalog the emptied state now
        belongs to (a reseed), which a shared storage keeps for every process."""
        # The epoch moves first: a change that read the old state and commits after the clear is refused by a
        # shared storage, and one that read the new epoch before it is cleared away.
        await self.storage.next_number("epoch")
        if catalog is None:
            await self.storage.clear()
        else:
            await self.storage.restore({"format": FORMAT, "version": VERSION, "catalog": catalog})
        if self._decoded is not None:
            self._decoded.clear()

    async def export(self) -> dict:
        return await self.storage.export()

    async def restore(self, document: dict) -> None:
        """Replace the state with a snapshot; every record is read first, so a bad one changes nothing."""
        tables, _ = checked_document(document)
        for table, read in RECORD_READERS.items():
            for records in tables.get(table, {}).values():
                for key, record in records.items():
                    try:
                        read(record)
                    except (KeyError, TypeError, ValueError, AttributeError) as exc:
                        raise InvalidValue(f"tables.{table}: record {key!r} cannot be read ({type(exc).__name__}:"
                                           f" {exc})", field=f"tables.{table}", value=key) from None
        await self.storage.restore(document)
