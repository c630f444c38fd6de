"""The compiled per-operation path (sandbox/web/compiled.py, validation.py) answers exactly as Connexion's own."""
import schemathesis
from conftest import AUTH, BASE, FROZEN_NOW
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from cartwright.conformance._engine import steer_add_to_cart
from cartwright.conformance._flows import catalog_items
from cartwright.sandbox import Settings, create_app

SETTINGS = Settings(validate_responses=True, frozen_time=FROZEN_NOW, id_seed=0)
COMPILED = create_app(SETTINGS)
CONNEXION = create_app(SETTINGS, compiled=False)
# Examples and fuzzing, valid and invalid input (the coverage phase would take minutes here).
CONFIG = SchemathesisConfig.from_dict({
    "generation": {"mode": "all", "database": "none"},
    "phases": {"coverage": {"enabled": False}, "examples": {"enabled": True}, "fuzzing": {"enabled": True}}})
schema = schemathesis.openapi.from_asgi("/openapi.json", COMPILED, config=CONFIG)
steer_add_to_cart(schema, catalog_items(COMPILED.test_client()))  # adds succeed; later carts have lines
clients = {name: app.test_client(headers=AUTH) for name, app in (("compiled", COMPILED), ("connexion", CONNEXION))}


def answer(name, case):
    kwargs = {k: v for k, v in case.as_transport_kwargs(base_url="http://testserver").items() if v or k != "cookies"}
    r = clients[name].request(**kwargs)
    return r.status_code, r.headers.raw, r.content


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_compiled_path_answers_byte_for_byte_as_connexion(case):
    """Every operation, valid or invalid input: same status, headers and body from both paths, in step."""
    compiled, connexion = answer("compiled", case), answer("connexion", case)
    assert compiled == connexion, case.as_curl_command()


def test_compiled_path_is_in_use():
    """Every operation of both APIs is answered by a compiled operation with an argument plan, not Connexion's."""
    from cartwright.sandbox.web.compiled import CompiledOperation, CompiledOperations

    with COMPILED.test_client() as c:   # the middleware stack is built on the first request
        c.get("/_cartwright/health")
    compiled = next(m for m in COMPILED.middleware.middleware_stack if isinstance(m, CompiledOperations))
    operations = [op for apis in compiled.apis.values() for api in apis for op in api.operations.values()]
    assert len(operations) > 58 and all(type(op) is CompiledOperation and op.plan for op in operations)


def test_json_body_without_content_type_is_read_as_json():
    """A POST whose JSON body has no Content-Type is validated and handled as JSON (Connexion's path: 500)."""
    app = create_app(SETTINGS)
    article = max(app.sandbox.catalog.articles, key=lambda a: a.stock)
    body = f'{{"user_id": "u", "items": [{{"item_id": {article.item_id}, "item_size": "{article.size}"}}]}}'
    with app.test_client(headers=AUTH) as c:
        r = c.post(f"{BASE}/detail", content=body.encode())
        assert r.status_code == 200, r.text
        assert [i["product"]["uid"] for i in r.json()["cart"]["items"]] == [article.item_id]
        bad = c.post(f"{BASE}/detail", content=b'{"items": "not a list"}')
    assert bad.status_code == 400 and "items" in bad.json()["message"]


