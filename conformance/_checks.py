"""Cart invariants as Schemathesis custom checks (per response) and flow checks (several calls).

See the package docstring for the list. Everything here reads JSON only: no sandbox import, so the
checks hold a real deployment to the same arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import schemathesis
from schemathesis.core.failures import Failure

CENT = Decimal("0.01")  # money rounding: each term of a relation may be off by one paisa


# --------------------------------------------------------------------------- failures as data
class InvariantViolated(Failure):
    """A response breaks a cart invariant; ``title`` names the invariant, ``message`` gives the numbers."""

    kind_title = "Cart invariant violated"


@dataclass(frozen=True)
class FlowFailure:
    """A flow check's finding: which check, which operation, what was wrong, and the numbers."""

    check: str
    operation: str
    message: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.check}: {self.operation}: {self.message}"


# --------------------------------------------------------------------------- reading bodies
def _dec(value: Any) -> Decimal | None:
    """A JSON number as Decimal (via its text, so 0.1 stays 0.1); None for anything else, bools included."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _body(response: Any) -> Any:
    """The parsed JSON body of a 2xx response; None for other statuses or a body that is not JSON."""
    status = getattr(response, "status_code", None)
    if not isinstance(status, int) or not 200 <= status < 300:
        return None
    try:
        return response.json()
    except Exception:  # noqa: BLE001 - not JSON: nothing to check
        return None


def _walk(node: Any, path: str = "$") -> Iterator[tuple[str, dict]]:
    """Every JSON object in the body with its JSONPath-like location."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def _holders(body: Any) -> Iterator[tuple[str, dict, dict]]:
    """(path, object, raw breakup) for every object holding ``breakup_values.raw``."""
    for path, obj in _walk(body):
        bv = obj.get("breakup_values")
        if isinstance(bv, dict) and isinstance(bv.get("raw"), dict):
            yield path, obj, bv["raw"]


def _fmt(d: Decimal) -> str:
    return format(d.normalize(), "f") if d == d.to_integral_value() else format(d, "f")


def _relation(name: str, left: tuple[str, Decimal | None], right: list[tuple[str, int, Decimal | None]],
              where: str) -> list[str]:
    """``left = Σ sign·term``, tolerance one paisa per term; silent when a term is absent."""
    lname, lval = left
    terms = [(n, sign, v) for n, sign, v in right if v is not None]
    if lval is None or len(terms) < len(right):
        return []
    expected = sum((sign * v for _, sign, v in terms), Decimal(0))
    tol = CENT * (len(terms) + 1)
    if abs(lval - expected) <= tol:
        return []
    expr = " ".join(("+ " if sign > 0 else "- ") + f"{n}({_fmt(v)})" for n, sign, v in terms).lstrip("+ ")
    return [f"{where}: {name}: {lname} = {_fmt(lval)} but {expr} = {_fmt(expected)} "
            f"(off by {_fmt(lval - expected)}, tolerance {_fmt(tol)})"]


def _display_value(obj: dict, key: str) -> Decimal | None:
    display = (obj.get("breakup_values") or {}).get("display")
    if not isinstance(display, list):
        return None
    for entry in display:
        if isinstance(entry, dict) and entry.get("key") == key:
            return _dec(entry.get("value"))
    return None


