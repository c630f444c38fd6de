"""Hostile input, for every operation of the spec: a 4xx in the API's shape naming the field, never a 5xx, and
nothing any read view shows changes.

The operations, their parameters and their body schemas are read from spec/openapi.yaml; only parameter
names are listed by hand (which name something, which stand in for each other, the values they take in the
prepared state). Each body probe starts from the
smallest body its schema takes (``smallest``) and spoils one thing, so the refusal can only be about that
thing and must name it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
import yaml

from cartkit import add, articles
from conftest import AUTH, BASE, ROOT

SPEC = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())
METHODS = ("get", "post", "put", "delete")
COMPANY, APPLICATION = "1", BASE.rsplit("/", 1)[1]
UNKNOWN_ID = "ffffffffffffffffffffffff"
UNKNOWN_NUMBER = 987654
# Parameters that name something stored or in the catalog: an unknown value must be refused.
ID_PARAMETERS = {"id", "cart_id", "uid", "address_id", "last_id", "token", "cart_meta_id", "store_uid"}
# Parameters that stand in each other's stead (the cart; the destination): one probed unknown is sent
# without the others of its group.
ALTERNATIVES = ({"id", "uid", "cart_id", "user_id"}, {"address_id", "area_code"})
USER = "hostile-user"


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        target = SPEC
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations():
    """(operationId, method, path template, operation) for every operation of the spec."""
    for path, item in SPEC["paths"].items():
        for method in METHODS:
            if method in item:
                yield item[method]["operationId"], method, path, item[method]


OPERATIONS = {op_id: (method, path, op) for op_id, method, path, op in operations()}


def parameters(path: str, op: dict) -> list[dict]:
    return [resolve(p) for p in SPEC["paths"][path].get("parameters", []) + op.get("parameters", [])]


def body_schema(op: dict) -> dict | None:
    body = resolve(op.get("requestBody"))
    return resolve(body["content"]["application/json"]["schema"]) if body else None


# --------------------------------------------------------------------------- schemas → bodies
def properties(schema: dict) -> dict:
    schema = resolve(schema)
    found = dict(schema.get("properties") or {})
    for part in schema.get("allOf", []):
        found.update(properties(part))
    return found


def kind(schema: dict) -> str | None:
    schema = resolve(schema)
    if "type" in schema:
        return schema["type"]
    if schema.get("properties") or schema.get("allOf"):
        return "object"
    return None


def smallest(schema: dict, depth: int = 0):
    """The smallest value ``schema`` takes: required properties only, first enum values, one array item
    where at least one is required."""
    schema = resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    t = kind(schema)
    if t == "object":
        required = set(schema.get("required", []))
        for part in schema.get("allOf", []):
            required |= set(resolve(part).get("required", []))
        return {name: smallest(sub, depth + 1) for name, sub in properties(schema).items() if name in required}
    if t == "array":
        return [smallest(schema.get("items", {}), depth + 1)] if schema.get("minItems") else []
    if t == "string":
        return {"date-time": "2026-11-22T10:00:00Z", "date": "2026-11-22"}.get(schema.get("format"), "x")
    if t in ("integer", "number"):
        return 1
    if t == "boolean":
        return True
    return {}


def numeric_fields(schema: dict, path: tuple = (), seen: frozenset = frozenset()):
    """(JSON path, schema) of every integer or number field reachable in ``schema`` (array items at index 0)."""
    schema = resolve(schema)
    if id(schema) in seen:
        return
    seen = seen | {id(schema)}
    t = kind(schema)
    if t in ("integer", "number"):
        yield path, schema
    elif t == "object":
        for name, sub in properties(schema).items():
            yield from numeric_fields(sub, path + (name,), seen)
    elif t == "array":
        yield from numeric_fields(schema.get("items", {}), path + (0,), seen)


def schema_at(schema: dict, path: tuple) -> dict:
    for part in path:
        schema = resolve(schema)
        schema = schema.get("items", {}) if isinstance(part, int) else properties(schema)[part]
    return resolve(schema)


def with_value(schema: dict, path: tuple, value):
    """The smallest body of ``schema`` with ``value`` at ``path`` (the containers on the way made smallest)."""
    body = smallest(schema)
    node, node_schema = body, schema
    for i, part in enumerate(path):
        last = i == len(path) - 1
        sub_schema = schema_at(node_schema, (part,))
        if isinstance(part, int):
            if not node:
                node.append(smallest(sub_schema))
        elif part not in node:
            node[part] = smallest(sub_schema)
        if last:
            node[part] = value
        else:
            node, node_schema = node[part], sub_schema
    return body


def dotted(path: tuple) -> str:
    """``("items", 0, "quantity")`` as the sandbox names it: ``items[0].quantity``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


