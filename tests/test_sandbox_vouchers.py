"""EnKash's voucher Add-to-cart through the whole stack."""
import copy

import pytest

URL = "/api/v0/cart?product=VOUCHER"
TOKEN = {"Authorization": "Bearer Y3FPArLArzU74fcFHKzJGmYrUz4"}


@pytest.fixture
def documented(openapi):
    """The document's request and response examples, as captured in the spec."""
    schemas = openapi["components"]["schemas"]
    return schemas["EnKashAddToCartRequest"]["example"], schemas["EnKashCartResult"]["example"]


def add(client, catalog_id, items, headers=TOKEN):
    return client.post(URL, json={"productCatalogId": catalog_id, "items": {
        k: {"quantity": q, "description": ""} for k, q in items.items()}}, headers=headers)


def assert_enkash_error(r, status, *words):
    assert r.status_code == status, r.text
    body = r.json()
    assert body["response_code"] != 0 and set(body) == {"response_code", "response_message"}, body
    for w in words:
        assert w in body["response_message"], (w, body)


def test_documented_call_replays_the_documented_response(client, documented):
    """A user holding the documented earlier state sends the documented request and gets the documented body."""
    request, response = documented
    expected = copy.deepcopy(response)
    [entry] = expected["payload"]
    earlier = {cid: line["quantity"] - request["items"].get(cid, {}).get("quantity", 0)
               for cid, line in entry["items"].items()}
    assert add(client, entry["productCatalogId"], earlier).status_code == 200
    r = client.post(URL, json=request, headers=TOKEN)
    assert r.status_code == 200, r.text
    body = r.json()
    [got] = body["payload"]
    for generated in ("id", "ekUserId"):
        assert got.pop(generated) and entry.pop(generated)
    assert body == expected


def test_same_token_same_user_other_token_other_cart(client, documented):
    """A token keeps its ekUserId and cart; another token sees its own, empty cart."""
    entry = documented[1]["payload"][0]
    config = next(iter(entry["items"]))
    first = add(client, entry["productCatalogId"], {config: 1}).json()["payload"][0]
    again = add(client, entry["productCatalogId"], {config: 1}).json()["payload"][0]
    assert again["ekUserId"] == first["ekUserId"] and again["items"][config]["quantity"] == 2
    other = add(client, entry["productCatalogId"], {config: 1}, headers={"Authorization": "Bearer other"})
    other_entry = other.json()["payload"][0]
    assert other_entry["ekUserId"] != first["ekUserId"] and other_entry["items"][config]["quantity"] == 1


def test_totals_follow_the_documented_arithmetic(client, app):
    """total = sellRate × quantity, savings = (mrp − sellRate) × quantity, and the entry's sums, on a generated card."""
    entry = list(app.sandbox.voucher_catalog.values())[1]
    quantities = {c.id: i + 1 for i, c in enumerate(entry.configs[:2])}
    [got] = add(client, entry.id, quantities).json()["payload"]
    for c in entry.configs[:2]:
        line = got["items"][c.id]
        assert (line["total"], line["savings"]) == (c.sell_rate * quantities[c.id],
                                                    (c.mrp - c.sell_rate) * quantities[c.id])
    assert got["totalAmount"] == sum(line["total"] for line in got["items"].values())
    assert got["totalSavings"] == sum(line["savings"] for line in got["items"].values())
    assert got["totalQuantity"] == sum(quantities.values())


def test_missing_token_is_401_in_the_enkash_shape(app):
    """Without a bearer token the EnKash operation answers 401 in EnKash's shape."""
    with app.test_client() as anonymous:
        assert_enkash_error(anonymous.post(URL, json={"productCatalogId": "x", "items": {"y": {
            "quantity": 1, "description": ""}}}), 401)


def test_errors_take_the_enkash_shape_and_change_nothing(client, documented):
    """Bad token, product, catalog, config, quantities and bodies are refused in EnKash's shape; nothing is added."""
    entry = documented[1]["payload"][0]
    config = next(iter(entry["items"]))
    other_config = "PCN9999"
    assert_enkash_error(client.post("/api/v0/cart?product=GIFT", json={}, headers=TOKEN), 400, "GIFT")
    assert_enkash_error(add(client, "PC000", {config: 1}), 400, "PC000")
    assert_enkash_error(add(client, entry["productCatalogId"], {other_config: 1}), 400, other_config)
    assert_enkash_error(add(client, entry["productCatalogId"], {config: 0}), 400, "quantity")
    assert_enkash_error(add(client, entry["productCatalogId"], {config: 6}), 400, "at most 5")
    assert_enkash_error(add(client, entry["productCatalogId"], {config: 1, other_config: 1}), 400)
    assert_enkash_error(client.post(URL, content=b"{nope", headers={**TOKEN, "Content-Type": "application/json"}),
                        400)
    first = add(client, entry["productCatalogId"], {config: 5})
    assert first.status_code == 200
    assert_enkash_error(add(client, entry["productCatalogId"], {config: 1}), 400, "5 already")
    assert add(client, entry["productCatalogId"], {}).status_code == 400


def test_voucher_catalog_is_seeded_and_listed(client, app):
    """The voucher catalog is the same for the same seed, holds the documented card, and the admin lists it."""
    from cartwright.sandbox.fixturegen.vouchers import dump_vouchers, generate_vouchers

    assert dump_vouchers(generate_vouchers(2026)) == dump_vouchers(generate_vouchers(2026))
    assert generate_vouchers(2026) != generate_vouchers(7)
    listed = client.get("/_cartwright/catalog").json()["vouchers"]
    assert "PC7513531244A681" in {v["productCatalogId"] for v in listed}
    assert len(listed) == len(app.sandbox.voucher_catalog)
