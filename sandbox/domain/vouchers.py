"""EnKash voucher carts: per user, per catalog entry, quantities of product configs (denominations).

Amounts are whole rupees, as the EnKash document gives them: per config ``total = sellRate ×
quantity`` and ``savings = (mrp − sellRate) × quantity``; per entry, the sums.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InvalidValue, NotFound

if TYPE_CHECKING:
    from .state import Changes, SandboxState


@dataclass(frozen=True)
class ProductConfig:
    id: str
    mrp: int
    sell_rate: int
    enkash_discount: int
    max_quantity: int
    custom_amount_enabled: bool


@dataclass(frozen=True)
class VoucherEntry:
    """One brand's e-gift card in the catalog."""

    id: str
    name: str
    logo_url: str
    terms: str
    how_to_redeem: str
    configs: tuple[ProductConfig, ...]

    def config(self, config_id: str) -> ProductConfig | None:
        return next((c for c in self.configs if c.id == config_id), None)


def voucher_catalog(entries: list[dict[str, Any]]) -> dict[str, VoucherEntry]:
    """The voucher catalog from its file format (the documented ``productConfigs`` shape)."""
    return {e["productCatalogId"]: VoucherEntry(
        id=e["productCatalogId"], name=e["name"], logo_url=e["logoUrl"], terms=e["termsAndCondition"],
        how_to_redeem=e["howToRedeem"],
        configs=tuple(ProductConfig(c["productConfigId"], c["mrp"], c["sellRate"], c["enkashDiscount"],
                                    c["maxQuantity"], c["customAmountEnabled"]) for c in e["productConfigs"]))
        for e in entries}


@dataclass(frozen=True)
class VoucherLine:
    config: ProductConfig
    quantity: int

    @property
    def total(self) -> int:
        return self.config.sell_rate * self.quantity

    @property
    def savings(self) -> int:
        return (self.config.mrp - self.config.sell_rate) * self.quantity


@dataclass
class VoucherCart:
    """What one user holds of one catalog entry."""

    id: int
    user: str
    entry: VoucherEntry
    quantities: dict[str, int] = field(default_factory=dict)   # config id → units, in order of first add

    def lines(self) -> list[VoucherLine]:
        configs = {c.id: c for c in self.entry.configs}   # every held id is one: adding checks it
        return [VoucherLine(configs[cid], q) for cid, q in self.quantities.items()]

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines())

    @property
    def total_amount(self) -> int:
        return sum(line.total for line in self.lines())

    @property
    def total_savings(self) -> int:
        return sum(line.savings for line in self.lines())


def ek_user_id(token: str) -> str:
    """A stable EnKash user id for a bearer token: ``EK`` and six characters, as the document shows one.

    Only a label: two tokens can share it (30 bits). Carts are kept per ``owner_key``, the whole token's
    digest."""
    digest = hashlib.sha256(token.encode()).digest()
    return "EK" + base64.b32encode(digest).decode()[:6]


def owner_key(token: str) -> str:
    """Whose voucher carts a bearer token opens: the token's SHA-256, so distinct tokens never share them."""
    return hashlib.sha256(token.encode()).hexdigest()


class VoucherCarts:
    """Every token owner's voucher carts (in the state's ``voucher_carts``), over one voucher catalog."""

    def __init__(self, state: SandboxState, catalog: dict[str, VoucherEntry]) -> None:
        self.state = state
        self.catalog = catalog

    async def carts(self, owner: str) -> list[VoucherCart]:
        return await self.state.voucher_carts.of_owner(owner, self.catalog)

    async def add(self, owner: str, user: str, catalog_id: str, items: dict[str, dict]) -> list[VoucherCart]:
        """Add every item (config id → {quantity}) or none to ``owner``'s carts (labelled ``user``); the
        owner's carts after it."""
        entry = self.catalog.get(catalog_id)
        if entry is None:
            raise NotFound(f"productCatalogId: no voucher catalog {catalog_id!r}", field="productCatalogId",
                           value=catalog_id)

        async def change(tx: Changes) -> list[VoucherCart]:
            held = next((c for c in await tx.voucher_carts.of_owner(owner, self.catalog) if c.entry.id == catalog_id),
                        None)
            have = dict(held.quantities) if held else {}
            for config_id, item in items.items():
                config = entry.config(config_id)
                if config is None:
                    raise NotFound(f"items.{config_id}: not a product config of {catalog_id}",
                                   field=f"items.{config_id}", value=config_id)
                quantity = item.get("quantity")
                if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
                    raise InvalidValue(f"items.{config_id}.quantity must be at least 1, not {quantity!r}",
                                       field=f"items.{config_id}.quantity", value=quantity)
                if have.get(config_id, 0) + quantity > config.max_quantity:
                    raise InvalidValue(f"items.{config_id}.quantity: at most {config.max_quantity} per user, "
                                       f"{have.get(config_id, 0)} already in the cart",
                                       field=f"items.{config_id}.quantity", value=quantity)
                have[config_id] = have.get(config_id, 0) + quantity
            if held is None:
                held = VoucherCart(await self.state.next_number("voucher_cart", ordered=False), user, entry)
            held.quantities = have
            tx.voucher_carts.put(owner, held)
            return await tx.voucher_carts.of_owner(owner, self.catalog)
        return await self.state.atomically(change)