# --------------------------------------------------------------------------- pure problem finders
def breakup_problems(body: Any) -> list[str]:
    """What is wrong with every raw breakup in ``body`` (empty when nothing is, or nothing applies)."""
    problems: list[str] = []
    for path, obj, raw in _holders(body):
        where = f"{path}.breakup_values.raw"
        g = {k: _dec(raw.get(k)) for k in ("mrp_total", "subtotal", "discount", "coupon", "vog", "delivery_charge",
                                           "cod_charge", "convenience_fee", "total", "you_saved")}
        if g["coupon"] is not None and g["coupon"] > CENT:
            problems.append(f"{where}: coupon <= 0: coupon = {_fmt(g['coupon'])} is positive (a reduction is negative)")
        # discount = subtotal − mrp_total − reductions, vog = subtotal − reductions + coupon  ⇒  vog = mrp + discount + coupon
        problems += _relation("value of goods = MRP total + discount + coupon", ("vog", g["vog"]),
                              [("mrp_total", 1, g["mrp_total"]), ("discount", 1, g["discount"]),
                               ("coupon", 1, g["coupon"])], where)
        subtotal, mrp_total, discount = g["subtotal"], g["mrp_total"], g["discount"]
        if subtotal is not None and mrp_total is not None and discount is not None:
            reductions = subtotal - mrp_total - discount
            if reductions < -3 * CENT:
                problems.append(f"{where}: discount <= subtotal - mrp_total: discount = {_fmt(discount)} but "
                                f"subtotal({_fmt(subtotal)}) - mrp_total({_fmt(mrp_total)}) = "
                                f"{_fmt(subtotal - mrp_total)} (promotions would be {_fmt(reductions)})")
        # Price-adjustment charges have no raw field; they show as the `price_adjustment` display line.
        charges = _display_value(obj, "price_adjustment") or Decimal(0)
        terms = [("vog", 1, g["vog"]), ("delivery_charge", 1, g["delivery_charge"]),
                 ("cod_charge", 1, g["cod_charge"] if g["cod_charge"] is not None else Decimal(0))]
        if g["convenience_fee"]:
            terms.append(("convenience_fee", 1, g["convenience_fee"]))
        if charges:
            terms.append(("price_adjustment", 1, charges))
        problems += _relation("total = vog + delivery + COD + charges", ("total", g["total"]), terms, where)
        problems += _relation("you_saved = mrp_total - vog", ("you_saved", g["you_saved"]),
                              [("mrp_total", 1, g["mrp_total"]), ("vog", -1, g["vog"])], where)
        # Line totals: only when every line carries its price (a deployment may omit it).
        items = obj.get("items")
        if isinstance(items, list):
            marked, effective = [], []
            for it in items:
                base = ((it.get("price") or {}).get("base") or {}) if isinstance(it, dict) else {}
                marked.append(_dec(base.get("marked")) if isinstance(base, dict) else None)
                effective.append(_dec(base.get("effective")) if isinstance(base, dict) else None)
            for raw_key, label, values in (("mrp_total", "marked", marked), ("subtotal", "effective", effective)):
                stated, known = g[raw_key], [v for v in values if v is not None]
                if stated is None or len(known) < len(values):
                    continue
                total = sum(known, Decimal(0))
                tol = CENT * (len(known) + 1)
                if abs(stated - total) > tol:
                    problems.append(f"{where}: {raw_key} = sum of lines' price.base.{label}: {raw_key} = "
                                    f"{_fmt(stated)} but the {len(known)} line(s) {path}.items sum to "
                                    f"{_fmt(total)} ({' + '.join(_fmt(v) for v in known) or '0'})")
    return problems


def display_problems(body: Any) -> list[str]:
    """Display entries whose ``key`` names a raw field but whose ``value`` differs from it."""
    problems: list[str] = []
    for path, obj, raw in _holders(body):
        display = obj["breakup_values"].get("display")
        if not isinstance(display, list):
            continue
        for i, entry in enumerate(display):
            if not isinstance(entry, dict) or entry.get("key") not in raw:
                continue
            key = entry["key"]
            shown, real = _dec(entry.get("value")), _dec(raw[key])
            if shown is not None and real is not None and abs(shown - real) > 2 * CENT:
                problems.append(f"{path}.breakup_values.display[{i}] ({key!r}): value = {_fmt(shown)} "
                                f"but raw.{key} = {_fmt(real)}")
    return problems


def enkash_problems(body: Any) -> list[str]:
    """EnKash cart entries (``payload``) whose line or entry totals do not follow from sellRate, mrp, quantity."""
    if not isinstance(body, dict) or not isinstance(body.get("payload"), list):
        return []
    problems: list[str] = []
    for n, entry in enumerate(body["payload"]):
        if not isinstance(entry, dict):
            continue
        items = entry.get("items")
        lines = list(items.items()) if isinstance(items, dict) else list(enumerate(items or [])) \
            if isinstance(items, list) else []
        sums = {"quantity": Decimal(0), "total": Decimal(0), "savings": Decimal(0)}
        complete = {k: True for k in sums}
        for key, ln in lines:
            where = f"$.payload[{n}].items[{key!r}]"
            if not isinstance(ln, dict):
                continue
            q, rate, mrp = _dec(ln.get("quantity")), _dec(ln.get("sellRate")), _dec(ln.get("mrp"))
            tot, sav = _dec(ln.get("total")), _dec(ln.get("savings"))
            if q is not None and rate is not None and tot is not None and abs(tot - rate * q) > CENT:
                problems.append(f"{where}: total = sellRate x quantity: total = {_fmt(tot)} but "
                                f"{_fmt(rate)} x {_fmt(q)} = {_fmt(rate * q)}")
            if (q is not None and rate is not None and mrp is not None and sav is not None
                    and abs(sav - (mrp - rate) * q) > CENT):
                problems.append(f"{where}: savings = (mrp - sellRate) x quantity: savings = {_fmt(sav)} but "
                                f"({_fmt(mrp)} - {_fmt(rate)}) x {_fmt(q)} = {_fmt((mrp - rate) * q)}")
            for k, v in (("quantity", q), ("total", tot), ("savings", sav)):
                if v is None:
                    complete[k] = False
                else:
                    sums[k] += v
        if not lines:
            continue
        for field_name, k in (("totalQuantity", "quantity"), ("totalAmount", "total"), ("totalSavings", "savings")):
            got = _dec(entry.get(field_name))
            if got is not None and complete[k] and abs(got - sums[k]) > CENT * (len(lines) + 1):
                problems.append(f"$.payload[{n}]: {field_name} = sum of items' {k}: {field_name} = {_fmt(got)} "
                                f"but the {len(lines)} item(s) sum to {_fmt(sums[k])}")
    return problems