# Literals that json.dumps cannot write (or writes as Python would): put in place of a marker string.
LITERALS = {"@NaN": "NaN", "@Infinity": "Infinity", "@-Infinity": "-Infinity", "@1e400": "1e400",
            "@long": "1" + "0" * 5000, "@int128": str(2 ** 127)}


def encoded(body) -> bytes:
    text = json.dumps(body)
    for marker, literal in LITERALS.items():
        text = text.replace(json.dumps(marker), literal)
    return text.encode()


def out_of_range(schema: dict) -> list:
    """Values just outside the range the sandbox documents for a field of this schema."""
    if schema.get("type") == "integer":
        return [2 ** 31, -(2 ** 31) - 1]
    return [10 ** 12 + 1, 1e300, -1e300]


# --------------------------------------------------------------------------- the prepared state
@dataclass
class World:
    client: object
    values: dict                       # parameter name → a value that names something in the prepared state
    path_ids: dict                     # a path's segment before "{id}" (or its last) → the id it takes
    snapshot: dict = field(default_factory=dict)
    sent: int = 0                      # probes sent so far


@pytest.fixture(scope="module")
def world(settings):
    """A sandbox holding a cart with two lines, a coupon applied, promotions, an address selected, a price
    adjustment, a new coupon and promotion, a cart configuration and a share link; carts count as abandoned
    at once, so the abandoned-cart list shows the cart too."""
    from cartwright.sandbox import create_app
    from test_sandbox_offers_crud import coupon_body, promotion_body

    app = create_app(settings.replace(abandoned_after_minutes=0))
    catalog = app.sandbox.catalog
    with app.test_client(headers=AUTH) as c:
        first, second = articles(catalog, min_stock=3)[:2]
        cart = add(c, [(first, 2), (second, 1)], user_id=USER).json()["cart"]

        def created(r, status=(200, 201)):
            assert r.status_code in status, r.text
            return r.json()

        created(c.post(f"{BASE}/platform-pos-coupon?id={cart['id']}", json={"coupon_code": "WELCOME10"}))
        pin = next(p for p in catalog.pincodes if p.serviceable and p.cod)
        address = created(c.post(f"{BASE}/address", json={"user_id": USER, "area_code": pin.pincode, "name": "A",
                                                          "address": "1 MG Road", "city": pin.city}))["id"]
        created(c.post(f"{BASE}/select-address", json={"id": address, "cart_id": cart["id"]}))
        adjustment = created(c.post(f"{BASE}/price-adjustment", json={
            "cart_id": cart["id"], "type": "charge", "value": 40, "message": "wrap", "is_authenticated": True,
            "article_level_distribution": False, "collection": {"refund_by": "seller", "collected_by": "seller"},
            "article_ids": [{"article_id": first.article_id}]}))["data"][0]["id"]
        coupon = created(c.post(f"{BASE}/coupon", json=coupon_body("HOSTILE5")))["_id"]
        promotion = created(c.post(f"{BASE}/promotion", json=promotion_body("HOSTILE6")))["_id"]
        config = created(c.post(f"{BASE}/cart_configuration", json={"min_cart_value": 1, "enabled": True}))["_id"]
        token = created(c.post(f"{BASE}/share-cart", json={"id": cart["id"]}))["token"]
        values = {"company_id": COMPANY, "application_id": APPLICATION, "id": cart["id"], "cart_id": cart["id"],
                  "uid": cart["cart_id"], "user_id": USER, "area_code": pin.pincode, "b": "true",
                  "store_uid": first.store_uid, "slug": catalog.product(first.item_id).slug, "token": token,
                  "cart_meta_id": config, "address_id": address, "product": "VOUCHER", "action": "merge",
                  "payment_mode": "CARD", "code": "HOSTILE5"}
        world = World(c, values, {"coupon": coupon, "promotion": promotion, "address": address,
                                  "price-adjustment": adjustment, "select-address": address})
        world.snapshot = read_views(world)
        yield world


