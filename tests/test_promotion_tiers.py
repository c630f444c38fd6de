"""A promotion's several discount rules are tiers: the rule whose conditions hold that takes the most off applies."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from cartkit import assert_fynd_error, cheapest
from conftest import BASE

from cartwright.sandbox.domain.errors import InvalidValue
from cartwright.sandbox.domain.offers import Unit, apply_offers, promotion_from_doc

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)
TIERS = f"{BASE.rsplit('/', 1)[0]}/tiers"


def rule(percent, **criteria):
    return {"discount_type": "percentage", "buy_condition": "( rule#1 )", "item_criteria": criteria,
            "offer": {"discount_percentage": percent}}


def tiered(*rules, **changes):
    doc = {"_id": "p1", "code": "MORE", "promotion_type": "percentage", "mode": "promotion", "application_id": "*",
           "promo_group": "product", "discount_rules": list(rules),
           "_schedule": {"status": "approved", "start": "2026-01-01T00:00:00Z"}}
    return {**doc, **changes}


def units(n, brand=1, price="1000"):
    return [Unit(line=f"l{brand}", item_id=brand, size="M", brand=brand, categories=(1,), store=1, article=f"a{brand}",
                 price=Decimal(price)) for _ in range(n)]


BUY_MORE = tiered(rule(10, all_items=True, cart_quantity={"greater_than_equals": 2}),
                  rule(20, all_items=True, cart_quantity={"greater_than_equals": 3}),
                  rule(5, all_items=True, cart_total={"greater_than_equals": 500}))


@pytest.mark.parametrize("count, off, which", [(1, "50.00", 2), (2, "200.00", 0), (3, "600.00", 1), (5, "1000.00", 1)])
def test_the_best_tier_reached_applies(count, off, which):
    """1 unit: only the ₹500 rule (5%); 2: 10%; 3 or more: 20%. One rule applies, and the answer says which."""
    [applied] = apply_offers(units(count), [promotion_from_doc(BUY_MORE)], None, NOW).promotions
    assert (applied.total, applied.rule) == (Decimal(off), which)


def test_a_promotion_no_tier_of_which_holds_gives_nothing():
    """Below every tier's condition the promotion does not apply."""
    doc = tiered(rule(10, all_items=True, cart_quantity={"greater_than_equals": 2}),
                 rule(20, all_items=True, cart_quantity={"greater_than_equals": 3}))
    assert apply_offers(units(1), [promotion_from_doc(doc)], None, NOW).promotions == ()


def test_each_tier_has_its_own_items():
    """Rules for different brands: the one taking the most off this cart applies (to its brand's units only)."""
    doc = tiered(rule(10, item_brand=[1]), rule(30, item_brand=[2]))
    [applied] = apply_offers(units(2, brand=1) + units(1, brand=2, price="500"), [promotion_from_doc(doc)], None,
                             NOW).promotions
    assert (applied.rule, applied.total, applied.per_line) == (0, Decimal("200.00"), {"l1": Decimal("200.00")})
    [applied] = apply_offers(units(1, brand=1) + units(1, brand=2), [promotion_from_doc(doc)], None, NOW).promotions
    assert (applied.rule, applied.per_line) == (1, {"l2": Decimal("300.00")})


@pytest.mark.parametrize("rules, field", [
    ([], "discount_rules"),
    ([rule(10), {**rule(10), "discount_type": "amount"}], "discount_rules[1].discount_type"),
    ([rule(10), {**rule(10), "offer": {}}], "discount_rules[1].offer.discount_percentage"),
    ([rule(10), rule(120)], "discount_rules[1].offer.discount_percentage"),
    ([rule(10), rule(5, cart_quantity={"greater_than": -1})], "discount_rules[1].item_criteria.cart_quantity"),
])
def test_a_bad_tier_is_refused_naming_it(rules, field):
    """Every rule is checked; the refusal names the rule and its field."""
    with pytest.raises(InvalidValue) as refused:
        promotion_from_doc(tiered(*rules))
    assert refused.value.field.startswith(field)


def test_tiers_through_the_api(client, catalog):
    """A tiered promotion is created (201), then prices a cart by its quantity, naming the rule that applied."""
    a = next(x for x in catalog.articles if x.stock >= 3 and cheapest(catalog, x.item_id, x.size, 3) == x)
    doc = tiered(rule(10, item_id=[a.item_id], cart_quantity={"greater_than_equals": 2}),
                 rule(25, item_id=[a.item_id], cart_quantity={"greater_than_equals": 3}))
    del doc["_id"]
    r = client.post(f"{TIERS}/promotion", json=doc)
    assert r.status_code == 201, r.text
    assert len(r.json()["discount_rules"]) == 2
    for quantity, percent in ((1, 0), (2, 10), (3, 25)):
        cart = client.post(f"{TIERS}/detail?b=true", json={"user_id": f"u{quantity}", "items": [
            {"item_id": a.item_id, "item_size": a.size, "quantity": quantity}]}).json()["cart"]
        mine = [p for p in cart["applied_promo_details"] if p["code"] == "MORE"]
        if not percent:
            assert mine == []
            continue
        [promo] = mine
        assert Decimal(str(promo["amount"])) == (a.effective * quantity * percent / 100).quantize(Decimal("0.01"))
        assert promo["discount_rules"][0]["offer"] == {"discount_percentage": percent}
    assert_fynd_error(client.post(f"{TIERS}/promotion", json={**doc, "code": "BAD", "discount_rules": []}), 400,
                      "discount_rules")
