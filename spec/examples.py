"""Request and response examples for ``spec/openapi.yaml``, recorded from an in-process sandbox.

``spec/capture.py`` calls ``record(spec)``: a fresh sandbox on the default seeded catalog (fixtures/), with a
frozen clock and a fixed id seed (``SETTINGS``) and serving the spec being written, is walked through
``journey``: a storefront's and a merchant's calls, in order, through all 59 operations. Each call's request
is put into the spec first (parameter ``examples``, request body ``examples``, under the call's name), then
read back from the spec and sent, and its answer, which must be a 2xx, becomes the response example of that
name. So every example is something the sandbox really answered, and the same settings reproduce it byte for
byte. ``replay(spec)`` walks the same journey on a fresh sandbox sending the spec's requests, for the tests.

Operations that can name the cart by ``user_id`` do, so their examples work as they are in Swagger UI's
"Try it out" on a fresh ``make serve``; where a value must name something made earlier (a cart, a line, a
coupon...), the example's summary says so and where to find it.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import Any, Generator, Iterator

SERVER = "http://127.0.0.1:8080"
COMPANY_ID = "1"
APPLICATION_ID = "demo"
TOKEN = "example-token"
FROZEN_TIME = "2026-11-22T10:00:00+00:00"
ID_SEED = 2026
# Every cart with items counts as abandoned at once (a sandbox's default is a day untouched), so the
# abandoned-cart list has something to show under a frozen clock.
ABANDONED_AFTER_MINUTES = 0
FYND_BASE = "/service/platform/cart/{version}/company/{company_id}/application/{application_id}"
SCHEDULE = {"status": "approved", "start": "2026-01-01T00:00:00.000Z", "end": "2030-12-31T23:59:59.000Z"}
PIN_CODE = "411057"   # the README's: a served PIN code of the catalog, with cash on delivery


class ExampleError(Exception):
    """The journey could not be recorded or replayed: the message names the call and what went wrong."""


def settings():
    """The sandbox the examples are recorded on (``cartwright serve`` takes the same as flags)."""
    from cartwright.sandbox import Settings

    return Settings(frozen_time=FROZEN_TIME, id_seed=ID_SEED, abandoned_after_minutes=ABANDONED_AFTER_MINUTES,
                    validate_responses=True)


@dataclasses.dataclass(frozen=True)
class Made:
    """A value that names something an earlier call made (it exists only in a sandbox that made it)."""

    value: Any
    what: str     # what it is and where an answer gives it: "a cart's id, from `cart.id` in add-to-cart's answer"


@dataclasses.dataclass
class Call:
    """One call of the journey: an operation's named example."""

    operation_id: str
    name: str
    summary: str
    path: dict[str, Any] = dataclasses.field(default_factory=dict)    # besides company_id and application_id
    query: dict[str, Any] = dataclasses.field(default_factory=dict)
    body: Any = None

    def needs(self) -> list[tuple[str, str]]:
        """(where, what) of every value naming something made earlier."""
        found: list[tuple[str, str]] = []

        def walk(value, where):
            if isinstance(value, Made):
                found.append((where, value.what))
            elif isinstance(value, dict):
                for k, v in value.items():
                    walk(v, f"{where}.{k}" if where else k)
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    walk(v, f"{where}[{i}]")

        for name, value in {**self.path, **self.query}.items():
            walk(value, name)
        walk(self.body, "")
        return found

    def full_summary(self) -> str:
        needs = self.needs()
        if not needs:
            return self.summary
        said = "; ".join(f"`{where}` is {what}" for where, what in needs)
        return f"{self.summary}. Needs ids your sandbox gave: {said}"


def plain(value):
    """``value`` with every ``Made`` replaced by what it holds."""
    if isinstance(value, Made):
        return value.value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# --------------------------------------------------------------------------- the journey