# --------------------------------------------------------------------------- fields a client reads
# The fields of each Fynd answer (2xx) that a client reads, as the documents show them. The captured
# response schemas mark no field required (the text gives responses no required marks), so a dropped
# field passes `response_schema_conformance`, and the invariants above stay silent where a field is
# absent; this list, kept once here, is what makes those fields required. A path is dot-separated;
# `[]` is every element of a list (an empty list has nothing to check). A path ending in `?b` is
# required only when the request asked for the breakup (`b=true`: documented as opt-in); `?i` only when
# items were not turned off (`i=false`). EnKash's schema marks its own required fields.
_CART = ("id", "items[].identifiers.identifier?i", "items[].quantity?i", "breakup_values.raw.total?b")
_CART_CHANGE = ("success", "cart.id", "cart.items[].identifiers.identifier?i", "cart.items[].quantity?i",
                "cart.breakup_values.raw.total?b")
_SUCCESS = ("success",)
DOCUMENTED_FIELDS: dict[str, tuple[str, ...]] = {
    # the cart
    "getCart": _CART, "getAbandonedCartDetails": _CART, "applyCoupon": _CART, "removeCoupon": _CART,
    "selectAddress": _CART, "selectPaymentMode": _CART, "selectPaymentModeV2": _CART,
    "platformAddItems": _CART_CHANGE, "platformUpdateCart": _CART_CHANGE, "addItems": _CART_CHANGE,
    "updateCart": _CART_CHANGE,
    "getItemCount": ("user_cart_items_count",),
    "deleteCart": _SUCCESS,
    "updateCartUser": ("id", "user"),
    "updateCartMeta": ("is_valid",),
    "getCartList": ("data[].cart_id",),
    "getCartShareLink": ("token", "share_url"),
    "getCartSharedItems": ("cart.id", "cart.items[].identifiers.identifier", "cart.shared_cart_details.token"),
    "updateCartWithSharedItems": ("cart.id", "cart.items[].identifiers.identifier"),
    "getAbandonedCart": ("items[]._id", "page.item_total"),
    # quotes, shipments, delivery
    "fetchAndValidateCartItems": ("is_valid", "items[].quantity"),
    "checkCartServiceability": ("is_valid", "items[].quantity"),
    "getShipments": ("id", "shipments[].items", "breakup_values.raw.total"),
    "updateShipments": ("id", "shipments[].items", "breakup_values.raw.total"),
    "getAvailableDeliveryModes": ("available_modes",),
    "getStoreAddressByUid": ("items[].uid", "items[].area_code"),
    # checkout
    "platformCheckoutCartV2": ("success", "order_id", "cart.id", "cart.breakup_values.raw.total"),
    "checkoutCart": ("success", "order_id"),
    "overrideCart": ("success", "order_id"),
    # coupons and promotions
    "getCoupons": ("items[]._id", "items[].code", "page.has_next"),
    "getCouponById": ("code", "_schedule.status"),
    "createCoupon": _SUCCESS, "updateCoupon": _SUCCESS, "deleteCoupon": _SUCCESS,
    "getAppCoupons": ("available_coupon_list[].coupon_code", "available_coupon_list[].is_applicable"),
    "validateCouponForPayment": _SUCCESS,
    "getPromotions": ("items[]._id", "page.has_next"),
    "getPromotionById": ("promotion_type", "_schedule.status"),
    "deletePromotion": _SUCCESS,
    "getPromotionOffers": ("available_promotions",),
    # addresses
    "getAddresses": ("address[].id", "address[].area_code"),
    "addAddress": ("id", "success"),
    "getAddressById": ("id", "area_code", "user_id"),
    "updateAddress": ("id", "success"),
    "removeAddress": ("id", "is_deleted"),
    # price adjustments
    "addPriceAdjustment": ("data[].id", "data[].value"), "updatePriceAdjustment": ("data[].id", "data[].value"),
    "getPriceAdjustments": ("data[].id", "data[].value"), "removePriceAdjustment": _SUCCESS,
}


def _flag(query: Any, name: str) -> bool | None:
    """A boolean query flag as sent (Schemathesis gives booleans, URLs give text); None when not sent."""
    value = (query or {}).get(name) if isinstance(query, dict) else None
    if value is None:
        return None
    return value is True or str(value).lower() == "true"


def _missing(node: Any, parts: list[str], at: str) -> list[str]:
    """Where along ``parts`` the body lacks a field (every element of a ``name[]`` list is followed)."""
    if not parts:
        return []
    head, rest = parts[0], parts[1:]
    many = head.endswith("[]")
    key = head[:-2] if many else head
    if not isinstance(node, dict) or key not in node or node[key] is None:
        return [f"{at}.{key}"]
    value = node[key]
    if not many:
        return _missing(value, rest, f"{at}.{key}")
    if not isinstance(value, list):
        return [f"{at}.{key}[]"]
    return [m for i, element in enumerate(value) for m in _missing(element, rest, f"{at}.{key}[{i}]")]


