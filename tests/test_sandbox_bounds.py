"""The numbers and JSON the sandbox takes (sandbox/web/bounds.py): at the bounds everything works, past them a
400 names the field and nothing is stored, and nothing stored can make arithmetic or serialisation fail."""
import json
from decimal import Decimal

import pytest
import yaml

from cartkit import add, article, assert_fynd_error, get_cart
from conftest import AUTH, BASE, ROOT
from test_sandbox_offers_crud import promotion_body

AMOUNT_LIMIT = 10 ** 12
INT32_MAX = 2 ** 31 - 1


def charge(client, cart_id, value, article_id):
    """A charge adjustment of ``value`` (text: written into the JSON as it is, e.g. ``NaN``)."""
    body = {"cart_id": cart_id, "type": "charge", "value": "@value", "message": "m", "is_authenticated": True,
            "article_level_distribution": False, "collection": {"refund_by": "seller", "collected_by": "seller"},
            "article_ids": [{"article_id": article_id}]}
    literal = value if isinstance(value, str) else json.dumps(value)
    return client.post(f"{BASE}/price-adjustment", content=json.dumps(body).replace('"@value"', literal),
                       headers={"Content-Type": "application/json"})


@pytest.fixture
def abandoning(settings):
    """A sandbox whose carts count as abandoned at once (so the abandoned-cart list shows every cart)."""
    from cartwright.sandbox import create_app

    with create_app(settings.replace(abandoned_after_minutes=0)).test_client(headers=AUTH) as c:
        yield c


def test_amounts_at_the_bound_are_taken_and_every_view_of_the_cart_answers(abandoning):
    """Two charges of ₹10^12 (the most an amount may be) are stored; the cart, cart list, abandoned list and
    shipments all answer 200 with the charges in the total, and a v2 payment of 10^12 is refused as not
    adding up (400), not a 500."""
    c = abandoning
    a = article(c.app.sandbox.catalog)
    cart = add(c, [(a, 1)]).json()["cart"]
    before = Decimal(str(get_cart(c, f"id={cart['id']}&b=true").json()["breakup_values"]["raw"]["total"]))
    for _ in range(2):
        assert charge(c, cart["id"], AMOUNT_LIMIT, a.article_id).status_code == 201
    raw = get_cart(c, f"id={cart['id']}&b=true").json()["breakup_values"]["raw"]
    assert Decimal(str(raw["total"])) == before + 2 * AMOUNT_LIMIT
    for view in ("cart-list", "abandoned/carts", f"shipment?id={cart['id']}", f"basic?id={cart['id']}"):
        assert c.get(f"{BASE}/{view}").status_code == 200, view
    r = c.put(f"/service/platform/cart/v2.0/company/1/application/app-1/payment?id={cart['id']}",
              json={"payment_mode": "CARD", "payment_methods": [{"mode": "CARD", "amount": AMOUNT_LIMIT}]})
    assert_fynd_error(r, 400, "payment_methods")


@pytest.mark.parametrize("value", ["9e25", "1000000000000.01", "1e300", "Infinity", "NaN",
                                   pytest.param("1" + "0" * 5000, id="5,000 digits")])
def test_amounts_past_the_bound_are_400_naming_the_field_and_store_nothing(client, catalog, value):
    """The issue's 9e25 (twice it broke the cart's views), an amount a paisa over 10^12, 1e300, Infinity, NaN and
    an integer of 5,000 digits: each a 400 naming `value`; the cart keeps no adjustment."""
    a = article(catalog)
    cart = add(client, [(a, 1)]).json()["cart"]
    for _ in range(2):
        assert_fynd_error(charge(client, cart["id"], value, a.article_id), 400, "value")
    assert client.get(f"{BASE}/price-adjustment?cart_id={cart['id']}").json()["data"] == []
    assert get_cart(client, f"id={cart['id']}").status_code == 200


def test_int32_quantity_in_a_quote_is_priced_without_a_unit_per_unit(client, catalog, monkeypatch):
    """A quote (cart/validate) for a million units of an article with a few in stock answers 200, not valid, and
    the offers look at no more units than the stock (they looked at every unit asked for: 2^31-1 hung)."""
    import cartwright.sandbox.domain.cart as cart_module

    seen = []
    apply_offers = cart_module.apply_offers
    monkeypatch.setattr(cart_module, "apply_offers", lambda units, *rest: seen.append(len(units)) or
                        apply_offers(units, *rest))
    a = article(catalog)
    items = [{"product_id": str(a.item_id), "size": a.size, "quantity": 10 ** 6}]
    r = client.post(f"{BASE}/cart/validate", json={"cart_items": items})
    assert r.status_code == 200 and r.json()["is_valid"] is False
    assert seen and max(seen) <= sum(x.stock for x in catalog.articles_for(a.item_id, a.size))
    items[0]["quantity"] = INT32_MAX
    assert client.post(f"{BASE}/cart/validate", json={"cart_items": items}).status_code == 200