def test_requests_leave_no_cyclic_garbage():
    """Reading and adding to carts leaves nothing for the cycle collector (its pauses were the p99 spikes)."""
    import asyncio
    import gc
    import json

    app = create_app(SETTINGS)
    article = max(app.sandbox.catalog.articles, key=lambda a: a.stock)

    async def call(method, query, body=b""):
        headers = [(b"host", b"testserver"), (b"authorization", b"Bearer t"), (b"content-type", b"application/json"),
                   (b"content-length", str(len(body)).encode())]
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": f"{BASE}/detail", "raw_path": f"{BASE}/detail".encode(),
                 "query_string": query, "root_path": "", "headers": headers, "server": ("testserver", 80),
                 "client": ("127.0.0.1", 1)}
        sent = []

        async def receive():
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)
        return sent[0]["status"]

    async def requests(n):
        statuses = []
        for i in range(n):
            add = {"user_id": f"u{i}", "items": [{"item_id": article.item_id, "item_size": article.size}]}
            statuses.append(await call("POST", b"b=true", json.dumps(add).encode()))
            statuses.append(await call("GET", f"user_id=u{i}&b=true".encode()))
            statuses.append(await call("GET", b"id=no-such-cart"))
        return statuses

    async def run():
        await requests(5)  # first calls build caches
        gc.collect()
        statuses = await requests(50)
        return statuses, gc.collect()

    statuses, unreachable = asyncio.run(run())
    assert set(statuses) == {200, 404} and unreachable == 0


def test_routing_answers_as_starlette_and_again_from_memory():
    """Known, unknown, wrong-method, trailing-slash and UI paths route as Starlette routes them, twice over."""
    probes = [("GET", f"{BASE}/detail?user_id=r"), ("PATCH", f"{BASE}/detail"), ("GET", f"{BASE}/detail/"),
              ("GET", f"{BASE}/nowhere"), ("GET", "/nowhere"), ("GET", "/openapi.json"), ("GET", "/ui/"),
              ("GET", "/ui"), ("GET", "/_cartwright/health"), ("GET", "/_cartwright/health/"),
              ("DELETE", "/_cartwright/health"), ("GET", f"{BASE}/basic?id=nope"), ("GET", f"{BASE}/basic/")]
    with create_app(SETTINGS).test_client(headers=AUTH, follow_redirects=False) as compiled, \
            create_app(SETTINGS, compiled=False).test_client(headers=AUTH, follow_redirects=False) as connexion:
        for _ in range(2):
            for method, path in probes:
                a, b = compiled.request(method, path), connexion.request(method, path)
                assert (a.status_code, a.headers.get("location"), a.content) == \
                       (b.status_code, b.headers.get("location"), b.content), (method, path)


def test_answers_the_fast_path_does_not_write_take_connexions_way():
    """Headers, non-JSON bodies and Connexion responses from a handler come out as Connexion sends them."""
    from connexion.lifecycle import ConnexionResponse
    from connexion.resolver import Resolver

    from cartwright.sandbox.web.app import SandboxApp

    answers = {
        "withHeaders": lambda: ({"a": 1}, 201, {"X-Seen": "yes"}),
        "connexionResponse": lambda: ConnexionResponse(status_code=202, body=b"raw", content_type="text/plain"),
        "bareList": lambda: [1, 2],
    }

    def handler(name):
        async def answer(**_):
            return answers[name]()
        return answer

    def operation(name):
        content = {"application/json": {"schema": {}}}
        if name == "connexionResponse":
            content["text/plain"] = {"schema": {}}
        return {"get": {"operationId": name, "responses": {"200": {"description": "ok", "content": content}}}}

    spec = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {f"/{name}": operation(name) for name in answers}}
    got = {}
    for compiled in (True, False):
        app = SandboxApp(__name__, compiled=compiled)
        app.add_api(spec, resolver=Resolver(function_resolver=handler))
        with app.test_client() as c:
            got[compiled] = [(r.status_code, r.headers.get("x-seen"), r.headers["content-type"], r.content)
                             for r in (c.get(f"/{name}") for name in answers)]
    assert got[True] == got[False]
    assert [g[:2] for g in got[True]] == [(201, "yes"), (202, None), (200, None)]