CART = "a cart's id, from `cart.id` in add-to-cart's answer"
LINE = "a cart line's id, from `items[].identifiers.identifier` in the cart"
COUPON = "a coupon's id, from `_id` in createCoupon's answer"
PROMOTION = "a promotion's id, from `items[]._id` in getPromotions' answer"
ADJUSTMENT = "a price adjustment's id, from `data[0].id` in addPriceAdjustment's answer"
ADDRESS = "an address's id, from `id` in addAddress's answer"
ARTICLE = "an article of the cart, from `shipments[].articles[].article_id` in getShipments' answer"
TOKEN_OF_SHARE = "a share token, from `token` in getCartShareLink's answer"
CONFIG = "the configuration's id, from `_id` in fetchCartMetaConfig's answer"


def _coupon(code: str, status: str = "approved") -> dict:
    return {"code": code, "type_slug": "percentage",
            "display_meta": {"title": f"{code}: 5% off", "subtitle": "5% off, up to ₹300",
                             "description": "5% off the cart value, up to ₹300"},
            "rule_definition": {"type": "percentage", "applicable_on": "amount", "calculate_on": "esp",
                                "auto_apply": False},
            "rule": [{"key": 1, "value": 5, "max": 300}],
            "ownership": {"payable_category": "seller", "payable_by": "seller"},
            "state": {"is_archived": False, "is_display": True, "is_public": True},
            "_schedule": {**SCHEDULE, "status": status}}


def _promotion(code: str, status: str = "approved") -> dict:
    return {"code": code, "promo_group": "product", "mode": "promotion", "promotion_type": "percentage",
            "application_id": APPLICATION_ID, "apply_priority": 9, "stackable": True,
            "display_meta": {"name": f"{code}: buy more, save more", "offer_text": "2% off 2 units, 4% off 4",
                             "description": "Tiered: 2% off carts of 2 units or more, 4% off 4 or more"},
            "ownership": {"payable_category": "seller", "payable_by": "seller"},
            "discount_rules": [
                {"discount_type": "percentage", "buy_condition": "( rule#1 )",
                 "item_criteria": {"all_items": True, "cart_quantity": {"greater_than_equals": 2}},
                 "offer": {"discount_percentage": 2}},
                {"discount_type": "percentage", "buy_condition": "( rule#2 )",
                 "item_criteria": {"all_items": True, "cart_quantity": {"greater_than_equals": 4}},
                 "offer": {"discount_percentage": 4}}],
            "buy_rules": {"all_items": True},
            "_schedule": {**SCHEDULE, "status": status}}


def stocked_items(catalog: dict, count: int = 4, min_stock: int = 6) -> list[dict]:
    """The first ``count`` products of the admin catalog with a size ``min_stock`` units deep at one store:
    ``{item_id, size, article}``."""
    found = []
    for product in catalog["products"]:
        for size in product["sizes"]:
            article = next((a for a in size["articles"] if a["stock"] >= min_stock), None)
            if article and not any(x["item_id"] == product["item_id"] for x in found):
                found.append({"item_id": product["item_id"], "size": size["size"], "article": article})
    if len(found) < count:
        raise ExampleError(f"the catalog has {len(found)} products with {min_stock} units of a size, not {count}")
    return found[:count]


Journey = Generator[Call, Any, None]


