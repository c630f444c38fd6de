"""OpenAPI links: every link is well formed, and Schemathesis follows them through the sandbox."""
import copy
import json
import time

import hypothesis
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from conftest import FROZEN_NOW, ROOT, reset_state
from cartwright.sandbox import Settings, create_app

METHODS = ("get", "put", "post", "delete", "patch")


def operations(openapi):
    return {op["operationId"]: op for item in openapi["paths"].values()
            for method, op in item.items() if method in METHODS}


def links(openapi):
    for source, op in operations(openapi).items():
        for status, response in op["responses"].items():
            for name, link in response.get("links", {}).items():
                yield source, status, name, link


def resolve(openapi, schema):
    while "$ref" in schema or ("allOf" in schema and len(schema["allOf"]) == 1):
        if "$ref" in schema:
            schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        else:
            schema = schema["allOf"][0]
    return schema


def walk_pointer(openapi, schema, pointer):
    """The schema a JSON pointer (``/cart/id``, ``/data/0/id``) reaches, or an AssertionError."""
    for token in pointer.lstrip("/").split("/"):
        schema = resolve(openapi, schema)
        if schema.get("type") == "array":
            assert token.isdigit(), (pointer, token)
            schema = schema["items"]
        else:
            assert token in schema.get("properties", {}), (pointer, token)
            schema = schema["properties"][token]
    return resolve(openapi, schema)


def expressions(link):
    yield from link.get("parameters", {}).values()
    yield from link.get("requestBody", {}).values()


def test_links_exist_and_are_counted(openapi):
    """The spec carries links from the cart, coupon, promotion, adjustment, address and share operations."""
    sources = {source for source, *_ in links(openapi)}
    assert sources == {"platformAddItems", "deleteCart", "createCoupon", "deleteCoupon", "getPromotions",
                       "deletePromotion", "addPriceAdjustment", "removePriceAdjustment", "addAddress",
                       "removeAddress", "getCartShareLink"}
    assert all(link["x-captured"] == "inferred" for *_, link in links(openapi))


def test_every_link_targets_an_existing_operation_parameter_and_body_field(openapi):
    """operationId exists; every ``in.name`` it sets is a parameter of the target; body fields are its body's."""
    ops = operations(openapi)
    for source, status, name, link in links(openapi):
        assert status.startswith("2"), (source, status)
        target = ops[link["operationId"]]
        assert name == link["operationId"]
        params = {(p["in"], p["name"]) for p in target.get("parameters", [])}
        for key in link.get("parameters", {}):
            where, _, pname = key.partition(".")
            assert (where, pname) in params, (source, name, key)
        if "requestBody" in link:
            body = resolve(openapi, target["requestBody"]["content"]["application/json"]["schema"])
            assert set(link["requestBody"]) <= set(body["properties"]), (source, name)


def test_every_link_expression_resolves_in_the_source(openapi):
    """``$response.body#/...`` walks the source response schema (through $refs) to a string;
    ``$request.<in>.<name>`` names a parameter of the source operation."""
    ops = operations(openapi)
    for source, status, name, link in links(openapi):
        op = ops[source]
        for expression in expressions(link):
            if expression.startswith("$response.body#"):
                schema = op["responses"][status]["content"]["application/json"]["schema"]
                leaf = walk_pointer(openapi, schema, expression.removeprefix("$response.body#"))
                assert leaf.get("type") == "string", (source, name, expression, leaf)
            else:
                assert expression.startswith("$request."), expression
                where, pname = expression.removeprefix("$request.").split(".", 1)
                assert (where, pname) in {(p["in"], p["name"]) for p in op.get("parameters", [])}, expression


# --------------------------------------------------------------------------- stateful run
AUTH = {"Authorization": "Bearer x"}
APP = create_app(Settings(validate_responses=True, frozen_time=FROZEN_NOW))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance,
          use_after_free]

# Operations whose 2xx answer removes a resource, and where that resource's id is then read.
REMOVES = {"deleteCart": ("cart", "query", "id"), "deleteCoupon": ("coupon", "path", "id"),
           "deletePromotion": ("promotion", "path", "id"), "removeAddress": ("address", "path", "id"),
           "removePriceAdjustment": ("adjustment", "path", "id")}
READS = {"getCart": ("cart", "query", "id"), "getItemCount": ("cart", "query", "id"),
         "getCouponById": ("coupon", "path", "id"), "updateCoupon": ("coupon", "path", "id"),
         "getPromotionById": ("promotion", "path", "id"), "updatePromotion": ("promotion", "path", "id"),
         "getAddressById": ("address", "path", "id"), "updateAddress": ("address", "path", "id"),
         "updatePriceAdjustment": ("adjustment", "path", "id")}


