"""Coupons, promotions and price adjustments acting on carts, through the whole stack."""
from decimal import Decimal

from cartkit import add, assert_fynd_error, cheapest, get_cart, money, raw_of
from conftest import BASE, reset_state

PCT = Decimal(100)


def promotion(app, code):
    return next(p for p in app.sandbox.default_offers["promotions"] if p["code"] == code)


def coupon_doc(app, code):
    return next(c for c in app.sandbox.default_offers["coupons"] if c["code"] == code)


def in_stock(catalog, match, minimum=1):
    """The cheapest-store article of the first product size matching ``match`` with ``minimum`` units."""
    for p in catalog.products:
        if not match(p):
            continue
        for size in p.sizes:
            if any(a.stock for a in catalog.articles_for(p.uid, size)):
                a = cheapest(catalog, p.uid, size)
                if a.stock >= minimum:
                    return a
    raise LookupError("no such article")


def is_untouched(app, catalog, a):
    """No default promotion reaches article ``a``, and adding its product and size picks it."""
    rules = [promotion(app, c)["discount_rules"][0]["item_criteria"] for c in ("DECCAN15", "BUY2GET1", "PAIR2")]
    p = catalog.product(a.item_id)
    return (a.stock > 0 and p.brand_uid not in rules[0]["item_brand"]
            and not set(p.category_uids) & set(rules[1]["item_category"]) and p.uid not in rules[2]["item_id"]
            and cheapest(catalog, p.uid, a.size) == a)


def untouched(app, catalog, minimum=1, below=None):
    """An article no default promotion reaches (and, with ``below``, cheaper than that)."""
    return next(a for a in catalog.articles if is_untouched(app, catalog, a) and a.stock >= minimum
                and (below is None or a.effective < below))


def apply(client, cart_id, code):
    return client.post(f"{BASE}/platform-pos-coupon?id={cart_id}&b=true", json={"coupon_code": code})


def test_fresh_cart_picks_up_a_default_promotion(client, app, catalog):
    """A demo cart gets the seeded brand promotion automatically, with its amount in items, details and totals."""
    promo = promotion(app, "DECCAN15")
    offer = promo["discount_rules"][0]["offer"]
    a = in_stock(catalog, lambda p: p.brand_uid in promo["discount_rules"][0]["item_criteria"]["item_brand"])
    body = add(client, [(a, 1)]).json()["cart"]
    expected = min(a.effective * Decimal(offer["discount_percentage"]) / PCT, Decimal(offer["max_discount_amount"]))
    [item] = body["items"]
    [applied] = item["promotions_applied"]
    assert applied["promo_id"] == promo["_id"] and money(applied["amount"]) == money(expected)
    assert [d["promo_id"] for d in body["applied_promo_details"]] == [promo["_id"]]
    raw = raw_of(body)
    assert raw["discount"] == money(a.effective - a.marked - expected)
    assert raw["total"] == money(a.effective - expected) + raw["delivery_charge"]
    assert raw["you_saved"] == money(a.marked - a.effective + expected)


def test_buy_two_get_one_frees_the_cheapest_of_each_set(client, app, catalog):
    """With three qualifying units, the cheapest is free; with two, nothing is."""
    promo = promotion(app, "BUY2GET1")
    category = promo["discount_rules"][0]["item_criteria"]["item_category"]
    a = in_stock(catalog, lambda p: set(p.category_uids) & set(category), minimum=3)
    two = add(client, [(a, 2)], user_id="two").json()["cart"]
    assert two["items"][0]["promotions_applied"] == []
    three = add(client, [(a, 3)], user_id="three").json()["cart"]
    [applied] = three["items"][0]["promotions_applied"]
    assert (money(applied["amount"]), applied["article_quantity"]) == (a.effective, 1)
    assert raw_of(three)["vog"] == a.effective * 2