def test_remembered_urls_never_let_invalid_parameters_through():
    """Valid URLs are remembered per operation; an invalid one is refused every time, before and after."""
    app = create_app(SETTINGS)
    article = max(app.sandbox.catalog.articles, key=lambda a: a.stock)
    add = {"user_id": "m", "items": [{"item_id": article.item_id, "item_size": article.size}]}
    with app.test_client(headers=AUTH) as c:
        for _ in range(2):
            assert c.post(f"{BASE}/detail?b=true", json=add).status_code == 200
            bad = c.post(f"{BASE}/detail?b=maybe", json=add)
            assert bad.status_code == 400 and "'b'" in bad.json()["message"]
            assert c.get(f"{BASE}/detail?user_id=m&b=true").json()["items"]
            assert c.get(f"{BASE}/detail?user_id=m&i=2").status_code == 400
            assert "items" not in c.get(f"{BASE}/detail?user_id=m&i=false").json()


def test_remembered_tokens_never_let_a_refused_token_through(settings):
    """Passing Authorization headers are remembered; a refused or missing one is refused every time."""
    app = create_app(settings.replace(tokens=frozenset({"sesame"})))
    with app.test_client() as c:
        for _ in range(2):
            assert c.get(f"{BASE}/detail?user_id=t", headers={"Authorization": "Bearer sesame"}).status_code == 200
            for headers in ({"Authorization": "Bearer open"}, {}):
                refused = c.get(f"{BASE}/detail?user_id=t", headers=headers)
                assert refused.status_code == 401 and refused.json()["success"] is False


def test_handlers_get_arguments_of_their_own_from_remembered_urls_and_tokens():
    """Same URL and token again: the handler gets fresh arguments and context, as from Connexion's path."""
    from connexion.resolver import Resolver

    from cartwright.sandbox.web.app import SandboxApp, bearer_handler

    async def mutate(tags, limit, user, token_info):
        answer = {"tags": list(tags), "limit": limit, "user": user, "token_info": dict(token_info)}
        tags.append("changed")  # a handler changing what it was given must not change the next call's
        token_info["changed"] = True
        return answer

    spec = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "components": {"securitySchemes": {"b": {"type": "http", "scheme": "bearer"}}},
            "security": [{"b": []}],
            "paths": {"/m": {"get": {"operationId": "mutate", "parameters": [
                {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "string"}},
                 "explode": False},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 5}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}}}}}
    got = {}
    for compiled in (True, False):
        app = SandboxApp(__name__, compiled=compiled, security_map={"bearer": bearer_handler(None)})
        app.add_api(spec, resolver=Resolver(function_resolver=lambda _: mutate))
        with app.test_client(headers={"Authorization": "Bearer tok"}) as c:
            got[compiled] = [c.get("/m?tags=a,b").json() for _ in range(3)]
    assert got[True] == got[False] == [{"tags": ["a", "b"], "limit": 5, "user": "tok", "token_info": {"sub": "tok"}}] * 3


def test_only_the_sandbox_bearer_check_is_remembered():
    """A passing header is checked once with the sandbox's bearer check, every time with any other."""
    from connexion.resolver import Resolver
    from connexion.security import BearerSecurityHandler

    from cartwright.sandbox.web.app import SandboxApp, bearer_handler

    checked = []

    def counting(base):
        class Counting(base):
            def _resolve_func(self, security_scheme):
                inner = super()._resolve_func(security_scheme)
                return lambda token: checked.append(token) or (inner(token) if inner else {"sub": token})
        return Counting

    async def who(user):
        return {"user": user}

    spec = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "components": {"securitySchemes": {"b": {"type": "http", "scheme": "bearer"}}}, "security": [{"b": []}],
            "paths": {"/who": {"get": {"operationId": "who", "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}}}}}
    counts = {}
    for name, handler in (("sandbox", counting(bearer_handler(None))), ("other", counting(BearerSecurityHandler))):
        checked.clear()
        app = SandboxApp(__name__, security_map={"bearer": handler})
        app.add_api(spec, resolver=Resolver(function_resolver=lambda _: who))
        with app.test_client(headers={"Authorization": "Bearer tok"}) as c:
            assert [c.get("/who").json() for _ in range(3)] == [{"user": "tok"}] * 3
        counts[name] = len(checked)
    assert counts == {"sandbox": 1, "other": 3}