def test_a_promotion_set_bigger_than_the_stock_saves_nothing_and_costs_nothing(client, catalog, monkeypatch):
    """available-promotions prices one set of the product; a set of 10^6 units (any int32 is taken) is priced on
    no more units than the catalog has of the article, and saves nothing (no such set can be bought)."""
    import cartwright.sandbox.domain.cart_offers as cart_offers

    seen = []
    evaluate = cart_offers.evaluate
    monkeypatch.setattr(cart_offers, "evaluate", lambda offer, units, *rest: seen.append(len(units)) or
                        evaluate(offer, units, *rest))
    a = article(catalog)
    product = catalog.product(a.item_id)
    body = promotion_body("HUGESET", promotion_type="bogo", _schedule={"status": "approved"},
                          discount_rules=[{"discount_type": "bogo", "buy_condition": "( rule#1 )",
                                           "item_criteria": {"item_id": [a.item_id]},
                                           "offer": {"min_offer_quantity": 10 ** 6, "max_offer_quantity": 1}}],
                          buy_rules={"item_id": [a.item_id]})
    r = client.post(f"{BASE}/promotion", json=body)
    assert r.status_code == 201, r.text
    promotion_id = r.json()["_id"]
    r = client.get(f"{BASE}/available-promotions?slug={product.slug}")
    assert r.status_code == 200, r.text
    [offer] = [o for o in r.json()["available_promotions"] if o["id"] == promotion_id]
    assert offer["discount_rules"][0]["you_save"] == 0
    assert seen and max(seen) <= max(x.stock for x in catalog.articles_for(a.item_id, a.size))


def _nested(depth: int):
    """A free-form value of ``depth`` nested objects."""
    return {"n": _nested(depth - 1)} if depth else 1


@pytest.mark.parametrize("compiled", [True, False])
def test_nesting_up_to_the_limit_is_taken_and_one_level_more_is_400(settings, catalog, compiled):
    """A body nested exactly max_json_depth levels is taken; one level more is a 400 naming the path, on the
    compiled path and Connexion's own; the setting moves the limit."""
    from cartwright.sandbox import create_app

    a = article(catalog)
    item = {"product_id": str(a.item_id), "size": a.size}
    limit = settings.max_json_depth
    with create_app(settings, compiled=compiled).test_client(headers=AUTH) as c:
        # The body (1) › cart_items (2) › the item (3) › meta: levels 4 and down.
        ok = c.post(f"{BASE}/cart/validate", json={"cart_items": [{**item, "meta": _nested(limit - 3)}]})
        assert ok.status_code == 200, ok.text
        deep = c.post(f"{BASE}/cart/validate", json={"cart_items": [{**item, "meta": _nested(limit - 2)}]})
        assert_fynd_error(deep, 400, "cart_items[0].meta" + ".n" * (limit - 3), "max_json_depth")
    with create_app(settings.replace(max_json_depth=4), compiled=compiled).test_client(headers=AUTH) as c:
        assert c.post(f"{BASE}/cart/validate", json={"cart_items": [{**item, "meta": {}}]}).status_code == 200
        assert_fynd_error(c.post(f"{BASE}/cart/validate", json={"cart_items": [{**item, "meta": {"n": {}}}]}),
                          400, "cart_items[0].meta.n", "4 levels")


def _container_depth(schema, spec, seen=()):
    """Levels of objects and arrays a body of ``schema`` has at most (free-form values count as one level)."""
    while "$ref" in schema:
        schema = yaml_path(spec, schema["$ref"])
    if id(schema) in seen:
        return 0
    seen = (*seen, id(schema))
    below = [_container_depth(s, spec, seen) for s in (schema.get("properties") or {}).values()]
    below += [_container_depth(s, spec, seen) for s in schema.get("allOf", [])]
    if isinstance(schema.get("items"), dict):
        below.append(_container_depth(schema["items"], spec, seen))
    own = 1 if schema.get("type") in ("object", "array") or schema.get("properties") else 0
    return own + max(below, default=0)