def test_bundle_sells_a_pair_for_its_price(client, app, catalog):
    """Two units of the bundled product cost the bundle price together."""
    promo = promotion(app, "PAIR2")
    offer = promo["discount_rules"][0]["offer"]
    a = in_stock(catalog, lambda p: p.uid in promo["discount_rules"][0]["item_criteria"]["item_id"], minimum=2)
    raw = raw_of(add(client, [(a, 2)]).json()["cart"])
    assert raw["vog"] == Decimal(offer["discount_price"])


def test_coupon_applies_and_removal_restores_totals(client, app, catalog):
    """WELCOME10 takes 10% (at most its cap) off a qualifying cart; removing it gives back the same totals."""
    doc = coupon_doc(app, "WELCOME10")
    [rule] = doc["rule"]
    a = untouched(app, catalog)
    cart = add(client, [(a, 1)]).json()["cart"]
    before = get_cart(client, f"id={cart['id']}&b=true").json()
    r = apply(client, cart["id"], "WELCOME10")
    assert r.status_code == 201, r.text
    body = r.json()
    expected = money(min(a.effective * Decimal(rule["value"]) / PCT, Decimal(rule["max"])))
    assert raw_of(body)["coupon"] == -expected
    assert body["breakup_values"]["coupon"]["is_applied"] is True and body["coupon"]["coupon_code"] == "WELCOME10"
    assert money(body["items"][0]["coupon"]["discount_total_quantity"]) == expected
    assert raw_of(body)["total"] == raw_of(before)["total"] - expected + (
        raw_of(body)["delivery_charge"] - raw_of(before)["delivery_charge"])
    r = client.delete(f"{BASE}/platform-pos-coupon?uid={cart['id']}")
    assert r.status_code == 200
    assert get_cart(client, f"id={cart['id']}&b=true").json() == before


def test_coupon_refusals_say_why(client, app, catalog):
    """An unknown code is 404; a cart under the minimum value is refused naming the minimum."""
    cheap = untouched(app, catalog, below=499)
    cart_id = add(client, [(cheap, 1)]).json()["cart"]["id"]
    assert_fynd_error(apply(client, cart_id, "NOPE"), 404, "coupon_code", "NOPE")
    assert_fynd_error(apply(client, cart_id, "WELCOME10"), 400, "coupon_code", "499")
    assert raw_of(get_cart(client, f"id={cart_id}&b=true").json())["coupon"] == 0


def create_coupon(client, code, **changes):
    doc = {"code": code, "type_slug": "absolute", "rule_definition": {"type": "absolute"}, "rule": [{"key": 1, "value": 50}],
           "display_meta": {"title": code}, "_schedule": {"status": "approved", "start": "2026-01-01T00:00:00Z",
                                                          "end": "2030-01-01T00:00:00Z"},
           "ownership": {"payable_category": "seller"}, **changes}
    r = client.post(f"{BASE}/coupon", json=doc)
    assert r.status_code == 201, r.text
    return r.json()["_id"]


def test_expired_and_draft_coupons_are_refused(client, app, catalog):
    """A coupon past its end date, or not yet approved, cannot be applied; the message says which."""
    create_coupon(client, "OLD50", _schedule={"status": "approved", "start": "2025-01-01T00:00:00Z",
                                             "end": "2025-12-31T00:00:00Z"})
    create_coupon(client, "SOON50", _schedule={"status": "draft"})
    cart_id = add(client, [(untouched(app, catalog), 1)]).json()["cart"]["id"]
    assert_fynd_error(apply(client, cart_id, "OLD50"), 400, "expired")
    assert_fynd_error(apply(client, cart_id, "SOON50"), 400, "draft")


def test_unsupported_kinds_are_refused_at_creation(client):
    """A coupon or promotion of a kind the sandbox cannot compute is refused, naming the field."""
    r = client.post(f"{BASE}/coupon", json={"code": "LADDER", "type_slug": "ladder_price", "rule_definition": {"type": "ladder_price"},
                                            "rule": [{"key": 1, "value": 5}],
                                            "ownership": {"payable_category": "seller"}})
    assert_fynd_error(r, 400, "rule_definition.type", "ladder_price")


