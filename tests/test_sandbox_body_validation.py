"""Request bodies: the jsonschema-rs fast yes never accepts what Connexion's Python validator refuses."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from cartwright.sandbox import Settings, create_app
from cartwright.sandbox.web.validation import BodyValidator, CompiledRequestValidationMiddleware

APP = create_app(Settings())
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
WITH_BODY = {op.definition.raw["operationId"]: op for op in (r.ok() for r in SCHEMA.get_all_operations())
             if op.definition.raw.get("requestBody")}


def _validation_operations() -> dict:
    """The app's request-validation operations by operationId (built when the app first serves)."""
    with APP.test_client() as c:
        c.get("/_cartwright/health")
    middleware = next(m for m in APP.middleware.middleware_stack if isinstance(m, CompiledRequestValidationMiddleware))
    return {op_id: op for apis in middleware.apis.values() for api in apis for op_id, op in api.operations.items()}


VALIDATION = _validation_operations()


def validator(operation) -> BodyValidator:
    """The body validator the sandbox uses for ``operation``: its schema exactly as Connexion hands it over."""
    return BodyValidator(VALIDATION[operation.definition.raw["operationId"]]._operation.body_schema("application/json"))


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


def test_validation_caches_belong_to_their_app():
    """Validators cache into classes of their app's own: the shared classes keep no app's spec objects."""
    from cartwright.sandbox.web.validation import CachedJSONBodyValidator, CachedParameterValidator

    app = create_app(Settings())
    with app.test_client() as c:
        answer = c.post("/service/platform/cart/v1.0/company/1/application/a/detail?b=true",
                        headers={"Authorization": "Bearer t"}, json={"items": [{"item_id": "x"}]})
    assert answer.status_code == 400 and "item_id" in answer.json()["message"]
    assert CachedParameterValidator._plans._entries == {}
    assert CachedJSONBodyValidator._validators._entries == {}


def test_bodies_in_several_messages_are_read_validated_and_replayed_whole():
    """A body sent in pieces is parsed whole, checked, and replayed as sent; one without a length is
    left to Connexion (which refuses it: in the app, BodyLimit gives every chunked body its length)."""
    import asyncio
    import json

    from connexion.exceptions import BadRequestProblem

    from cartwright.sandbox.web.dispatch import PARSED_BODY

    body_validator = VALIDATION["platformAddItems"]._body_validator("application/json", "utf-8")

    def run(payload: bytes, length: bool = True):
        pieces = [payload[:7], payload[7:20], payload[20:]]
        sent = [{"type": "http.request", "body": p, "more_body": i < 2} for i, p in enumerate(pieces)]
        headers = [(b"content-type", b"application/json")]
        if length:
            headers.append((b"content-length", str(len(payload)).encode()))
        scope = {"type": "http", "headers": headers}
        feed = iter(sent)

        async def receive():
            return next(feed)

        async def replay():
            receive2, scope2 = await body_validator.wrap_receive(receive, scope=scope)
            return [await receive2() for _ in sent], scope2

        replayed, scope2 = asyncio.run(replay())
        return replayed == sent, scope2["extensions"][PARSED_BODY]

    good = {"user_id": "pieces", "items": [{"item_id": 7, "item_size": "M", "quantity": 2}]}
    assert run(json.dumps(good).encode()) == (True, good)
    with pytest.raises(BadRequestProblem, match="item_id"):
        run(json.dumps({"items": [{"item_id": "seven"}]}).encode())
    with pytest.raises(BadRequestProblem):
        run(b'{"items": [')
    with pytest.raises(BadRequestProblem, match="RequestBody is required"):
        run(json.dumps(good).encode(), length=False)