def documented_field_problems(operation_id: str, body: Any, query: Any = None) -> list[str]:
    """The fields of ``DOCUMENTED_FIELDS[operation_id]`` that ``body`` (a 2xx answer) lacks, given the request's
    query (its ``b`` and ``i`` flags); empty for operations not listed or bodies that are not JSON objects."""
    paths = DOCUMENTED_FIELDS.get(operation_id)
    if not paths or not isinstance(body, dict):
        return []
    problems: list[str] = []
    for path in paths:
        path, _, condition = path.partition("?")
        if condition == "b" and not _flag(query, "b"):
            continue
        if condition == "i" and _flag(query, "i") is False:
            continue
        for where in _missing(body, path.split("."), "$"):
            problems.append(f"{where} is missing: {operation_id}'s documented answer carries {path}, which clients "
                            f"read")
    return problems


# --------------------------------------------------------------------------- Schemathesis checks
def _raise(name: str, problems: list[str], case: Any) -> None:
    if problems:
        operation = getattr(getattr(case, "operation", None), "label", None)
        raise InvariantViolated(operation=operation, title=name, message="\n".join(problems))


@schemathesis.check
def breakup_adds_up(ctx: Any, response: Any, case: Any) -> None:
    """Every raw breakup adds up: vog = mrp_total + discount + coupon, coupon <= 0,
    total = vog + delivery + COD (+ convenience fee, price-adjustment charges), you_saved = mrp_total − vog,
    and mrp_total / subtotal = Σ lines' price.base.marked / effective."""
    _raise("breakup_adds_up", breakup_problems(_body(response)), case)


@schemathesis.check
def display_matches_raw(ctx: Any, response: Any, case: Any) -> None:
    """Every display line whose key is a raw field shows the raw value."""
    _raise("display_matches_raw", display_problems(_body(response)), case)


@schemathesis.check
def enkash_totals(ctx: Any, response: Any, case: Any) -> None:
    """EnKash: per config total = sellRate × quantity, savings = (mrp − sellRate) × quantity; entry sums."""
    _raise("enkash_totals", enkash_problems(_body(response)), case)


@schemathesis.check
def documented_fields_present(ctx: Any, response: Any, case: Any) -> None:
    """Every field ``DOCUMENTED_FIELDS`` lists for the operation is in its 2xx answer."""
    definition = getattr(getattr(case, "operation", None), "definition", None)
    operation_id = (getattr(definition, "raw", None) or {}).get("operationId", "")
    _raise("documented_fields_present",
           documented_field_problems(operation_id, _body(response), getattr(case, "query", None)), case)


# --------------------------------------------------------------------------- flow checks (several calls)
Call = Callable[..., Any]


def _request(client: Any, method: str, url: str, **kwargs: Any) -> Any:
    """One call through an httpx-like client (``.request``) or a plain callable ``(method, url, **kw)``."""
    if hasattr(client, "request"):
        return client.request(method, url, **kwargs)
    return client(method, url, **kwargs)


def _json(response: Any) -> Any:
    try:
        return response.json()
    except Exception:  # noqa: BLE001
        return None


def _cart_of(body: Any) -> dict | None:
    """The cart object of a cart answer (CartDetailResult itself, or ``cart`` of add/update results)."""
    if isinstance(body, dict) and isinstance(body.get("cart"), dict):
        return body["cart"]
    return body if isinstance(body, dict) else None


def _raw(cart: dict | None) -> dict[str, Decimal]:
    raw = ((cart or {}).get("breakup_values") or {}).get("raw") or {}
    return {k: d for k, v in raw.items() if (d := _dec(v)) is not None}


def _lines(cart: dict | None) -> dict[str, int]:
    """identifier → quantity of the cart's lines (lines without an identifier or quantity are skipped)."""
    out: dict[str, int] = {}
    for it in (cart or {}).get("items") or []:
        ident = ((it.get("identifiers") or {}).get("identifier")) if isinstance(it, dict) else None
        q = it.get("quantity") if isinstance(it, dict) else None
        if isinstance(ident, str) and isinstance(q, int) and not isinstance(q, bool):
            out[ident] = out.get(ident, 0) + q
    return out


def _read(client: Any, check: str, operation: str, url: str, failures: list, **kw: Any) -> Any:
    """The body of a call expected to succeed; on another status, records a failure and returns None."""
    r = _request(client, "GET" if not kw.get("method") else kw.pop("method"), url, **kw)
    if not 200 <= r.status_code < 300:
        failures.append(FlowFailure(check, operation, f"expected 2xx, got {r.status_code}: {r.text[:200]}",
                                    {"status": r.status_code}))
        return None
    return _json(r)


def _raw_diff(before: dict[str, Decimal], after: dict[str, Decimal]) -> dict[str, tuple[str, str]]:
    return {k: (_fmt(before[k]), _fmt(after[k])) for k in before.keys() & after.keys()
            if abs(before[k] - after[k]) > CENT}