def yaml_path(spec, ref):
    node = spec
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def test_the_deepest_body_the_spec_describes_fits_well_under_the_default_depth(settings):
    """Every request body the spec describes, at its deepest, is far from max_json_depth (the spec's deepest
    is 7 levels, in the checkout bodies; meta and other free-form fields get the rest)."""
    spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())
    depths = {op["operationId"]: _container_depth(op["requestBody"]["content"]["application/json"]["schema"], spec)
              for item in spec["paths"].values() for op in item.values()
              if isinstance(op, dict) and "requestBody" in op}
    assert max(depths.values()) == 7 and settings.max_json_depth >= 4 * 7


def test_page_size_up_to_the_maximum_in_every_paginated_operation(settings):
    """Every operation with a page_size takes max_page_size and refuses one more, naming page_size; the setting
    moves the maximum."""
    from cartwright.sandbox import create_app

    spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())
    paged = [path.replace("/service/platform/cart/v1.0/company/{company_id}/application/{application_id}", BASE)
             for path, item in spec["paths"].items() for op in item.values()
             if isinstance(op, dict) and any(p.get("name") == "page_size" for p in op.get("parameters", []))]
    assert len(paged) == 4
    for maximum in (settings.max_page_size, 3):
        with create_app(settings.replace(max_page_size=maximum)).test_client(headers=AUTH) as c:
            for path in paged:
                assert c.get(f"{path}?page_size={maximum}").status_code == 200, path
                assert_fynd_error(c.get(f"{path}?page_size={maximum + 1}"), 400, "page_size", str(maximum))


def test_money_rounds_any_sum_of_bounded_amounts():
    """Rounding to paise never raises, whatever the size (the default 28-digit context raised from 10^26)."""
    from cartwright.sandbox.domain.money import money

    assert money(Decimal("9e25") * 2) == Decimal("180000000000000000000000000.00")
    assert money(Decimal(AMOUNT_LIMIT) * INT32_MAX * 10 ** 6) == Decimal(AMOUNT_LIMIT) * INT32_MAX * 10 ** 6
    assert money(Decimal("1000000000000.005")) == Decimal("1000000000000.01")


def test_responses_never_carry_a_bare_nan():
    """The serialiser's stdlib fallback (integers beyond 64 bits) refuses NaN rather than write it; orjson
    writes null."""
    from cartwright.sandbox.web.jsonify import json_bytes

    with pytest.raises(ValueError):
        json_bytes({"big": 2 ** 70, "x": float("nan")})
    assert json_bytes({"x": float("inf")}) == b'{"x":null}'


def test_limits_are_settings_with_flags_and_variables():
    """max_json_depth and max_page_size come from CARTWRIGHT_* variables and `cartwright serve` flags."""
    from cartwright.sandbox import Settings
    from cartwright.sandbox._cli import settings_from

    assert Settings.from_env({"CARTWRIGHT_MAX_JSON_DEPTH": "8"}).max_json_depth == 8
    s = settings_from(["serve", "--max-json-depth", "9", "--max-page-size", "50"])
    assert (s.max_json_depth, s.max_page_size) == (9, 50)


@pytest.mark.parametrize("text, named", [
    ("[" * 3000 + "1" + "0" * 5000 + "]" * 3000, "request body: JSON nested deeper than 32 levels"),
    ('{"a": [1, {"b": -1e999}]}', "a[1].b: -Infinity is not a finite number"),
    ('{"a": 1' + "0" * 5000 + "}", "a: an integer of 5001 digits"),
    ('{"a": -9223372036854775809}', "a: -9223372036854775809 is outside the 64-bit integers"),
    ("NaN", "request body: NaN"),
    ('{"x": ', "Expecting value"),
])
def test_parsing_names_what_it_refuses(text, named):
    """The parser's refusals: depth before digits, the path of a non-finite number or an oversized integer,
    the whole body, and JSON errors as the decoder words them."""
    from connexion.exceptions import BadRequestProblem

    from cartwright.sandbox.web.bounds import loads

    with pytest.raises(BadRequestProblem) as refused:
        loads(text, 32)
    assert named in refused.value.detail
    assert loads('{"a": [9223372036854775807, -1e308, "NaN"]}', 32) == {"a": [2 ** 63 - 1, -1e308, "NaN"]}