def test_coupon_that_stops_qualifying_stays_but_gives_nothing(client, app, catalog):
    """When the cart drops under the coupon's minimum, the coupon shows as not applied, with the reason."""
    b = next(x for x in catalog.articles if x.effective >= 499 and is_untouched(app, catalog, x))
    cart = add(client, [(b, 1)]).json()["cart"]
    assert apply(client, cart["id"], "WELCOME10").status_code == 201
    ident = cart["items"][0]["identifiers"]["identifier"]
    client.put(f"{BASE}/detail?id={cart['id']}", json={"operation": "remove_item",
                                                      "items": [{"identifiers": {"identifier": ident}}]})
    body = get_cart(client, f"id={cart['id']}&b=true").json()
    assert body["breakup_values"]["coupon"]["is_applied"] is False
    assert "WELCOME10" in body["breakup_values"]["coupon"]["message"]
    assert raw_of(body)["coupon"] == 0


def test_free_shipping_coupon_removes_the_delivery_charge(client, app, catalog):
    """FREESHIP brings the delivery charge of a small cart to zero."""
    cheap = untouched(app, catalog, below=499)
    cart_id = add(client, [(cheap, 1)]).json()["cart"]["id"]
    assert raw_of(get_cart(client, f"id={cart_id}&b=true").json())["delivery_charge"] > 0
    r = apply(client, cart_id, "FREESHIP")
    assert r.status_code == 201, r.text
    assert raw_of(r.json())["delivery_charge"] == 0


def test_coupon_list_says_which_apply(client, app, catalog):
    """The POS coupon list shows each displayed coupon with whether it applies to the cart and why not."""
    cheap = untouched(app, catalog, below=499)
    cart_id = add(client, [(cheap, 1)]).json()["cart"]["id"]
    r = client.get(f"{BASE}/platform-pos-coupon?id={cart_id}")
    assert r.status_code == 200, r.text
    listed = {c["coupon_code"]: c for c in r.json()["available_coupon_list"]}
    assert listed["FREESHIP"]["is_applicable"] is True
    assert listed["FLAT150"]["is_applicable"] is False and "999" in listed["FLAT150"]["message"]


def test_payment_validation_of_a_restricted_coupon(client, app, catalog):
    """A coupon limited to a payment mode is valid for that mode only; a cart without coupon is always valid."""
    create_coupon(client, "CARD50", restrictions={"payments": {"codes": ["CARD"]},
                                                  "price_range": {"min": -1, "max": -1}})
    cart_id = add(client, [(untouched(app, catalog), 1)]).json()["cart"]["id"]
    r = client.get(f"{BASE}/payment/validate/?id={cart_id}&payment_mode=COD")
    assert r.status_code == 200 and r.json()["coupon_validity"]["valid"] is True
    assert apply(client, cart_id, "CARD50").status_code == 201
    cod = client.get(f"{BASE}/payment/validate/?id={cart_id}&payment_mode=COD").json()["coupon_validity"]
    card = client.get(f"{BASE}/payment/validate/?id={cart_id}&payment_mode=CARD").json()["coupon_validity"]
    assert (cod["valid"], card["valid"]) == (False, True)
    assert "CARD" in cod["error_en"] and money(card["discount"]) == Decimal("50.00")