def _count_problem(client: Any, base: str, cart_id: str, name: str, after: str, failures: list) -> None:
    """Compare ``GET basic``'s count with the units of ``GET detail``'s lines, once, after ``after``."""
    detail = _read(client, name, "GET detail", f"{base}/detail?id={cart_id}&i=true", failures)
    basic = _read(client, name, "GET basic", f"{base}/basic?id={cart_id}", failures)
    if not isinstance(detail, dict) or not isinstance(basic, dict):
        return
    items, count = detail.get("items"), basic.get("user_cart_items_count")
    if not isinstance(items, list) or not isinstance(count, int) or isinstance(count, bool):
        return  # absent fields are reported by documented_fields_present
    given = [it.get("quantity") for it in items if isinstance(it, dict)]
    quantities = [q for q in given if isinstance(q, int) and not isinstance(q, bool)]
    if len(quantities) < len(given):
        return
    if count != sum(quantities):
        failures.append(FlowFailure(name, "GET basic", f"after {after}: user_cart_items_count = {count} but the "
                                    f"cart's {len(quantities)} line(s) hold {sum(quantities)} unit(s) "
                                    f"({' + '.join(map(str, quantities)) or '0'})",
                                    {"count": count, "quantities": quantities, "after": after}))


def check_item_count(call: Any, base: str, cart_id: str) -> list[FlowFailure]:
    """GET basic counts the units of GET detail: user_cart_items_count = Σ items[].quantity."""
    failures: list[FlowFailure] = []
    _count_problem(call, base, cart_id, "item_count_matches_cart", "reading the cart", failures)
    return failures


def check_count_follows_changes(client: Any, base: str, cart_id: str, item: dict) -> list[FlowFailure]:
    """GET basic's count follows each change: after adding ``item``, raising that line's quantity and removing it
    again (``remove_item`` for a new line, ``update_item`` back otherwise), the count equals the units of the
    cart's own lines every time. A count read once and served again is caught at the first change."""
    name = "count_follows_changes"
    failures: list[FlowFailure] = []
    _count_problem(client, base, cart_id, name, "reading the cart", failures)
    before = _lines(_cart_of(_read(client, name, "GET detail", f"{base}/detail?id={cart_id}", failures)))
    if failures:
        return failures
    added = _lines(_cart_of(_read(client, name, "POST detail", f"{base}/detail?id={cart_id}", failures,
                                  method="POST", json={"items": [{**item, "quantity": 1}]})))
    changed = [k for k, q in added.items() if before.get(k) != q]
    if failures or not changed:
        if not failures:
            failures.append(FlowFailure(name, "POST detail", f"adding {item} changed no line", {"lines": before}))
        return failures
    line = changed[0]
    _count_problem(client, base, cart_id, name, f"adding one unit of {item}", failures)
    _read(client, name, "PUT detail update_item", f"{base}/detail?id={cart_id}", failures, method="PUT",
          json={"operation": "update_item", "items": [{"identifiers": {"identifier": line},
                                                       "quantity": added[line] + 1}]})
    _count_problem(client, base, cart_id, name, f"raising line {line} to {added[line] + 1}", failures)
    if line in before:
        undo = {"operation": "update_item", "items": [{"identifiers": {"identifier": line}, "quantity": before[line]}]}
    else:
        undo = {"operation": "remove_item", "items": [{"identifiers": {"identifier": line}}]}
    _read(client, name, f"PUT detail {undo['operation']}", f"{base}/detail?id={cart_id}", failures, method="PUT",
          json=undo)
    _count_problem(client, base, cart_id, name, f"{undo['operation']} on line {line}", failures)
    return failures


def check_coupon_round_trip(client: Any, base: str, cart_id: str, code: str) -> list[FlowFailure]:
    """Applying ``code`` moves the total by the coupon's value (plus any delivery change it causes) and
    leaves MRP total and subtotal alone; removing it restores the raw breakup as it was."""
    name = "coupon_round_trip"
    failures: list[FlowFailure] = []
    before = _raw(_cart_of(_read(client, name, "GET detail", f"{base}/detail?id={cart_id}&b=true", failures)))
    if failures:
        return failures
    applied_body = _read(client, name, f"POST platform-pos-coupon {code}",
                         f"{base}/platform-pos-coupon?id={cart_id}&b=true", failures,
                         method="POST", json={"coupon_code": code})
    if failures:
        return failures
    applied = _raw(_cart_of(applied_body))
    op = f"POST platform-pos-coupon {code}"
    if all(k in before and k in applied for k in ("total", "coupon", "delivery_charge")):
        moved = applied["total"] - before["total"]
        expected = (applied["coupon"] - before["coupon"]) + (applied["delivery_charge"] - before["delivery_charge"])
        if abs(moved - expected) > 4 * CENT:
            failures.append(FlowFailure(name, op, f"total moved by {_fmt(moved)} ({_fmt(before['total'])} -> "
                                        f"{_fmt(applied['total'])}) but coupon moved by "
                                        f"{_fmt(applied['coupon'] - before['coupon'])} and delivery by "
                                        f"{_fmt(applied['delivery_charge'] - before['delivery_charge'])}",
                                        {"before": before.get("total"), "after": applied.get("total")}))
        shown = _dec((((_cart_of(applied_body) or {}).get("breakup_values") or {}).get("coupon") or {}).get("value"))
        if shown is not None and abs(shown + applied["coupon"]) > 2 * CENT:
            failures.append(FlowFailure(name, op, f"breakup_values.coupon.value = {_fmt(shown)} but "
                                        f"raw.coupon = {_fmt(applied['coupon'])}"))
    for k in ("mrp_total", "subtotal"):
        if k in before and k in applied and abs(before[k] - applied[k]) > CENT:
            failures.append(FlowFailure(name, op, f"{k} changed from {_fmt(before[k])} to {_fmt(applied[k])}"))
    removed_body = _read(client, name, "DELETE platform-pos-coupon", f"{base}/platform-pos-coupon?uid={cart_id}",
                         failures, method="DELETE")
    if removed_body is None:
        return failures
    after = _raw(_cart_of(_read(client, name, "GET detail", f"{base}/detail?id={cart_id}&b=true", failures)))
    diff = _raw_diff(before, after)
    if diff:
        failures.append(FlowFailure(name, "DELETE platform-pos-coupon", "removing the coupon did not restore the "
                                    "breakup: " + ", ".join(f"{k} {a} -> {b}" for k, (a, b) in sorted(diff.items())),
                                    {"diff": diff}))
    return failures