# Realistic data for the operations that start chains (the Schemathesis guide's "inject realistic test
# data"): random item ids, PIN codes and coupon documents almost never create anything, so most
# first steps would end the chain. Linked steps keep the values the links give them.
ARTICLE = next(a for a in APP.sandbox.catalog.articles if a.stock >= 5)
COUPON = {k: v for k, v in json.loads((ROOT / "fixtures" / "offers.json").read_text())["coupons"][0].items()
          if k != "_id"}


def seed(case, number):
    op = case.operation.definition.raw["operationId"]
    if op == "platformAddItems":
        case.body = {"user_id": f"user-{number % 3}", "items": [
            {"item_id": ARTICLE.item_id, "item_size": ARTICLE.size, "quantity": 1 + number % 2}]}
    elif op == "addAddress":
        case.body = {"user_id": f"user-{number % 3}", "area_code": "560034", "name": "Asha"}
    elif op == "createCoupon":
        case.body = {**copy.deepcopy(COUPON), "code": f"LINKED{number}",
                     "_schedule": {**COUPON["_schedule"], "status": "draft"}}


def within_bounds(value):
    """``value`` with its numbers moved inside the bounds the sandbox takes (spec/sandbox-behaviour.md,
    "Numbers and limits of input"; the spec states none, so positive data may lie beyond them, and a request
    refused for it never reaches the resource it names)."""
    if isinstance(value, dict):
        return {k: within_bounds(v) for k, v in value.items()}
    if isinstance(value, list):
        return [within_bounds(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return max(min(value, 2 ** 31 - 1), -(2 ** 31))
    if isinstance(value, float):
        return max(min(value, 1e12), -1e12)
    return value


def keep_in_bounds(case):
    if case.body is not None:
        case.body = within_bounds(case.body)
    if case.query:
        case.query = within_bounds(case.query)
        if isinstance(case.query.get("page_size"), int):
            case.query["page_size"] = min(case.query["page_size"], APP.sandbox.settings.max_page_size)


def linked_operations(openapi):
    ids = set()
    for source, _, name, link in links(openapi):
        ids |= {source, link["operationId"]}
    return sorted(ids)


def _param(case, where, name):
    return (case.path_parameters if where == "path" else case.query or {}).get(name)


def test_stateful_run_follows_links_and_every_answer_conforms(openapi):
    """Schemathesis chains calls through the links against a clean sandbox: no 5xx, documented statuses,
    bodies and content types, and a removed resource (cart, coupon, promotion, address, adjustment) is gone."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", APP).include(operation_id=linked_operations(openapi))
    # Only the links the spec declares: no links inferred by Schemathesis's dependency analysis.
    schema.config.phases.stateful.inference.algorithms = []
    # Valid requests with the test's token: the point is the chains, not negative inputs or auth.
    schema.config.generation.update(modes=[GenerationMode.POSITIVE], with_security_parameters=False)
    stats = {"steps": 0, "linked": 0, "applied": 0, "transitions": set(), "gone_checked": 0}

    class Workflow(schema.as_state_machine()):
        def setup(self):
            reset_state(APP)
            self.removed = set()
            self.number = 0

        def get_call_kwargs(self, case):
            return {"headers": AUTH}

        def step(self, input):
            stats["steps"] += 1
            self.number += 1
            if input.transition is None and self.number % 4:  # a quarter keep their generated data
                seed(input.case, self.number)
            keep_in_bounds(input.case)
            if input.transition is not None:
                stats["linked"] += 1
                if input.applied_parameters:
                    stats["applied"] += 1
                    stats["transitions"].add(input.transition.id)
            output = super().step(input)
            case, response = output.case, output.response
            op = case.operation.definition.raw["operationId"]
            if op in READS:
                kind, where, name = READS[op]
                if (kind, _param(case, where, name)) in self.removed:
                    stats["gone_checked"] += 1
                    assert response.status_code == 404, (op, "answered", response.status_code, "after removal")
            if op in REMOVES and 200 <= response.status_code < 300:
                kind, where, name = REMOVES[op]
                self.removed.add((kind, _param(case, where, name)))
            return output

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None, recorder=self.recorder)

    started = time.monotonic()
    Workflow.run(settings=hypothesis.settings(
        max_examples=150, stateful_step_count=10, deadline=None, derandomize=True, database=None,
        suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.generate]))
    elapsed = time.monotonic() - started
    print(f"\nstateful: {stats['steps']} steps, {stats['linked']} through links "
          f"({stats['applied']} with linked values; {len(stats['transitions'])} distinct links), "
          f"{stats['gone_checked']} reads after removal, {elapsed:.1f}s")
    assert stats["applied"] >= 50
    assert len(stats["transitions"]) >= 15
    assert stats["gone_checked"] >= 1