def journey(catalog: dict, enkash_request: dict) -> Journey:
    """The calls, in order; each ``yield`` gives the call's answer back."""
    a, b, c, d = stocked_items(catalog)

    def item(x: dict, quantity: int) -> dict:
        return {"item_id": x["item_id"], "item_size": x["size"], "quantity": quantity}

    # The cart: add, read, update, count, its meta; the application's carts; pricing items without a cart.
    added = yield Call("platformAddItems", "two-items", f"Add 2 units of item {a['item_id']} in size {a['size']} "
                       f"and 1 of item {b['item_id']} to user u1's cart, with the price breakup",
                       query={"b": True}, body={"user_id": "u1", "items": [item(a, 2), item(b, 1)]})
    cart = Made(added["cart"]["id"], CART)
    line = Made(added["cart"]["items"][0]["identifiers"]["identifier"], LINE)
    yield Call("getCart", "by-user", "User u1's cart, with the price breakup", query={"user_id": "u1", "b": True})
    yield Call("platformUpdateCart", "set-quantity", "Set the quantity of a line of user u1's cart to 3",
               query={"b": True}, body={"user_id": "u1", "operation": "update_item",
                                        "items": [{"identifiers": {"identifier": line}, "quantity": 3}]})
    yield Call("getItemCount", "count", "How many units the cart holds", query={"id": cart})
    yield Call("updateCartMeta", "comment", "Keep a delivery comment and the checkout mode on the cart",
               query={"id": cart}, body={"comment": "Leave at the gate", "checkout_mode": "self"})
    yield Call("getCartList", "open-carts", "The application's open carts, newest first")
    quote_items = [{"product_id": str(c["item_id"]), "size": c["size"], "quantity": 1}]
    yield Call("fetchAndValidateCartItems", "one-item", f"Price 1 unit of item {c['item_id']} without a cart",
               body={"cart_items": quote_items})
    quote = yield Call("checkCartServiceability", "at-a-pin-code",
                       f"Price 1 unit of item {c['item_id']} delivered to PIN code {PIN_CODE}, without a cart",
                       body={"cart_items": quote_items, "shipping_address": {"area_code": PIN_CODE}})

    # Coupons: create, list, read, change, check a code, the kinds of coupon; on the cart: choices, apply,
    # check for a payment mode, remove; a draft coupon deleted.
    created = yield Call("createCoupon", "percentage", "Create coupon SAVE5: 5% off, up to ₹300",
                         body=_coupon("SAVE5"))
    coupon = Made(created["_id"], COUPON)
    yield Call("getCoupons", "first-page", "The first page of the application's coupons",
               query={"page_no": 0, "page_size": 10})
    yield Call("getCouponById", "by-id", "One coupon", path={"id": coupon})
    yield Call("updateCoupon", "raise-discount", "Change coupon SAVE5 to 6% off", path={"id": coupon},
               body={**_coupon("SAVE5"), "rule": [{"key": 1, "value": 6, "max": 300}]})
    yield Call("getCouponCodeExists", "taken", "Whether code SAVE5 is taken", query={"code": "SAVE5"})
    yield Call("getPromosCouponConfig", "coupon-kinds", "The kinds of coupon", query={"entity_type": "coupon"})
    yield Call("getAppCoupons", "for-the-cart", "The coupons the cart can take", query={"id": cart})
    yield Call("applyCoupon", "welcome", "Apply the seeded coupon WELCOME10 to the cart",
               query={"id": cart, "b": True}, body={"coupon_code": "WELCOME10"})
    yield Call("validateCouponForPayment", "card", "Whether the cart's coupon holds when paying by card",
               query={"id": cart, "payment_mode": "CARD"})
    yield Call("removeCoupon", "remove", "Take the coupon off the cart", query={"uid": cart})
    draft = yield Call("createCoupon", "draft", "Create coupon DRAFT5 as a draft (only drafts can be deleted)",
                       body=_coupon("DRAFT5", "draft"))
    yield Call("deleteCoupon", "draft", "Delete a draft coupon",
               path={"id": Made(draft["_id"], COUPON)})

    # Promotions: a tiered one, listed, read, changed; what carts and payments are offered; a draft deleted.
    yield Call("createPromotion", "tiered", "Create promotion TIERS: 2% off 2 units or more, 4% off 4 or more",
               body=_promotion("TIERS"))
    found = yield Call("getPromotions", "by-code", "Active promotions matching TIERS",
                       query={"page_no": 0, "page_size": 10, "q": "TIERS", "is_active": True})
    promotion = Made(found["items"][0]["_id"], PROMOTION)
    yield Call("getPromotionById", "by-id", "One promotion", path={"id": promotion})
    yield Call("updatePromotion", "apply-first", "Change promotion TIERS to apply before others",
               path={"id": promotion}, body={**_promotion("TIERS"), "apply_priority": 1})
    yield Call("getPromotionCodeExists", "taken", "Whether code TIERS is taken", query={"code": "TIERS"})
    yield Call("getPromotionOffers", "first-five", "Up to five promotions on offer", query={"page_size": 5})
    yield Call("getPromotionPaymentOffers", "for-the-cart", "The payment offers for the cart", query={"id": cart})
    yield Call("createPromotion", "draft", "Create promotion DRAFTTIERS as a draft (only drafts can be deleted)",
               body=_promotion("DRAFTTIERS", "draft"))
    drafts = yield Call("getPromotions", "drafts", "Inactive promotions matching DRAFTTIERS",
                        query={"page_no": 0, "page_size": 10, "q": "DRAFTTIERS", "is_active": False})
    yield Call("deletePromotion", "draft", "Delete a draft promotion",
               path={"id": Made(drafts["items"][0]["_id"], PROMOTION)})

    # A price adjustment on the cart: added, listed, changed, removed.
    adjustment = {"cart_id": cart, "type": "discount", "value": 20, "message": "Goodwill discount",
                  "article_level_distribution": False, "is_authenticated": True,
                  "collection": {"refund_by": "seller", "collected_by": "seller"},
                  "article_ids": [{"article_id": a["article"]["article_id"]}]}
    made = yield Call("addPriceAdjustment", "goodwill", "Take ₹20 off the cart as a goodwill discount",
                      body=adjustment)
    adjustment_id = Made(made["data"][0]["id"], ADJUSTMENT)
    yield Call("getPriceAdjustments", "of-the-cart", "The cart's price adjustments", query={"cart_id": cart})
    yield Call("updatePriceAdjustment", "raise", "Make the goodwill discount ₹25", path={"id": adjustment_id},
               body={**adjustment, "value": 25})
    yield Call("removePriceAdjustment", "remove", "Remove the price adjustment", path={"id": adjustment_id})

    # Addresses: add, list, read, change; one more added and removed; one selected for the cart; shipments,
    # delivery modes, a store's address.
    home = {"user_id": "u1", "name": "Asha Rao", "phone": "9876543210", "email": "asha@example.com",
            "area_code": PIN_CODE, "address": "12 Baner Road", "area": "Baner", "city": "Pune",
            "state": "Maharashtra", "country": "India"}
    added_address = yield Call("addAddress", "home", f"Add user u1's home address at PIN code {PIN_CODE}",
                               body=home)
    address = Made(added_address["id"], ADDRESS)
    yield Call("getAddresses", "of-a-user", "User u1's addresses", query={"user_id": "u1"})
    yield Call("getAddressById", "by-id", "One of user u1's addresses", path={"id": address},
               query={"user_id": "u1"})
    yield Call("updateAddress", "landmark", "Add a landmark to the address", path={"id": address},
               body={**home, "landmark": "Opposite the bus stop"})
    old = yield Call("addAddress", "old-office", "Add another address for user u1",
                     body={**home, "address": "4 Old Mill Road", "area": "Aundh"})
    yield Call("removeAddress", "old-office", "Remove one of user u1's addresses",
               path={"id": Made(old["id"], ADDRESS)}, query={"user_id": "u1"})
    yield Call("selectAddress", "home", "Deliver the cart to the home address", query={"cart_id": cart, "b": True},
               body={"id": address, "cart_id": cart, "user_id": "u1"})
    shipments = yield Call("getShipments", "of-the-cart", "The cart's shipments, by store", query={"id": cart})
    yield Call("updateShipments", "single", "Ship an article in a shipment of its own", query={"id": cart},
               body={"shipments": [{"article_uid": Made(shipments["shipments"][0]["articles"][0]["article_id"],
                                                        ARTICLE),
                                    "shipment_type": "single_shipment"}]})
    yield Call("getAvailableDeliveryModes", "at-a-pin-code", f"How orders reach PIN code {PIN_CODE}",
               query={"area_code": PIN_CODE})
    yield Call("getStoreAddressByUid", "store", f"The address of store {a['article']['store_id']}",
               query={"store_uid": a["article"]["store_id"]})

    # Payment: cash on delivery (v1), then v2 with the amount the cart will be charged.
    priced = yield Call("selectPaymentMode", "cod", "Pay for the cart on delivery",
                        query={"id": cart}, body={"id": cart, "address_id": address, "payment_mode": "COD"})
    total = priced["breakup_values"]["raw"]["total"]
    paid = [{"mode": "COD", "amount": total, "payment_meta": {}}]
    yield Call("selectPaymentModeV2", "cod", f"Pay the cart's ₹{total:g} on delivery", query={"id": cart},
               body={"id": cart, "address_id": address, "payment_mode": "COD", "payment_methods": paid})

    # Sharing: u1 shares the cart; u2's cart takes the shared items; u2's cart goes to u3.
    share = yield Call("getCartShareLink", "whatsapp", "A link to the cart, to share",
                       body={"id": cart, "meta": {"channel": "whatsapp"}})
    token = Made(share["token"], TOKEN_OF_SHARE)
    yield Call("getCartSharedItems", "shared", "The shared cart, as it is now", path={"token": token})
    other = yield Call("platformAddItems", "second-user", f"Add 1 unit of item {c['item_id']} to user u2's cart",
                       query={"b": True}, body={"user_id": "u2", "items": [item(c, 1)]})
    other_cart = Made(other["cart"]["id"], CART)
    yield Call("updateCartWithSharedItems", "merge", "Merge the shared items into user u2's cart",
               path={"token": token, "action": "merge"}, query={"cart_id": other_cart})
    yield Call("updateCartUser", "to-u3", "Give user u2's cart to user u3", query={"id": other_cart},
               body={"user_id": "u3"})

    # Checkout: v2 on u1's cart; v1 (the open API, items in the body); override on u3's cart.
    yield Call("platformCheckoutCartV2", "cod", "Check out the cart, cash on delivery, to the home address",
               query={"id": cart}, body={"id": cart, "user_id": "u1", "address_id": address,
                                         "order_type": "HomeDelivery", "payment_mode": "COD",
                                         "payment_methods": paid})
    due = quote["breakup_values"]["raw"]["total"]
    unit = quote["items"][0]["price_per_unit"]["base"]
    card = [{"mode": "CARD", "amount": due}]
    yield Call("checkoutCart", "card", f"Order 1 unit of item {c['item_id']} by card, without a cart", body={
        "cart_value": due, "cashback_applied": 0, "coupon_code": "", "coupon_value": 0, "delivery_charges": 0,
        "cod_charges": 0, "payment_methods": card, "billing_address": {"area_code": PIN_CODE},
        "shipping_address": {"area_code": PIN_CODE},
        "cart_items": [{"product_id": c["item_id"], "size": c["size"], "quantity": 1,
                        "price_effective": unit["effective"], "price_marked": unit["marked"], "amount_paid": due,
                        "discount": 0, "cod_charges": 0, "delivery_charges": 0, "cashback_applied": 0,
                        "coupon_effective_discount": 0, "payment_methods": card}]})
    yield Call("overrideCart", "card", f"Check out user u3's cart with item {d['item_id']} at the given prices",
               body={"cart_id": other_cart, "payment_mode": "CARD", "merchant_code": "DEMO",
                     "payment_identifier": "txn-0001", "currency_code": "INR", "aggregator": "Sandbox",
                     "order_type": "HomeDelivery",
                     "cart_items": [{"item_id": d["item_id"], "size": d["size"], "quantity": 1,
                                     "price_marked": d["article"]["marked"],
                                     "price_effective": d["article"]["effective"],
                                     "amount_paid": d["article"]["effective"], "discount": 0}]})

    # Abandoned carts: the merchant's list, one cart's detail, adding to it and changing it; archiving it.
    left = yield Call("platformAddItems", "third-user", f"Add 1 unit of item {b['item_id']} to user u4's cart",
                      query={"b": True}, body={"user_id": "u4", "items": [item(b, 1)]})
    left_cart = Made(left["cart"]["id"], CART)
    yield Call("getAbandonedCart", "first-page", "The first page of abandoned carts (recorded with "
               "--abandoned-after-minutes 0; by default a cart is abandoned after a day untouched)",
               query={"page_no": 0, "page_size": 10})
    yield Call("getAbandonedCartDetails", "one-cart", "An abandoned cart, with the price breakup",
               query={"id": left_cart, "b": True})
    grown = yield Call("addItems", "add", f"Add 1 unit of item {c['item_id']} to an abandoned cart",
                       path={"cart_id": left_cart}, query={"b": True}, body={"items": [item(c, 1)]})
    yield Call("updateCart", "set-quantity", "Set the quantity of a line of an abandoned cart to 2",
               path={"cart_id": left_cart}, query={"b": True},
               body={"operation": "update_item", "items": [{"identifiers": {"identifier": Made(
                   grown["cart"]["items"][0]["identifiers"]["identifier"], LINE)}, "quantity": 2}]})
    yield Call("deleteCart", "archive", "Archive a cart", query={"id": left_cart}, body={"cart_id_list": []})

    # Cart configuration: the application's default, a configuration of its own, and the default again.
    config = yield Call("fetchCartMetaConfig", "default", "The application's cart configuration")
    default = {k: v for k, v in config.items() if k != "_id"}
    yield Call("createCartMetaConfig", "limit-items", "Limit carts to 50 units and name the gift wrap",
               body={**default, "max_cart_items": 50, "gift_display_text": "Gift wrap"})
    yield Call("updateCartMetaConfig", "back-to-default", "Put the default configuration back",
               path={"cart_meta_id": Made(config["_id"], CONFIG)},
               body=default)

    # EnKash: the document's own example request.
    yield Call("addVoucherToCart", "documented", "The API document's example: vouchers of one catalog entry",
               query={"product": "VOUCHER"}, body=enkash_request)