def check_add_remove_round_trip(client: Any, base: str, cart_id: str, item: dict) -> list[FlowFailure]:
    """Adding ``item`` (a platformAddItems item) changes the cart; undoing it (removing the new line, or
    putting a raised quantity back) restores the lines and the raw breakup."""
    name = "add_remove_round_trip"
    failures: list[FlowFailure] = []
    before_cart = _cart_of(_read(client, name, "GET detail", f"{base}/detail?id={cart_id}&b=true", failures))
    if failures:
        return failures
    before_lines, before_raw = _lines(before_cart), _raw(before_cart)
    added = _cart_of(_read(client, name, "POST detail", f"{base}/detail?id={cart_id}&b=true", failures,
                           method="POST", json={"items": [item]}))
    if failures:
        return failures
    added_lines = _lines(added)
    changed = {k: q for k, q in added_lines.items() if before_lines.get(k) != q}
    if not changed:
        failures.append(FlowFailure(name, "POST detail", f"adding {item} changed no line",
                                    {"lines": before_lines}))
        return failures
    undo = [{"identifiers": {"identifier": k}, "quantity": before_lines.get(k, 0)} for k in changed]
    _read(client, name, "PUT detail update_item", f"{base}/detail?id={cart_id}&b=true", failures,
          method="PUT", json={"operation": "update_item", "items": undo})
    if failures:
        return failures
    after_cart = _cart_of(_read(client, name, "GET detail", f"{base}/detail?id={cart_id}&b=true", failures))
    if failures:
        return failures
    after_lines, after_raw = _lines(after_cart), _raw(after_cart)
    if after_lines != before_lines:
        failures.append(FlowFailure(name, "PUT detail update_item", f"lines not restored: before {before_lines}, "
                                    f"after {after_lines}", {"before": before_lines, "after": after_lines}))
    diff = _raw_diff(before_raw, after_raw)
    if diff:
        failures.append(FlowFailure(name, "PUT detail update_item", "breakup not restored: "
                                    + ", ".join(f"{k} {a} -> {b}" for k, (a, b) in sorted(diff.items())),
                                    {"diff": diff}))
    return failures


def check_persisted(client: Any, base: str, cart_id: str, item: dict) -> list[FlowFailure]:
    """What ``POST detail`` answers is what ``GET detail`` serves next: adding ``item`` is saved (the lines
    read back equal the lines answered). The addition is undone afterwards (``update_item`` to the old quantity)."""
    name = "persisted"
    failures: list[FlowFailure] = []
    before = _lines(_cart_of(_read(client, name, "GET detail", f"{base}/detail?id={cart_id}", failures)))
    if failures:
        return failures
    answered = _lines(_cart_of(_read(client, name, "POST detail", f"{base}/detail?id={cart_id}", failures,
                                     method="POST", json={"items": [item]})))
    if failures:
        return failures
    stored = _lines(_cart_of(_read(client, name, "GET detail", f"{base}/detail?id={cart_id}", failures)))
    if failures:
        return failures
    if stored != answered:
        failures.append(FlowFailure(name, "POST detail", f"answered lines {answered} but GET detail then serves "
                                    f"{stored}: the change was not saved", {"answered": answered, "stored": stored}))
    undo = [{"identifiers": {"identifier": k}, "quantity": before.get(k, 0)}
            for k in set(answered) | set(stored) if before.get(k) != stored.get(k, 0)]
    if undo:
        _request(client, "PUT", f"{base}/detail?id={cart_id}", json={"operation": "update_item", "items": undo})
    return failures