def test_available_promotions_for_a_product(client, app, catalog):
    """available-promotions lists the live promotions that reach a product, with what a set of it saves."""
    promo = promotion(app, "PAIR2")
    product = catalog.product(promo["discount_rules"][0]["item_criteria"]["item_id"][0])
    r = client.get(f"{BASE}/available-promotions?slug={product.slug}")
    assert r.status_code == 200, r.text
    offers = {o["id"]: o for o in r.json()["available_promotions"]}
    assert promo["_id"] in offers
    assert offers[promo["_id"]]["discount_rules"][0]["you_save"] > 0
    other = untouched(app, catalog)
    r = client.get(f"{BASE}/available-promotions?slug={catalog.product(other.item_id).slug}")
    assert promo["_id"] not in {o["id"] for o in r.json()["available_promotions"]}


def test_price_adjustments_enter_the_totals(client, app, catalog):
    """A discount adjustment lowers the total, a charge raises it; changing and removing them follows."""
    a = untouched(app, catalog)
    cart = add(client, [(a, 1)]).json()["cart"]
    base = raw_of(get_cart(client, f"id={cart['id']}&b=true").json())
    doc = {"cart_id": cart["id"], "type": "discount", "value": 100, "message": "goodwill",
           "article_level_distribution": False, "is_authenticated": True,
           "collection": {"refund_by": "seller", "collected_by": "seller"},
           "article_ids": [{"article_id": a.article_id}]}
    r = client.post(f"{BASE}/price-adjustment", json=doc)
    assert r.status_code == 201, r.text
    [adj] = r.json()["data"]
    raw = raw_of(get_cart(client, f"id={cart['id']}&b=true").json())
    assert raw["total"] == base["total"] - 100 + (raw["delivery_charge"] - base["delivery_charge"])
    r = client.put(f"{BASE}/price-adjustment/{adj['id']}", json={**doc, "type": "charge", "value": 40})
    assert r.status_code == 200, r.text
    body = get_cart(client, f"id={cart['id']}&b=true").json()
    assert raw_of(body)["total"] == base["total"] + 40
    assert "price_adjustment" in [d["key"] for d in body["breakup_values"]["display"]]
    assert client.get(f"{BASE}/price-adjustment?cart_id={cart['id']}").json()["data"][0]["value"] == 40
    assert client.delete(f"{BASE}/price-adjustment/{adj['id']}").status_code == 200
    assert raw_of(get_cart(client, f"id={cart['id']}&b=true").json()) == base


def test_price_adjustment_refusals(client, app, catalog):
    """Unknown cart or article, an unknown type and a discount above the cart's value are refused by field."""
    a = untouched(app, catalog)
    cart_id = add(client, [(a, 1)]).json()["cart"]["id"]
    doc = {"cart_id": cart_id, "type": "discount", "value": 10, "message": "m", "article_level_distribution": False,
           "is_authenticated": True, "collection": {"refund_by": "seller", "collected_by": "seller"},
           "article_ids": [{"article_id": a.article_id}]}
    assert_fynd_error(client.post(f"{BASE}/price-adjustment", json={**doc, "cart_id": "nope"}), 404, "cart_id")
    assert_fynd_error(client.post(f"{BASE}/price-adjustment", json={
        **doc, "article_ids": [{"article_id": "zz"}]}), 404, "article_ids[0].article_id")
    assert_fynd_error(client.post(f"{BASE}/price-adjustment", json={**doc, "type": "bribe"}), 400, "type")
    assert_fynd_error(client.post(f"{BASE}/price-adjustment", json={**doc, "value": 10 ** 7}), 400, "value")
    assert_fynd_error(client.delete(f"{BASE}/price-adjustment/nope"), 404, "nope")
    assert client.get(f"{BASE}/price-adjustment?cart_id={cart_id}").json()["data"] == []


def test_expired_adjustment_stops_counting(client, app, catalog):
    """An adjustment whose apply_expiry has passed no longer changes the totals."""
    a = untouched(app, catalog)
    cart_id = add(client, [(a, 1)]).json()["cart"]["id"]
    base = raw_of(get_cart(client, f"id={cart_id}&b=true").json())
    r = client.post(f"{BASE}/price-adjustment", json={
        "cart_id": cart_id, "type": "charge", "value": 25, "message": "gift wrap", "apply_expiry": "2026-01-01T00:00:00Z",
        "article_level_distribution": False, "is_authenticated": True,
        "collection": {"refund_by": "seller", "collected_by": "seller"}, "article_ids": []})
    assert r.status_code == 201, r.text
    assert raw_of(get_cart(client, f"id={cart_id}&b=true").json()) == base