def url(world: World, path: str, op: dict, query: dict | None = None, override: dict | None = None,
        fill_query: bool = False, leave_out: frozenset = frozenset()) -> str:
    """The operation's URL with its path parameters from the prepared state (``override`` by name), the
    required query parameters (all known ones but ``leave_out`` with ``fill_query``) and ``query``."""
    override = override or {}
    out = path
    for p in parameters(path, op):
        if p["in"] != "path":
            continue
        before = path.split("{" + p["name"] + "}")[0].rstrip("/").rsplit("/", 1)[-1]
        value = override.get(p["name"], world.path_ids.get(before, world.values.get(p["name"])))
        out = out.replace("{" + p["name"] + "}", str(value))
    params = {p["name"]: world.values[p["name"]] for p in parameters(path, op)
              if p["in"] == "query" and p["name"] in world.values and p["name"] not in leave_out
              and (fill_query or p.get("required"))}
    params.update(query or {})
    return out + ("?" + urlencode(params) if params else "")


def read_views(world: World) -> dict:
    """Every GET operation of the spec over the prepared state, and the admin catalog (stock): status and bytes."""
    views = {}
    for op_id, (method, path, op) in OPERATIONS.items():
        if method == "get":
            r = world.client.get(url(world, path, op, fill_query=True))
            views[op_id] = (r.status_code, r.content)
    r = world.client.get("/_cartwright/catalog")
    views["catalog"] = (r.status_code, r.content)
    return views


# --------------------------------------------------------------------------- the probes
@dataclass(frozen=True)
class Probe:
    what: str
    method: str
    url: str
    content: bytes | None = None
    names: tuple = ()                  # words the error message must contain (the field, the parameter)
    statuses: tuple = (400,)