def _gone(client: Any, check: str, what: str, delete: tuple[str, str, str, dict | None],
          read: tuple[str, str, str]) -> list[FlowFailure]:
    """``delete`` (operation, method, url, json) answers 2xx, then ``read`` (operation, method, url) answers 404."""
    failures: list[FlowFailure] = []
    d_op, d_method, d_url, d_json = delete
    _read(client, check, d_op, d_url, failures, method=d_method, **({"json": d_json} if d_json is not None else {}))
    if failures:
        return failures
    r_op, r_method, r_url = read
    r = _request(client, r_method, r_url)
    if r.status_code != 404:
        body = _json(r)
        shown = ""
        if 200 <= r.status_code < 300 and isinstance(body, dict):
            cart = _cart_of(body) or {}
            shown = f" (id {cart.get('id')!r}, {len(cart.get('items') or [])} line(s))" if "items" in cart else ""
        failures.append(FlowFailure(check, d_op, f"{what} was deleted ({d_method} answered 2xx), but {r_method} "
                                    f"{r_url.split('?')[0].rsplit('/', 1)[-1]} by its id then answers "
                                    f"{r.status_code}{shown}, not 404",
                                    {"status": r.status_code, "read": r_op}))
    return failures


def check_deleted_is_gone(client: Any, base: str, cart_id: str) -> list[FlowFailure]:
    """After ``PUT cart_archive`` (deleteCart) answers 2xx for ``cart_id``, ``GET detail?id=`` answers 404: not the
    cart, and not an empty cart standing in for it (getCart documents 404 for an unknown id). Destroys the cart."""
    return _gone(client, "deleted_is_gone", f"cart {cart_id}",
                 ("PUT cart_archive", "PUT", f"{base}/cart_archive?id={cart_id}", {"cart_id_list": [cart_id]}),
                 ("GET detail", "GET", f"{base}/detail?id={cart_id}"))


def check_address_deleted(client: Any, base: str, address_id: str) -> list[FlowFailure]:
    """After ``DELETE address/{id}`` answers 2xx, ``GET address/{id}`` answers 404."""
    return _gone(client, "address_deleted_is_gone", f"address {address_id}",
                 ("DELETE address", "DELETE", f"{base}/address/{address_id}", None),
                 ("GET address", "GET", f"{base}/address/{address_id}"))


def check_coupon_deleted(client: Any, base: str, coupon_id: str) -> list[FlowFailure]:
    """After ``DELETE coupon/{id}`` answers 2xx, ``GET coupon/{id}`` answers 404."""
    return _gone(client, "coupon_deleted_is_gone", f"coupon {coupon_id}",
                 ("DELETE coupon", "DELETE", f"{base}/coupon/{coupon_id}", None),
                 ("GET coupon", "GET", f"{base}/coupon/{coupon_id}"))


def check_promotion_deleted(client: Any, base: str, promotion_id: str) -> list[FlowFailure]:
    """After ``DELETE promotion/{id}`` answers 2xx, ``GET promotion/{id}`` answers 404."""
    return _gone(client, "promotion_deleted_is_gone", f"promotion {promotion_id}",
                 ("DELETE promotion", "DELETE", f"{base}/promotion/{promotion_id}", None),
                 ("GET promotion", "GET", f"{base}/promotion/{promotion_id}"))


def check_adjustment_deleted(client: Any, base: str, adjustment_id: str, cart_id: str) -> list[FlowFailure]:
    """After ``DELETE price-adjustment/{id}`` answers 2xx, the cart's list no longer holds it and deleting it again
    answers 404 (the API has no read of one adjustment by its id)."""
    failures = _gone(client, "adjustment_deleted_is_gone", f"price adjustment {adjustment_id}",
                     ("DELETE price-adjustment", "DELETE", f"{base}/price-adjustment/{adjustment_id}", None),
                     ("DELETE price-adjustment", "DELETE", f"{base}/price-adjustment/{adjustment_id}"))
    listed = _read(client, "adjustment_deleted_is_gone", "GET price-adjustment",
                   f"{base}/price-adjustment?cart_id={cart_id}", failures)
    ids = [a.get("id") for a in (listed or {}).get("data") or [] if isinstance(a, dict)]
    if adjustment_id in ids:
        failures.append(FlowFailure("adjustment_deleted_is_gone", "DELETE price-adjustment",
                                    f"price adjustment {adjustment_id} was deleted, but the cart's list still holds it"))
    return failures


def _articles(cart: dict | None) -> dict[str, int]:
    """article uid → units in the cart's lines."""
    out: dict[str, int] = {}
    for it in (cart or {}).get("items") or []:
        uid = ((it.get("article") or {}).get("uid")) if isinstance(it, dict) else None
        q = it.get("quantity") if isinstance(it, dict) else None
        if isinstance(uid, str) and isinstance(q, int) and not isinstance(q, bool):
            out[uid] = out.get(uid, 0) + q
    return out


