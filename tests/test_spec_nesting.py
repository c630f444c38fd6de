"""Where the flattened text is hard, the spec nests fields under the right parent."""


def props(openapi, name):
    return list(openapi["components"]["schemas"][name]["properties"])


def test_geo_location_holds_only_coordinates(openapi):
    """geo_location is {longitude, latitude}; country and the rest belong to the address."""
    assert props(openapi, "GeoLocation") == ["longitude", "latitude"]
    assert {"geo_location", "country", "state", "city"} <= set(props(openapi, "PlatformAddress"))


def test_cart_roots_take_back_coupon_message_and_success(openapi):
    """After the item-level chain, coupon, message and success belong to the cart response, not to an item."""
    root = props(openapi, "CartDetailResult")
    assert {"items", "coupon", "message", "success", "breakup_values", "restrict_checkout"} <= set(root)
    assert props(openapi, "ChargesThreshold") == ["charges", "threshold"]
    assert "message" not in props(openapi, "CartDetailCoupon")[-1:]
    assert "success" not in props(openapi, "CartProductInfo")
    add = props(openapi, "AddCartDetailResult")
    assert add[:2] == ["success", "cart"] and "message" in add and "partial" in add


def test_promise_siblings_are_not_nested(openapi):
    """formatted, timestamp and iso are sibling {max, min} objects inside the delivery promise."""
    assert props(openapi, "ShipmentPromise") == ["formatted", "timestamp", "iso"]
    for name in ("PromiseFormatted", "PromiseTimestamp", "PromiseISOFormat"):
        assert props(openapi, name) == ["max", "min"]


def test_list_parent_fields_follow_the_last_item(openapi):
    """page, success and message after the last abandoned-cart field belong to the list result."""
    assert props(openapi, "AbandonedCart")[-1] == "app_id"
    assert {"items", "result", "page", "success", "message"} == set(props(openapi, "AbandonedCartResult"))
    assert {"items", "page"} == set(props(openapi, "CouponsResult"))
    assert {"items", "page"} == set(props(openapi, "PromotionsResult"))


def test_required_in_a_request_makes_the_schema_required(openapi):
    """A schema marked Required in a request but not in a response is still one schema with one required list."""
    shipping = openapi["components"]["schemas"]["ShippingAddress"]
    assert shipping["required"] == ["area_code"]
    assert shipping["properties"]["area_code"]["minLength"] == 1


def test_numbered_variants_stay_distinct(openapi):
    """DisplayMeta/DisplayMeta1 and Ownership/Ownership1/Ownership2 are separate schemas."""
    schemas = openapi["components"]["schemas"]
    assert {"DisplayMeta", "DisplayMeta1", "Ownership", "Ownership1", "Ownership2",
            "Restrictions", "Restrictions1"} <= set(schemas)
    assert props(openapi, "DisplayMeta") != props(openapi, "DisplayMeta1")


def test_plain_objects_get_no_invented_properties(openapi):
    """A field the text shows only as `object` stays a bare object with its description."""
    meta = openapi["components"]["schemas"]["AbandonedCart"]["properties"]["meta"]
    assert meta == {"type": "object", "nullable": True, "description": "Extra meta data of user cart"}


def test_enums_only_where_the_description_names_the_values(openapi):
    """Lost enums are captured from descriptions that list the values; others keep x-enum-lost."""
    schemas = openapi["components"]["schemas"]
    assert schemas["Distribution"]["properties"]["logic"]["enum"] == ["apportion", "weighted", "equally"]
    assert schemas["RuleDefinition"]["properties"]["applicable_on"]["enum"] == ["amount", "quantity"]
    lost = schemas["AppliedPromotion"]["properties"]["promotion_type"]
    assert "enum" not in lost and lost["x-enum-lost"] is True


def test_a_nullable_enum_lists_null(openapi, client):
    """A nullable field's captured enum lists null (OpenAPI 3.0.3's nullable does not get null past an enum), so
    the null the sandbox takes is valid to every tool; a value outside the enum is still refused."""
    schemas = openapi["components"]["schemas"]
    for name in ("CreatePromotionRequest", "UpdatePromotionRequest"):
        assert schemas[name]["properties"]["apply_exclusive"]["enum"] == ["article", "cart", None]
    assert schemas["RuleDefinition"]["properties"]["applicable_on"]["enum"] == ["amount", "quantity"]  # not nullable
    from test_sandbox_offers_crud import promotion_body
    base = "/service/platform/cart/v1.0/company/1/application/app-1"
    assert client.post(f"{base}/promotion", json=promotion_body("NULLX", apply_exclusive=None)).status_code == 201
    refused = client.post(f"{base}/promotion", json=promotion_body("OTHERX", apply_exclusive="shipment"))
    assert refused.status_code == 400 and "apply_exclusive" in refused.text


def test_enkash_items_is_a_map_of_config_ids(openapi):
    """EnKash's items is keyed by product-config id; the priority header is not a parameter."""
    schemas = openapi["components"]["schemas"]
    items = schemas["EnKashAddToCartRequest"]["properties"]["items"]
    assert items["additionalProperties"] == {"$ref": "#/components/schemas/EnKashCartItemInput"}
    op = openapi["paths"]["/api/v0/cart"]["post"]
    assert [p["name"] for p in op["parameters"]] == ["product"]
    assert op["parameters"][0]["schema"]["enum"] == ["VOUCHER"]
    assert set(schemas["EnKashCartLine"]["properties"]) == {
        "productConfigId", "mrp", "sellRate", "enkashDiscount", "savings", "quantity", "total"}


def test_enkash_documented_example_validates(openapi):
    """The document's own request and 200 example validate against the captured EnKash schemas."""
    import jsonschema
    import referencing
    from referencing.jsonschema import DRAFT4

    registry = referencing.Registry().with_resource("urn:spec", DRAFT4.create_resource(openapi))
    for name in ("EnKashAddToCartRequest", "EnKashCartResult"):
        schema = openapi["components"]["schemas"][name]
        validator = jsonschema.Draft4Validator(
            {"$ref": f"urn:spec#/components/schemas/{name}"}, registry=registry)
        validator.validate(schema["example"])
