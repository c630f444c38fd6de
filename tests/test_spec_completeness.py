"""The spec holds every operation, parameter, field and status code the reference text documents.

The text is re-read here and compared with the committed spec, walking the spec's
schemas depth first (the order in which the text flattens them), so a field that
is missing, extra, mistyped or under another parent shows up as a difference.
"""
import copy

import pytest

REF = "#/components/schemas/"


def _resolve(prop):
    """(type, items, ref) of a spec property, the way the text renders it."""
    if "$ref" in prop:
        return "object", None, prop["$ref"].removeprefix(REF)
    if "allOf" in prop:
        return "object", None, prop["allOf"][0]["$ref"].removeprefix(REF)
    if prop.get("type") == "array":
        items = prop["items"]
        if "$ref" in items:
            return "array", "object", items["$ref"].removeprefix(REF)
        return "array", items["type"], None
    return prop["type"], None, None


def flatten(schema, components, depth=0):
    """Depth-first (name, property, required, (type, items, ref)) rows of an object schema."""
    assert depth < 20, "schema nesting does not end"
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        kind, items, ref = _resolve(prop)
        yield name, prop, name in required, (kind, items, ref)
        if ref:
            yield from flatten(components[ref], components, depth + 1)


def compare_body(where, fields, schema, components, problems):
    rows = list(flatten(schema, components))
    if len(rows) != len(fields):
        problems.append(f"{where}: text has {len(fields)} fields, spec {len(rows)}")
    for field, (name, prop, required, (kind, items, ref)) in zip(fields, rows):
        at = f"{where}: line {field.line} {field.name}"
        if (field.name, field.type, field.items, field.ref) != (name, kind, items, ref):
            problems.append(f"{at}: spec has {name} {kind} {items} {ref} here")
            break  # everything after a misplaced field is shifted
        if field.format != prop.get("format"):
            problems.append(f"{at}: format {field.format} vs {prop.get('format')}")
        if field.nullable != prop.get("nullable", False):
            problems.append(f"{at}: nullable differs")
        if field.required and not required:
            problems.append(f"{at}: required in the text, not in the spec")
        if field.description and field.description != prop.get("description") and not ref:
            problems.append(f"{at}: description differs")
        if field.min_length is not None and prop.get("minLength") != field.min_length:
            problems.append(f"{at}: minLength differs")
        if field.default is not None and "default" not in prop and "x-documented-default" not in prop:
            problems.append(f"{at}: default {field.default!r} missing")


def body_schema(content, components):
    schema = content["application/json"]["schema"]
    if "$ref" in schema:
        return schema["$ref"].removeprefix(REF), components[schema["$ref"].removeprefix(REF)]
    return None, schema


@pytest.fixture(scope="module")
def report(fynd_ops, openapi):
    components = openapi["components"]["schemas"]
    problems, counts = [], {"operations": 0, "parameters": 0, "fields": 0, "statuses": 0}
    for op in fynd_ops:
        item = openapi["paths"].get(op.path, {})
        spec_op = item.get(op.method)
        if spec_op is None:
            problems.append(f"missing operation {op.method.upper()} {op.path}")
            continue
        counts["operations"] += 1
        if not op.documented:
            continue
        where = spec_op["operationId"]
        if spec_op["summary"] != op.summary:
            problems.append(f"{where}: summary differs")
        params = {p["name"]: p for p in spec_op.get("parameters", [])}
        for p in op.parameters:
            counts["parameters"] += 1
            sp = params.get(p.name)
            location = "path" if "{" + p.name + "}" in op.path else "query"
            if sp is None or sp["in"] != location:
                problems.append(f"{where}: parameter {p.name} missing or not in {location}")
                continue
            if (p.type, p.format) != (sp["schema"]["type"], sp["schema"].get("format")):
                problems.append(f"{where}: parameter {p.name} type differs")
            if (p.required or location == "path") != sp.get("required", False):
                problems.append(f"{where}: parameter {p.name} required-ness differs")
            if p.default is not None and "default" not in sp["schema"]:
                problems.append(f"{where}: parameter {p.name} default missing")
        if len(params) != len(op.parameters):
            problems.append(f"{where}: spec has parameters the text does not")
        for code in op.statuses:
            counts["statuses"] += 1
            if code not in spec_op["responses"]:
                problems.append(f"{where}: status {code} missing")
        if op.request:
            counts["fields"] += len(op.request.fields)
            _, schema = body_schema(spec_op["requestBody"]["content"], components)
            compare_body(f"{where} request", op.request.fields, schema, components, problems)
        if op.response:
            counts["fields"] += len(op.response.fields)
            name, schema = body_schema(spec_op["responses"][op.statuses[0]]["content"], components)
            if op.response.name != "Properties" and name != op.response.name:
                problems.append(f"{where}: response schema is {name}, the text names {op.response.name}")
            compare_body(f"{where} response", op.response.fields, schema, components, problems)
    counts["schemas"] = len(components)
    return counts, problems


def test_nothing_documented_is_missing_or_misplaced(report):
    """Every documented operation, parameter, field and status code is in the spec, under its documented parent."""
    counts, problems = report
    print("\ncaptured:", ", ".join(f"{v} {k}" for k, v in counts.items()), f"; missing or misplaced: {len(problems)}")
    assert problems == []


def test_counts_match_the_text(report):
    """58 Fynd operations from the tables of contents; the text's parameters and body fields are all counted."""
    counts, _ = report
    assert counts["operations"] == 58
    assert counts["parameters"] > 200
    assert counts["fields"] > 5000


def test_every_named_schema_is_settled(capture, fynd_ops, decisions):
    """No named schema's extent is left to chance: each is fixed by divergence, by being a body root, or by a decision."""
    extents = capture.resolve_extents([op for op in fynd_ops if op.documented], decisions["nesting"])
    assert [n for n, e in extents.items() if e.how == "undecided"] == []


def test_every_decision_matches_the_text(capture, fynd_ops, decisions):
    """Every decided field list is what the text shows after each occurrence (a typo would raise)."""
    extents = capture.resolve_extents([op for op in fynd_ops if op.documented], decisions["nesting"])
    assert set(decisions["nesting"]) <= set(extents)


def required_but_absent(node, where="#"):
    """``where: name`` for every schema under ``node`` whose ``required`` names a field it has no property for
    (a client cannot know to send it, and the sandbox would refuse every request without it)."""
    found = []
    if isinstance(node, dict):
        required = node.get("required")
        if isinstance(required, list):
            found += [f"{where}: {name}" for name in required if name not in node.get("properties", {})]
        for key, value in node.items():
            found += required_but_absent(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += required_but_absent(value, f"{where}/{i}")
    return found


def test_every_required_name_is_a_property(openapi):
    """No schema of the spec (components or inline) requires a name that is not among its properties."""
    assert required_but_absent(openapi) == []


def test_a_required_name_without_its_property_is_refused(openapi):
    """The check above can fail: a schema requiring a field it lost is named, with the field."""
    broken = copy.deepcopy(openapi)
    del broken["components"]["schemas"]["CheckoutCartRequest"]["properties"]["coupon_code"]
    assert required_but_absent(broken) == ["#/components/schemas/CheckoutCartRequest: coupon_code"]