def test_demo_cart_shows_a_promotion_and_an_applicable_coupon(session_app):
    """The start-up curl's cart, on the default seed, carries a promotion and can take at least one coupon."""
    import json
    import shlex

    from cartwright.sandbox._cli import example_curl

    reset_state(session_app)
    words = shlex.split(example_curl(session_app, session_app.sandbox.settings))
    path = words[words.index("-X") + 2].split("8080", 1)[1]
    with session_app.test_client(headers={"Authorization": "Bearer demo"}) as c:
        cart = c.post(path, json=json.loads(words[words.index("-d") + 1])).json()["cart"]
        assert cart["applied_promo_details"], "no promotion on the demo cart"
        listed = c.get(f"{path.split('/detail')[0]}/platform-pos-coupon?id={cart['id']}").json()
        assert any(x["is_applicable"] for x in listed["available_coupon_list"])


def test_payment_mode_promotion_waits_for_its_mode(client, app, catalog):
    """A promotion limited to a payment mode does not apply to a cart without that mode, but is offered for it."""
    a = untouched(app, catalog)
    doc = {"code": "UPI5", "promo_group": "payment", "mode": "promotion", "promotion_type": "percentage",
           "application_id": "*", "discount_rules": [{"discount_type": "percentage", "buy_condition": "( rule#1 )",
                                                      "item_criteria": {"all_items": True},
                                                      "offer": {"discount_percentage": 5}}],
           "restrictions": {"payments": {"codes": ["UPI"]}},
           "_schedule": {"status": "approved", "start": "2026-01-01T00:00:00Z"}}
    assert client.post(f"{BASE}/promotion", json=doc).status_code == 201
    cart = add(client, [(a, 1)]).json()["cart"]
    assert cart["applied_promo_details"] == []
    offers = client.get(f"{BASE}/available-payment-offers?id={cart['id']}").json()["promotions"]
    assert [o["promotion_name"] for o in offers if o["id"]] and any(
        o["discount_rules"][0]["you_save"] == float(money(a.effective * 5 / 100)) for o in offers)


def test_used_up_coupon_is_refused(client, app, catalog):
    """A coupon with no uses remaining cannot be applied."""
    create_coupon(client, "ONCE50", restrictions={"uses": {"maximum": {"total": 1}, "remaining": {"total": 0}}})
    cart_id = add(client, [(untouched(app, catalog), 1)]).json()["cart"]["id"]
    assert_fynd_error(apply(client, cart_id, "ONCE50"), 400, "used up")


AUTO_BASE = "/service/platform/cart/v1.0/company/1/application/auto-coupons"


def auto_coupon(client, code, percent, max_off, **extra):
    """An approved, displayed percentage coupon with ``auto_apply`` on, in the AUTO_BASE application."""
    body = {**extra, "code": code, "type_slug": "percentage", "display_meta": {"title": f"Auto {code}"},
            "rule_definition": {"type": "percentage", "applicable_on": "amount", "calculate_on": "esp",
                                "auto_apply": True},
            "rule": [{"key": 1, "value": percent, "max": max_off}], "_schedule": {"status": "approved"},
            "state": {"is_archived": False, "is_display": True, "is_public": True}}
    r = client.post(f"{AUTO_BASE}/coupon", json=body)
    assert r.status_code == 201, r.text


def auto_cart(client, a, user):
    r = client.post(f"{AUTO_BASE}/detail?b=true", json={"user_id": user, "items": [
        {"item_id": a.item_id, "item_size": a.size, "quantity": 1}]})
    assert r.status_code == 200, r.text
    return r.json()["cart"]