def check_checkout(client: Any, base: str, cart_id: str, user_id: str, address_id: str, payment_mode: str,
                   item: dict, stock: Callable[[list[str]], dict[str, int] | None] | None = None) -> list[FlowFailure]:
    """Checking out places one order for what the cart showed. Selects ``address_id`` (select-address) and
    ``payment_mode`` (v2 payment), reads the cart, places the order (v2 checkout), then: the answer carries an
    order id; the order's total (its cart's ``raw.total``) is the cart's total just before; each article's stock
    went down by the cart's units of it (when ``stock(article_ids)`` can read stock: the sandbox's admin
    catalog); a repeat answers the same order id and takes no more stock; and the closed cart refuses writes
    (adding ``item``, updating a line: 4xx). Places a real order."""
    failures: list[FlowFailure] = []
    v2 = base.replace("/v1.0/", "/v2.0/")
    _read(client, "checkout", "POST select-address", f"{base}/select-address?cart_id={cart_id}", failures,
          method="POST", json={"id": address_id, "cart_id": cart_id})
    _read(client, "checkout", "PUT payment", f"{v2}/payment?id={cart_id}", failures, method="PUT",
          json={"address_id": address_id, "payment_methods": [{"mode": payment_mode, "payment_meta": {}}]})
    cart = _cart_of(_read(client, "checkout", "GET detail", f"{base}/detail?id={cart_id}&b=true", failures))
    if failures:
        return failures
    total, units, lines = _raw(cart).get("total"), _articles(cart), _lines(cart)
    before = stock(sorted(units)) if stock else None
    body = {"id": cart_id, "user_id": user_id, "order_type": "HomeDelivery", "address_id": address_id,
            "payment_methods": [{"mode": payment_mode, "payment_meta": {}}]}
    placed = _read(client, "checkout", "POST checkout", f"{v2}/checkout?id={cart_id}", failures, method="POST",
                   json=body)
    if failures:
        return failures
    order_id = (placed or {}).get("order_id") if isinstance(placed, dict) else None
    if not isinstance(order_id, str) or not order_id:
        failures.append(FlowFailure("checkout_order_id", "POST checkout", f"the checkout answered 2xx without an "
                                    f"order id (order_id = {order_id!r})", {"order_id": order_id}))
    charged = _raw(_cart_of(placed)).get("total")
    if total is not None and charged is not None and abs(total - charged) > CENT:
        failures.append(FlowFailure("checkout_total", "POST checkout", f"the order's total is {_fmt(charged)} but "
                                    f"the cart's total just before was {_fmt(total)}",
                                    {"cart_total": _fmt(total), "order_total": _fmt(charged)}))
    after = stock(sorted(units)) if stock and before is not None else None
    if before is not None and after is not None:
        wrong = {a: (before.get(a), after.get(a), q) for a, q in units.items()
                 if None in (before.get(a), after.get(a)) or before[a] - after[a] != q}
        if wrong:
            failures.append(FlowFailure("checkout_takes_stock", "POST checkout", "stock did not go down by the "
                                        "ordered quantities: " + ", ".join(
                                            f"article {a}: {b} -> {f} for {q} ordered" for a, (b, f, q) in
                                            sorted(wrong.items())), {"stock": wrong}))
    again = _request(client, "POST", f"{v2}/checkout?id={cart_id}", json=body)
    again_id = (_json(again) or {}).get("order_id") if 200 <= again.status_code < 300 else None
    if again_id != order_id:
        failures.append(FlowFailure("checkout_idempotent", "POST checkout", f"checking the same cart out again "
                                    f"answered {again.status_code} with order {again_id!r}, not the first order "
                                    f"{order_id!r}", {"status": again.status_code, "first": order_id,
                                                      "second": again_id}))
    final = stock(sorted(units)) if stock and after is not None else None
    if after is not None and final is not None and final != after:
        taken = {a: after[a] - final.get(a, 0) for a in after if after[a] != final.get(a)}
        failures.append(FlowFailure("checkout_idempotent", "POST checkout", f"checking the same cart out again took "
                                    f"stock again: {taken}", {"taken": taken}))
    writes: list[tuple[str, str, dict]] = [("POST detail", "POST", {"items": [{**item, "quantity": 1}]})]
    if lines:
        writes.append(("PUT detail update_item", "PUT", {"operation": "update_item", "items": [
            {"identifiers": {"identifier": next(iter(lines))}, "quantity": 1}]}))
    for operation, method, payload in writes:
        r = _request(client, method, f"{base}/detail?id={cart_id}", json=payload)
        if not 400 <= r.status_code < 500:
            failures.append(FlowFailure("checkout_closes_cart", "POST checkout", f"after the checkout, {operation} "
                                        f"on the closed cart answered {r.status_code}, not a refusal (4xx)",
                                        {"status": r.status_code, "write": operation}))
    return failures


CART_CHECKS = (breakup_adds_up, display_matches_raw, enkash_totals, documented_fields_present)
# Each response check's problem finder, by check name: for callers outside Schemathesis (the flows phase).
RESPONSE_PROBLEMS = {breakup_adds_up.__name__: breakup_problems, display_matches_raw.__name__: display_problems,
                     enkash_totals.__name__: enkash_problems}
FLOW_CHECKS = (check_item_count, check_count_follows_changes, check_coupon_round_trip, check_add_remove_round_trip,
               check_persisted, check_deleted_is_gone, check_address_deleted, check_coupon_deleted,
               check_promotion_deleted, check_adjustment_deleted, check_checkout)