def probes(world: World, op_id: str) -> list[Probe]:
    method, path, op = OPERATIONS[op_id]
    here = url(world, path, op)
    out = []
    # Query and path parameters of the wrong type, out of range, or naming nothing.
    for p in parameters(path, op):
        schema = resolve(p.get("schema", {}))
        name, where = p["name"], p["in"]
        if where == "query" and schema.get("type") == "integer":
            for bad in ("seven", "1" + "0" * 40, "NaN", "1e3", str(2 ** 31)):
                out.append(Probe(f"{name}={bad[:12]}", method, url(world, path, op, {name: bad}), None, (name,)))
            if name == "page_size":
                maximum = world.client.app.sandbox.settings.max_page_size
                out.append(Probe(f"{name} over the maximum", method, url(world, path, op, {name: maximum + 1}),
                                 None, (name,)))
        if where == "query" and schema.get("type") == "boolean":
            out.append(Probe(f"{name}=maybe", method, url(world, path, op, {name: "maybe"}), None, (name,)))
        if where == "query" and (schema.get("enum") or schema.get("format") == "date-time"):
            out.append(Probe(f"{name}=yesterday", method, url(world, path, op, {name: "yesterday"}), None, (name,)))
        if name in ID_PARAMETERS or where == "path" and name not in ("company_id", "application_id", "action"):
            # Everything else names what exists, so the unknown one is the request's only problem.
            unknown = UNKNOWN_NUMBER if schema.get("type") == "integer" else UNKNOWN_ID
            others = frozenset().union(*(group - {name} for group in ALTERNATIVES if name in group))
            target = (url(world, path, op, override={name: unknown}, fill_query=True) if where == "path"
                      else url(world, path, op, {name: unknown}, fill_query=True, leave_out=others))
            body = None
            if body_schema(op):
                body = smallest(body_schema(op))
                about = world.path_ids.get(path.rstrip("/").rsplit("/", 1)[-1])
                if about and "id" in properties(body_schema(op)):
                    body["id"] = about
                body = encoded(body)
            out.append(Probe(f"unknown {name}", method, target, body, (str(unknown),), (400, 404)))
    schema = body_schema(op)
    if schema is None:
        return out
    # Bodies that are not JSON, not an object, too big or too deep.
    limit = world.client.app.sandbox.settings.max_body_bytes
    depth = world.client.app.sandbox.settings.max_json_depth
    nest = lambda n: {"nested": nest(n - 1)} if n else 1  # noqa: E731
    out += [Probe("malformed JSON", method, here, b'{"items": [1, 2'),
            Probe("not UTF-8", method, here, b'{"x": "\xff"}'),
            Probe("an array", method, here, b"[]"), Probe("a number", method, here, b"42"),
            Probe("a bare NaN", method, here, b"NaN", ("request body",)),
            Probe("over the size limit", method, here, b'{"pad": "' + b"x" * limit + b'"}', (), (413,)),
            Probe("a NaN at the end of a large body", method, here,
                  b'{"pad": [' + b"1, " * (limit // 4) + b'NaN]}', (f"pad[{limit // 4}]",)),
            Probe("deeper than the limit", method, here, encoded({**smallest(schema), "meta": nest(depth)}),
                  ("meta" + ".nested" * (depth - 1), "max_json_depth")),
            Probe("5,000 deep", method, here, b'{"meta": ' + b"[" * 5000 + b"]" * 5000 + b"}", ("max_json_depth",))]
    # Each typed top-level field with a value of the wrong type.
    wrong = {"string": 12345, "integer": "seven", "number": "seven", "boolean": "maybe", "object": "x", "array": "x"}
    for name, sub in properties(schema).items():
        if kind(sub) in wrong and "enum" not in resolve(sub):
            out.append(Probe(f"{name} of the wrong type", method, here,
                             encoded(with_value(schema, (name,), wrong[kind(sub)])), (name,)))
    # Each number field: not finite, beyond 64 bits, thousands of digits, outside its documented range.
    for path_, sub in numeric_fields(schema):
        for bad in ("@NaN", "@Infinity", "@-Infinity", "@1e400", "@long", "@int128", *out_of_range(sub)):
            out.append(Probe(f"{dotted(path_)} = {bad}", method, here, encoded(with_value(schema, path_, bad)),
                             (dotted(path_),)))
    return out


def check(world: World, probe: Probe):
    headers = {"Content-Type": "application/json"} if probe.content is not None else {}
    r = world.client.request(probe.method.upper(), probe.url, content=probe.content, headers=headers)
    world.sent += 1
    context = (probe.what, probe.url[:200], r.status_code, r.text[:300])
    assert r.status_code < 500, context
    assert r.status_code in probe.statuses, context
    body = r.json()
    if probe.url.startswith("/api/"):
        assert body["response_code"] != 0 and isinstance(body["response_message"], str), context
        message = body["response_message"]
    else:
        assert body["success"] is False and isinstance(body["error"], str), context
        message = body["message"]
    for word in probe.names:
        assert word in message, context


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_hostile_input_is_refused_naming_the_field(world, op_id):
    """Wrong types, unknown ids, malformed, huge and deep bodies, NaN/Infinity, huge and out-of-range numbers:
    each is a 4xx in the API's shape naming the field or parameter, never a 5xx."""
    for probe in probes(world, op_id):
        check(world, probe)


def test_read_views_are_unchanged_byte_for_byte(world):
    """After every hostile request, every read view of the prepared state answers what it answered before."""
    assert world.sent > 3000, "the probes ran first"
    assert all(status == 200 for status, _ in world.snapshot.values()), {
        k: v for k, v in world.snapshot.items() if v[0] != 200}
    assert USER.encode() in world.snapshot["getAbandonedCart"][1]
    after = read_views(world)
    changed = [k for k in world.snapshot if after[k] != world.snapshot[k]]
    assert not changed, changed


def test_probes_cover_every_operation_and_number_field():
    """The probes are read from the spec: every operation, and every number field of every body."""
    fields = sum(1 for _, _, _, op in operations() if body_schema(op) for _ in numeric_fields(body_schema(op)))
    assert len(OPERATIONS) == 59 and fields > 200
    assert ("items", 0, "quantity") in fields_of("platformAddItems")
    assert ("payment_methods", 0, "amount") in fields_of("selectPaymentModeV2")


def fields_of(op_id: str) -> set:
    return {path for path, _ in numeric_fields(body_schema(OPERATIONS[op_id][2]))}
