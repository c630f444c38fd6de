"""Shared fixtures: the capture tool, the committed spec, and the parsed reference texts."""
import importlib.util
import os
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

# CARTWRIGHT_TEST_STORAGE=copies runs every sandbox of the suite on the in-memory state that deep-copies every
# record in and out (the default keeps them encoded): both must pass the whole suite.
if os.environ.get("CARTWRIGHT_TEST_STORAGE"):
    from cartwright.sandbox.state import memory as _memory

    _memory.ENCODING = os.environ["CARTWRIGHT_TEST_STORAGE"]

# The API reference texts the spec is captured from: beside the repository, not in it.
SEEDS = ROOT.parent / "shared" / "seeds"


def need_seeds(seeds: Path = SEEDS, environ=os.environ) -> Path:
    """``seeds`` when it holds the reference texts; otherwise the test is skipped (a clone of the repository has
    no ../shared), but fails where the ``CI`` variable is set: CI must not pass by skipping them."""
    capture = sys.modules.get("capture") or _load_capture()
    if all((seeds / name).is_file() for name in (capture.FYND_TEXT, capture.ENKASH_TEXT)):
        return seeds
    why = f"needs the API reference texts in ../shared/seeds ({seeds}), which this checkout does not have"
    if environ.get("CI"):
        pytest.fail(f"{why}; CI is set, where their absence is a failure", pytrace=False)
    pytest.skip(why)


def _load_capture():
    spec = importlib.util.spec_from_file_location("capture", ROOT / "spec" / "capture.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["capture"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def capture():
    return _load_capture()


@pytest.fixture(scope="session")
def openapi():
    return yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text())


@pytest.fixture(scope="session")
def seeds():
    """The reference texts' folder (the test is skipped without it, or fails under CI: ``need_seeds``)."""
    return need_seeds()


@pytest.fixture(scope="session")
def fynd_ops(capture, seeds):
    return capture.parse_fynd((seeds / capture.FYND_TEXT).read_text())


@pytest.fixture(scope="session")
def decisions(capture):
    return capture.load_decisions()


# --------------------------------------------------------------------------- sandbox
FROZEN_NOW = "2026-11-22T10:00:00+00:00"
AUTH = {"Authorization": "Bearer test-token"}
BASE = "/service/platform/cart/v1.0/company/1/application/app-1"


@pytest.fixture(scope="session")
def settings():
    """Sandbox settings for tests: default catalog, pinned clock, responses validated against the spec."""
    from cartwright.sandbox import Settings

    return Settings(validate_responses=True, frozen_time=FROZEN_NOW, id_seed=0)


# The HTTP modules that run twice: on the in-memory state and on Redis (a redis-server of the run's own), each of
# their tests that asks for the app or a client (one asking only for the catalog makes apps of its own). Their
# ids end in [memory] or [redis]; every other module runs on the in-memory state only.
REDIS_MODULES = {"test_sandbox_cart", "test_sandbox_checkout", "test_sandbox_admin", "test_sandbox_addresses",
                 "test_sandbox_offers_crud", "test_sandbox_vouchers", "test_sandbox_tenancy", "test_state_port",
                 "test_sandbox_cart_offers", "test_sandbox_journey", "test_sandbox_journey_misc",
                 "test_sandbox_fresh_carts", "test_sandbox_state", "test_sandbox_limits", "test_sandbox_errors",
                 "test_default_auto_coupon", "test_promotion_tiers"}


STATE_FIXTURES = {"app", "client", "session_app", "plain_app", "make_app"}   # a test asking for one of these uses the state


def pytest_generate_tests(metafunc):
    import inspect

    if ("state_backend" in metafunc.fixturenames and metafunc.module.__name__ in REDIS_MODULES
            and STATE_FIXTURES & set(inspect.signature(metafunc.function).parameters)):
        metafunc.parametrize("state_backend", ["memory", "redis"], indirect=True, scope="session")


@pytest.fixture(scope="session")
def state_backend(request):
    """Where the session's apps keep their state: "memory", or "redis" (for REDIS_MODULES, run twice)."""
    return getattr(request, "param", "memory")


