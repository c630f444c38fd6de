"""The spec's examples: every operation's requests and answers, recorded from a sandbox walking one journey."""
import copy

import pytest

from conftest import AUTH

METHODS = ("get", "put", "post", "delete", "patch")
NEEDS_IDS = "Needs ids your sandbox gave"


@pytest.fixture(scope="session")
def spec_examples(capture):
    return capture.load_examples()


def operations(openapi):
    for path, item in openapi["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def body_examples(op) -> dict:
    return op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("examples", {})


def response_examples(op) -> dict:
    """name -> (status, example) of the operation's response examples."""
    return {name: (int(status), example) for status, response in op["responses"].items()
            for name, example in response.get("content", {}).get("application/json", {}).get("examples", {}).items()}


def test_every_operation_has_request_and_response_examples(openapi):
    """All 59 operations have 2xx answer examples; one taking a body has a body example of each name; every
    parameter example names one of them; company_id and application_id have example values; each example says
    what it does."""
    ops = list(operations(openapi))
    assert len(ops) == 59
    for path, _, op in ops:
        answers = response_examples(op)
        assert answers and all(200 <= status < 300 for status, _ in answers.values()), op["operationId"]
        assert all(example["summary"] for _, example in answers.values())
        if "requestBody" in op:
            assert set(body_examples(op)) == set(answers), op["operationId"]
        for parameter in op.get("parameters", []):
            assert set(parameter.get("examples", {})) <= set(answers), (op["operationId"], parameter["name"])
            if parameter["name"] in ("company_id", "application_id"):
                assert parameter["example"] == {"company_id": "1", "application_id": "demo"}[parameter["name"]]


def test_request_examples_answer_2xx_in_journey_order_as_recorded(openapi, spec_examples):
    """Every request example, sent to a fresh sandbox in the journey's order, answers 2xx with exactly the
    recorded answer example; none is left unsent."""
    spec = copy.deepcopy(openapi)
    recorded = {(op["operationId"], name): (status, example["value"])
                for _, _, op in operations(openapi) for name, (status, example) in response_examples(op).items()}
    sent = []
    for call, status, answer in spec_examples.replay(spec):
        assert 200 <= status < 300
        assert (status, answer) == recorded[(call.operation_id, call.name)], (call.operation_id, call.name)
        sent.append((call.operation_id, call.name))
    assert sorted(sent) == sorted(recorded)
    assert spec == openapi  # replaying writes nothing into the spec


def test_examples_validate_against_their_schemas(openapi):
    """Every answer example validates against its response's schema, every body example against the request
    body's and every parameter example against its parameter's (OpenAPI 3.0, `nullable` included)."""
    import referencing
    from openapi_schema_validator import OAS30Validator
    from referencing.jsonschema import DRAFT4

    registry = referencing.Registry().with_resource("urn:spec", DRAFT4.create_resource(openapi))

    def check(schema, value, where):
        schema = {"$ref": "urn:spec" + schema["$ref"]} if "$ref" in schema else schema
        errors = [e.message for e in OAS30Validator(schema, registry=registry).iter_errors(value)]
        assert not errors, (where, errors[:3])

    checked = 0
    for _, _, op in operations(openapi):
        name = op["operationId"]
        for status, response in op["responses"].items():
            media = response.get("content", {}).get("application/json", {})
            for example_name, example in media.get("examples", {}).items():
                check(media["schema"], example["value"], f"{name} {status} {example_name}")
                checked += 1
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
        for example_name, example in body.get("examples", {}).items():
            check(body["schema"], example["value"], f"{name} body {example_name}")
            checked += 1
        for parameter in op.get("parameters", []):
            for example_name, example in parameter.get("examples", {}).items():
                check(parameter["schema"], example["value"], f"{name} {parameter['name']} {example_name}")
                checked += 1
            if "example" in parameter:
                check(parameter["schema"], parameter["example"], f"{name} {parameter['name']}")
    assert checked > 150  # 65 answers, 34 bodies, 68 parameter values


def test_a_wrong_example_fails_validation(openapi):
    """The validation above catches an answer example that breaks its schema (a count given as text)."""
    import referencing
    from openapi_schema_validator import OAS30Validator
    from referencing.jsonschema import DRAFT4

    registry = referencing.Registry().with_resource("urn:spec", DRAFT4.create_resource(openapi))
    media = openapi["paths"]["/service/platform/cart/v1.0/company/{company_id}/application/{application_id}/basic"][
        "get"]["responses"]["200"]["content"]["application/json"]
    validator = OAS30Validator({"$ref": "urn:spec" + media["schema"]["$ref"]}, registry=registry)
    assert validator.is_valid(media["examples"]["count"]["value"])
    assert not validator.is_valid({"user_cart_items_count": "4"})


def first_example(op) -> str:
    """The example Swagger UI fills in first: the body's first, else the first parameter example's name."""
    names = list(body_examples(op)) or [n for p in op.get("parameters", []) for n in p.get("examples", {})]
    return names[0] if names else next(iter(response_examples(op)))


def test_examples_work_in_try_it_out_on_a_fresh_sandbox(openapi, spec_examples):
    """On a fresh `make serve` sandbox (wall clock, unseeded ids), each operation's first example answers 2xx,
    sent top to bottom as Swagger UI lists them, unless its summary says it needs ids an earlier call gave (a
    cart's, a coupon's...); reading and adding to a cart name it by user_id, and need none."""
    from cartwright.sandbox import Settings, create_app

    worked, need_ids = [], []
    with create_app(Settings(validate_responses=True)).test_client(headers=AUTH) as client:
        for _, _, op in operations(openapi):
            name = first_example(op)
            summary = response_examples(op)[name][1]["summary"]
            if NEEDS_IDS in summary:
                need_ids.append(op["operationId"])
                continue
            method, path, query, body = spec_examples.request_of(openapi, op["operationId"], name)
            r = client.request(method, path, params=query, json=body)
            assert 200 <= r.status_code < 300, (op["operationId"], name, r.status_code, r.text[:300])
            worked.append(op["operationId"])
    assert {"getCart", "platformAddItems", "getAddresses", "addAddress", "createCoupon", "getCoupons",
            "fetchAndValidateCartItems", "checkoutCart", "addVoucherToCart"} <= set(worked)
    assert {"getItemCount", "platformUpdateCart", "getCouponById", "platformCheckoutCartV2"} <= set(need_ids)
    assert spec_examples.request_of(openapi, "getCart", first_example(
        openapi["paths"]["/service/platform/cart/v1.0/company/{company_id}/application/{application_id}/detail"][
            "get"]))[2] == {"user_id": "u1", "b": "true"}


def test_an_id_only_an_earlier_call_gave_is_said_in_the_summary(openapi):
    """An example naming a cart by id says which id it needs and where an answer gives it, in its summary and on
    the parameter."""
    op = openapi["paths"]["/service/platform/cart/v1.0/company/{company_id}/application/{application_id}/basic"][
        "get"]
    [example] = response_examples(op).values()
    assert example[1]["summary"].endswith(
        "Needs ids your sandbox gave: `id` is a cart's id, from `cart.id` in add-to-cart's answer")
    [parameter] = [p for p in op["parameters"] if p["name"] == "id"]
    assert parameter["examples"]["count"]["summary"] == "A cart's id, from `cart.id` in add-to-cart's answer"


def test_the_kit_examples_phase_sends_the_spec_examples():
    """`cartwright conform --phases examples` runs the spec's examples (it had none to run): add-to-cart, a code
    check and EnKash's documented request answer 2xx in the kit's own application."""
    from cartwright.conformance import run_conformance

    ops = ["platformAddItems", "getCouponCodeExists", "addVoucherToCart"]
    run = run_conformance(phases="examples", operation_ids=ops, seed=1, mode="positive")
    assert run.ok and not run.not_run, (run.errors, run.not_run)
    for res in run.operations:
        assert res.cases and res.successes, (res.operation_id, res.statuses)


def test_an_examples_only_run_says_why_id_examples_found_nothing():
    """An examples-only run fails an operation whose examples name a cart made elsewhere (its 404s tested no
    success path), saying which phases would make one."""
    from cartwright.conformance import run_conformance

    run = run_conformance(phases="examples", operation_ids=["getItemCount"], seed=1, mode="positive")
    [res] = run.operations
    assert not run.ok and res.cases and not res.successes
    [finding] = res.findings
    assert finding.check == "no_success" and "add the stateful or flows phase" in finding.message
