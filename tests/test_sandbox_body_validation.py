"""Request bodies: the jsonschema-rs fast yes never accepts what Connexion's Python validator refuses."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from cartwright.sandbox import Settings, create_app
from cartwright.sandbox.web.compiled import CompiledOperation, CompiledOperations
from cartwright.sandbox.web.validation import BodyValidator

APP = create_app(Settings())
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
WITH_BODY = {op.definition.raw["operationId"]: op for op in (r.ok() for r in SCHEMA.get_all_operations())
             if op.definition.raw.get("requestBody")}


def _compiled_operations() -> dict[str, CompiledOperation]:
    """The app's compiled operations by operationId (built when the app first serves)."""
    with APP.test_client() as c:
        c.get("/_cartwright/health")
    middleware = next(m for m in APP.middleware.middleware_stack if isinstance(m, CompiledOperations))
    return {op_id: op for apis in middleware.apis.values() for api in apis for op_id, op in api.operations.items()}


VALIDATION = _compiled_operations()


def validator(operation) -> BodyValidator:
    """The body validator the sandbox uses for ``operation``: its schema exactly as Connexion hands it over."""
    return BodyValidator(VALIDATION[operation.definition.raw["operationId"]].operation.body_schema("application/json"))


@pytest.mark.parametrize("operation_id", sorted(WITH_BODY))
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=st.data())
def test_fast_validation_agrees_with_connexion(operation_id, data):
    """Generated bodies, valid and invalid: the fast validator's verdict is the Python validator's."""
    operation = WITH_BODY[operation_id]
    mode = data.draw(st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]))
    case = data.draw(operation.as_strategy(generation_mode=mode))
    v = validator(operation)
    assert v.is_valid(case.body) == v.python.is_valid(case.body), case.body


def test_fast_validation_is_used_for_add_to_cart_and_keeps_integer_widths():
    """Add-to-cart bodies take the fast path; an int32 field over its range is still refused, by name."""
    v = validator(WITH_BODY["platformAddItems"])
    assert v.rust is not None
    assert v.is_valid({"items": [{"item_id": 2 ** 31 - 1, "item_size": "M"}]})
    assert not v.is_valid({"items": [{"item_id": 2 ** 31, "item_size": "M"}]})
    assert not v.is_valid({"items": [{"item_id": 10 ** 30}]})
    with pytest.raises(Exception, match="item_id|2147483648"):
        v.validate({"items": [{"item_id": 2 ** 31}]})


def test_schemas_with_date_times_are_left_to_the_python_validator():
    """jsonschema-rs accepts date-times the Python check refuses (leap seconds): such schemas skip it."""
    v = validator(WITH_BODY["createCoupon"])
    assert v.rust is None
    leap = BodyValidator({"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}})
    assert leap.rust is None and not leap.is_valid({"at": "2016-12-31T23:59:60Z"})


def test_nullable_fields_fall_back_to_connexion_rules():
    """A null in a ``nullable`` field (which jsonschema-rs refuses) is accepted, as Connexion does."""
    v = BodyValidator({"type": "object", "properties": {"note": {"type": "string", "nullable": True}}})
    assert v.rust is not None and not v.rust.is_valid({"note": None})
    assert v.is_valid({"note": None}) and not v.is_valid({"note": 3})


def test_bodies_in_several_messages_are_read_whole_and_validated():
    """A body sent in pieces is parsed whole and checked; one without a length takes Connexion's check
    (which refuses it: in the app, BodyLimit gives every chunked body its length)."""
    import asyncio
    import json

    from connexion.exceptions import BadRequestProblem

    operation = VALIDATION["platformAddItems"]
    body_validator = operation.body_validator("application/json", "utf-8")

    def run(payload: bytes, length: bool = True):
        pieces = [payload[:7], payload[7:20], payload[20:]]
        sent = [{"type": "http.request", "body": p, "more_body": i < 2} for i, p in enumerate(pieces)]
        headers = [(b"content-type", b"application/json")]
        if length:
            headers.append((b"content-length", str(len(payload)).encode()))
        feed = iter(sent)

        async def receive():
            return next(feed)

        return asyncio.run(operation.json_body(body_validator, {"type": "http", "headers": headers}, receive))

    good = {"user_id": "pieces", "items": [{"item_id": 7, "item_size": "M", "quantity": 2}]}
    assert run(json.dumps(good).encode()) == good
    with pytest.raises(BadRequestProblem, match="item_id"):
        run(json.dumps({"items": [{"item_id": "seven"}]}).encode())
    with pytest.raises(BadRequestProblem):
        run(b'{"items": [')
    with pytest.raises(BadRequestProblem, match="RequestBody is required"):
        run(json.dumps(good).encode(), length=False)
