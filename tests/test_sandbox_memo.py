"""What the web layer remembers about requests is bounded in bytes, skips long keys and goes with a reset."""
import pytest

from conftest import AUTH, BASE


def remembered_key_bytes(budget) -> int:
    """Bytes of every key every memo in the process holds (paths, query strings, headers)."""
    total = 0
    for memo in list(budget._memos):
        for key in memo:
            parts = key if isinstance(key, tuple) else (key,)
            total += sum(len(p) for p in parts if isinstance(p, (str, bytes)))
    return total


@pytest.fixture
def small_budget_app(settings):
    """An app whose memos may hold 64 KiB and keys up to 256 bytes."""
    from cartwright.sandbox import create_app
    from cartwright.sandbox.web.memo import BUDGET

    app = create_app(settings.replace(cache_max_bytes=64 * 1024, cache_max_key_bytes=256))
    BUDGET.clear_all()
    yield app
    BUDGET.configure(settings.cache_max_bytes, settings.cache_max_key_bytes)


def test_unique_urls_fill_the_budget_and_no_more(small_budget_app):
    """A flood of distinct query strings is answered correctly while the memos stay within their byte budget."""
    from cartwright.sandbox.web.memo import BUDGET

    with small_budget_app.test_client(headers=AUTH) as c:
        for n in range(1500):
            r = c.get(f"{BASE}/store-address?store_uid=0&pad={n:0100d}")
            assert r.status_code == 404, r.text
    assert 0 < BUDGET.used <= BUDGET.max_bytes
    assert remembered_key_bytes(BUDGET) <= BUDGET.max_bytes


def test_long_keys_are_never_remembered(small_budget_app):
    """A query string longer than cache_max_key_bytes is worked out every time and charged nothing."""
    from cartwright.sandbox.web.memo import BUDGET

    with small_budget_app.test_client(headers=AUTH) as c:
        c.get(f"{BASE}/store-address?store_uid=0")
        used = BUDGET.used
        for n in range(20):
            assert c.get(f"{BASE}/store-address?store_uid=0&pad={'x' * 300}{n}").status_code == 404
    assert BUDGET.used == used


def test_reset_empties_every_memo(client):
    """The admin reset forgets what was remembered about requests and gives the budget back."""
    from cartwright.sandbox.web.memo import BUDGET

    for n in range(30):
        client.get(f"{BASE}/store-address?store_uid={n}")
    assert BUDGET.used > 0 and remembered_key_bytes(BUDGET) > 0
    assert client.post("/_cartwright/reset").status_code == 200
    assert BUDGET.used == 0 and remembered_key_bytes(BUDGET) == 0
    assert client.get(f"{BASE}/store-address?store_uid=1").status_code in (200, 404)