# --------------------------------------------------------------------------- the spec's examples
@dataclasses.dataclass(frozen=True)
class Operation:
    path: str
    method: str
    definition: dict

    @property
    def parameters(self) -> list[dict]:
        return self.definition.get("parameters", [])

    def body_content(self) -> dict | None:
        return self.definition.get("requestBody", {}).get("content", {}).get("application/json")


def operations(spec: dict) -> dict[str, Operation]:
    return {op["operationId"]: Operation(path, method, op)
            for path, item in spec["paths"].items() for method, op in item.items()}


def add_path_examples(spec: dict) -> None:
    """``company_id`` and ``application_id`` get the example values the journey uses."""
    for op in operations(spec).values():
        for parameter in op.parameters:
            if parameter["in"] == "path" and parameter["name"] == "company_id":
                parameter["example"] = COMPANY_ID
            elif parameter["in"] == "path" and parameter["name"] == "application_id":
                parameter["example"] = APPLICATION_ID


def put_request(spec: dict, call: Call) -> None:
    """The call's parameters and body as the operation's examples named ``call.name``."""
    op = operations(spec).get(call.operation_id)
    if op is None:
        raise ExampleError(f"{call.operation_id}: no such operation in the spec")
    given = {("path", k): v for k, v in call.path.items()} | {("query", k): v for k, v in call.query.items()}
    by_key = {(p["in"], p["name"]): p for p in op.parameters}
    unknown = sorted(f"{where} {name}" for where, name in set(given) - set(by_key))
    if unknown:
        raise ExampleError(f"{call.operation_id} {call.name}: the operation has no parameter {', '.join(unknown)}")
    for key, value in given.items():
        parameter = by_key[key]
        if "example" in parameter:   # the document's own (OpenAPI allows `example` or `examples`, not both)
            if parameter["example"] != plain(value):
                raise ExampleError(f"{call.operation_id} {call.name}: {key[1]} is {plain(value)!r}, not the "
                                   f"documented example {parameter['example']!r}")
            continue
        example = {"value": plain(value)}
        if isinstance(value, Made):
            example = {"summary": f"{value.what[0].upper()}{value.what[1:]}", **example}
        examples = parameter.setdefault("examples", {})
        if call.name in examples:
            raise ExampleError(f"{call.operation_id}: two examples named {call.name}")
        examples[call.name] = example
    content = op.body_content()
    if call.body is not None:
        if content is None:
            raise ExampleError(f"{call.operation_id} {call.name}: the operation takes no body")
        content.setdefault("examples", {})[call.name] = {"summary": call.full_summary(), "value": plain(call.body)}