def test_auto_apply_coupon_lands_on_qualifying_carts_until_removed(client, app, catalog):
    """The best live auto_apply coupon is on a cart without being applied; DELETE takes it off for good."""
    a = untouched(app, catalog, minimum=2)
    auto_coupon(client, "AUTO5", 5, 10_000)
    auto_coupon(client, "AUTO8", 8, 10_000)
    cart = auto_cart(client, a, "auto-user")
    assert cart["coupon"]["coupon_code"] == "AUTO8"  # the larger saving wins
    assert raw_of(cart)["coupon"] == -money(a.effective * 8 / PCT)
    assert cart["breakup_values"]["coupon"]["is_applied"] is True
    listed = client.get(f"{AUTO_BASE}/platform-pos-coupon?id={cart['id']}").json()
    assert [c["coupon_code"] for c in listed["available_coupon_list"] if c["is_applied"]] == ["AUTO8"]
    r = client.delete(f"{AUTO_BASE}/platform-pos-coupon?uid={cart['id']}")
    assert r.status_code == 200, r.text
    after = client.get(f"{AUTO_BASE}/detail?id={cart['id']}&b=true").json()
    assert raw_of(after)["coupon"] == 0 and not after.get("coupon", {}).get("coupon_code")
    assert raw_of(after)["total"] == raw_of(cart)["total"] + money(a.effective * 8 / PCT) + (
        raw_of(after)["delivery_charge"] - raw_of(cart)["delivery_charge"])
    r = client.post(f"{AUTO_BASE}/platform-pos-coupon?id={cart['id']}&b=true", json={"coupon_code": "AUTO5"})
    assert r.status_code == 201 and r.json()["coupon"]["coupon_code"] == "AUTO5"  # an explicit choice still works


def test_auto_apply_coupon_skips_carts_it_does_not_fit(client, app, catalog):
    """An auto_apply coupon whose minimum cart value is not met stays off; default (non-auto) coupons never appear."""
    a = untouched(app, catalog)
    auto_coupon(client, "AUTOBIG", 50, 10_000, restrictions={"price_range": {"min": int(a.effective) * 10}})
    cart = auto_cart(client, a, "small-cart-user")
    assert raw_of(cart)["coupon"] == 0 and not (cart.get("coupon") or {}).get("coupon_code")
    default = add(client, [(a, 1)], user_id="default-scope-user").json()["cart"]
    assert raw_of(default)["coupon"] == 0



def test_a_changed_promotion_reprices_carts_read_before(client, app, catalog):
    """A promotion changed after a cart was priced (its offer lists are kept) counts on the cart's next read."""
    promo = promotion(app, "DECCAN15")
    a = in_stock(catalog, lambda p: p.brand_uid in promo["discount_rules"][0]["item_criteria"]["item_brand"])
    before = add(client, [(a, 1)]).json()["cart"]
    assert get_cart(client).json()["applied_promo_details"]  # read again: the kept lists are in use
    changed = {k: v for k, v in promo.items() if k not in ("_id", "date_meta")}
    changed["discount_rules"] = [{**promo["discount_rules"][0], "offer": {"discount_percentage": 40}}]
    r = client.put(f"{BASE}/promotion/{promo['_id']}", json=changed)
    assert r.status_code == 200, r.text
    after = get_cart(client).json()
    [applied] = after["items"][0]["promotions_applied"]
    assert money(applied["amount"]) == money(a.effective * 40 / PCT)
    assert raw_of(after)["total"] < raw_of(before)["total"]
    archived = {**changed, "_schedule": {**changed["_schedule"], "status": "rejected"}}
    assert client.put(f"{BASE}/promotion/{promo['_id']}", json=archived).status_code == 200
    assert get_cart(client).json()["applied_promo_details"] == []