def backend_app(settings, state_backend, request):
    """An app on ``state_backend``: on Redis, under a key prefix of its own on the run's redis-server."""
    from cartwright.sandbox import create_app

    if state_backend == "memory":
        return create_app(settings)
    from rediskit import fresh_prefix
    from cartwright.sandbox.state.redis import RedisStorage

    return create_app(settings, RedisStorage(request.getfixturevalue("redis_url"), prefix=fresh_prefix("app")))


@pytest.fixture
def make_app(settings, state_backend, request):
    """Makes apps of the test's own, on its state backend: ``make_app(**settings_changed)``."""
    return lambda **changes: backend_app(settings.replace(**changes), state_backend, request)


@pytest.fixture(scope="session")
def session_app(settings, state_backend, request):
    return backend_app(settings, state_backend, request)


@pytest.fixture(scope="session")
def plain_app(settings, state_backend, request):
    """An app whose applications start without coupons or promotions, for exact cart arithmetic."""
    return backend_app(settings.replace(default_offers=False), state_backend, request)


def reset_state(app) -> None:
    """Forget everything ``app``'s sandbox remembers, as the admin reset does (ids go on)."""
    import asyncio

    asyncio.run(app.sandbox.reset())


def run(coro):
    """Run a coroutine of the sandbox's state (in-memory: on a loop of its own)."""
    import asyncio

    return asyncio.run(coro)


def stored_cart(app, cart_id: str, scope=("1", "app-1")):
    """The cart as the state holds it (a copy), or None."""
    return run(app.sandbox.state.carts.get(scope, cart_id))


def change_cart(app, cart_id: str, scope=("1", "app-1"), **fields) -> None:
    """Store the cart with ``fields`` changed, as a change in the state would (bypassing the API)."""
    async def change(tx):
        cart = await tx.carts.get(scope, cart_id)
        for name, value in fields.items():
            setattr(cart, name, value)
        tx.carts.save(cart)
    run(app.sandbox.state.atomically(change))


def take_stock(app, article, leave: int, company: str = "1") -> None:
    """Take ``article``'s stock in ``company`` down to ``leave`` units, as checkouts would."""
    async def change(tx):
        taken = (await tx.stock.taken(company)).get(article.article_id, 0)
        await tx.stock.take(company, {article.article_id: article.stock - taken - leave})
    run(app.sandbox.state.atomically(change))


@pytest.fixture
def app(session_app):
    """The session's app with its carts forgotten (building an app takes about a second)."""
    reset_state(session_app)
    return session_app


@pytest.fixture
def client(app):
    with app.test_client(headers=AUTH) as c:
        yield c


@pytest.fixture
def catalog(app):
    return app.sandbox.catalog


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """The URL of a redis-server of the test run's own (a free port, a temporary folder; stopped at the end)."""
    from rediskit import redis_server

    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["memory", "redis"])
def workers(settings, request):
    """Makes two sandboxes over one state, as two workers are: ``workers(**settings_changed)``. On "memory" they
    share one in-process storage; on "redis" each has a storage of its own on one key prefix (as processes do)."""
    from cartwright.sandbox import create_app
    from cartwright.sandbox.state import MemoryStorage

    def make(**changes):
        changed = settings.replace(**changes)
        if request.param == "memory":
            storage = MemoryStorage()
            return [create_app(changed, storage) for _ in range(2)]
        from rediskit import fresh_prefix
        from cartwright.sandbox.state.redis import RedisStorage

        url, prefix = request.getfixturevalue("redis_url"), fresh_prefix("workers")
        return [create_app(changed, RedisStorage(url, prefix=prefix)) for _ in range(2)]
    return make


@pytest.fixture(scope="session", autouse=True)
def kit_cache(tmp_path_factory):
    """The conformance kit's cache (Hypothesis's files) in a temporary folder, not the user's cache."""
    import os

    os.environ.setdefault("CARTWRIGHT_CACHE_DIR", str(tmp_path_factory.mktemp("cartwright-cache")))