def request_of(spec: dict, operation_id: str, name: str) -> tuple[str, str, dict[str, str], Any]:
    """(method, path, query, body) of the spec's example ``name`` of ``operation_id``: each parameter's
    ``examples[name]``, a required one's ``example`` otherwise, and the body's ``examples[name]``."""
    op = operations(spec)[operation_id]
    path, query = op.path, {}
    for parameter in op.parameters:
        example = parameter.get("examples", {}).get(name)
        value = example["value"] if example else parameter.get("example") if parameter.get("required") else None
        if value is None:
            if parameter["in"] == "path":
                raise ExampleError(f"{operation_id} {name}: no example for path parameter {parameter['name']}")
        elif parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", str(value))
        elif parameter["in"] == "query":
            query[parameter["name"]] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    content = op.body_content() or {}
    body = content.get("examples", {}).get(name, {}).get("value")
    return op.method.upper(), path, query, body


def put_response(spec: dict, call: Call, status: int, body: Any) -> None:
    op = operations(spec)[call.operation_id]
    response = op.definition["responses"].get(str(status))
    if response is None or "application/json" not in response.get("content", {}):
        raise ExampleError(f"{call.operation_id} {call.name}: answered {status}, which the spec does not document")
    response["content"]["application/json"].setdefault("examples", {})[call.name] = {
        "summary": call.full_summary(), "value": body}


def _sandbox_client(spec: dict):
    import warnings

    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

    from cartwright.sandbox import create_app

    app = create_app(settings(), spec=copy.deepcopy(spec))
    return TestClient(app, base_url=SERVER, headers={"Authorization": f"Bearer {TOKEN}"})


def _walk(spec: dict, client, *, recording: bool) -> Iterator[tuple[Call, int, Any]]:
    catalog = client.get("/_cartwright/catalog").json()
    enkash = spec["components"]["schemas"]["EnKashAddToCartRequest"]["example"]
    calls = journey(catalog, copy.deepcopy(enkash))
    answer = None
    while True:
        try:
            call = calls.send(answer)
        except StopIteration:
            return
        if recording:
            put_request(spec, call)
        method, path, query, body = request_of(spec, call.operation_id, call.name)
        r = client.request(method, path, params=query, json=body)
        if not 200 <= r.status_code < 300:
            raise ExampleError(f"{call.operation_id} {call.name}: {method} {path} answered {r.status_code}: "
                               f"{r.text[:500]}")
        answer = r.json()
        yield call, r.status_code, answer


def record(spec: dict) -> dict:
    """Put the journey's requests and answers into ``spec`` as examples (in place); returns the spec."""
    add_path_examples(spec)
    served = copy.deepcopy(spec)
    with _sandbox_client(served) as client:
        seen = set()
        for call, status, answer in _walk(spec, client, recording=True):
            put_response(spec, call, status, answer)
            seen.add(call.operation_id)
    missing = sorted(set(operations(spec)) - seen)
    if missing:
        raise ExampleError(f"the journey leaves out {', '.join(missing)}")
    return spec


def replay(spec: dict) -> Iterator[tuple[Call, int, Any]]:
    """Send the spec's request examples to a fresh sandbox in the journey's order: (call, status, answer)."""
    with _sandbox_client(spec) as client:
        yield from _walk(spec, client, recording=False)
