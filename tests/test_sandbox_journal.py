"""The request journal (GET/DELETE /_cartwright/requests, /requests/count) and the access log, through the whole
stack."""
import json
import logging
import time
from datetime import datetime, timezone

import pytest

from cartkit import add, article, assert_fynd_error, get_cart
from conftest import AUTH, BASE

from cartwright.sandbox import create_app


def journal(client, query: str = "") -> dict:
    r = client.get(f"/_cartwright/requests?{query}")
    assert r.status_code == 200, r.text
    return r.json()


def count(client, query: str = "") -> int:
    r = client.get(f"/_cartwright/requests/count?{query}")
    assert r.status_code == 200, r.text
    return r.json()["count"]


def test_each_request_is_journaled_newest_first_with_what_it_asked_and_got(client, catalog):
    """Every request to the API is journaled, newest first: method, path, query, operation id, status, time, the
    request's headers (the token redacted) and body, and the answer's body; admin requests are not."""
    a = article(catalog)
    added = add(client, [(a, 1)])
    get_cart(client, "user_id=user-1")
    client.get("/_cartwright/health")
    body = journal(client)
    assert body["count"] == 2
    newest, oldest = body["requests"]
    assert (newest["method"], newest["operation_id"], newest["query"], newest["status"]) == (
        "GET", "getCart", "user_id=user-1", 200)
    assert (oldest["method"], oldest["path"], oldest["operation_id"]) == ("POST", f"{BASE}/detail", "platformAddItems")
    assert oldest["request"]["headers"]["authorization"] == "[redacted]"
    assert f'"item_id":{a.item_id}' in oldest["request"]["body"]
    assert oldest["response"]["body"] == added.text and "₹" in oldest["response"]["body"]
    assert oldest["duration_ms"] > 0 and datetime.fromisoformat(oldest["at"]) <= datetime.now(timezone.utc)


def test_filters_select_by_operation_method_path_status_and_time(client, catalog):
    """Each filter narrows the list and the count alike: operation id, method, path (exact or a glob), status
    (exact or a class) and arrival time; all given must hold."""
    add(client, [(article(catalog), 1)])
    get_cart(client, "user_id=user-1")
    get_cart(client, "id=nope")
    middle = datetime.now(timezone.utc)
    time.sleep(0.01)
    client.get(f"{BASE}/basic?user_id=user-1")
    assert count(client) == 4
    assert count(client, "operation_id=getCart") == 2
    assert count(client, "method=post") == 1
    assert count(client, f"path={BASE}/detail") == 3
    assert count(client, "path=*/basic") == 1
    assert count(client, "status=404") == 1 and count(client, "status=2xx") == 2 and count(client, "status=4xx") == 2
    assert count(client, "operation_id=getCart&status=2XX") == 1
    since = middle.isoformat().replace("+00:00", "Z")
    assert count(client, f"since={since}") == 1 and count(client, f"until={since}") == 3
    assert count(client, f"since={middle.isoformat()}") == 1   # "+00:00" unencoded: a space, read back as "+"
    listed = journal(client, "operation_id=getCart&limit=1")
    assert listed["count"] == 2 and [r["query"] for r in listed["requests"]] == ["id=nope"]


@pytest.mark.parametrize("query, field", [("status=4x", "status"), ("status=600", "status"),
                                          ("since=yesterday", "since"), ("until=2026-13-01", "until"),
                                          ("limit=-1", "limit")])
def test_a_bad_filter_is_a_400_naming_it(client, query, field):
    """A status that is not one, a time that is not ISO 8601, a negative limit: 400 naming the parameter."""
    assert_fynd_error(client.get(f"/_cartwright/requests?{query}"), 400, field)


def test_delete_clears_the_journal_and_a_reset_does_too(client):
    """DELETE /requests empties the journal; so does a reset of the sandbox."""
    get_cart(client, "user_id=u")
    assert client.delete("/_cartwright/requests").json() == {"count": 0}
    assert count(client) == 0
    get_cart(client, "user_id=u")
    client.post("/_cartwright/reset")
    assert count(client) == 0


def test_the_journal_is_a_bounded_ring_with_bounded_bodies(settings, catalog):
    """journal_size keeps only the newest requests; journal_body_bytes cuts bodies (their whole size given)."""
    app = create_app(settings.replace(journal_size=3, journal_body_bytes=40))
    with app.test_client(headers=AUTH) as c:
        big = add(c, [(article(catalog), 1)])
        for user in ("a", "b", "c"):
            get_cart(c, f"user_id={user}")
        body = journal(c)
        assert body["count"] == 3 and [r["query"] for r in body["requests"]] == ["user_id=c", "user_id=b", "user_id=a"]
        get_cart(c, "user_id=d")
        c.post(f"{BASE}/detail", json={"user_id": "z", "items": [{"item_id": 7500001, "item_size": "L", "quantity": 1}]})
        [entry] = journal(c, "method=POST")["requests"]
        assert len(entry["request"]["body"]) == 40 and entry["request"]["body_bytes"] > 40
        assert len(entry["response"]["body"].encode()) <= 40 and entry["response"]["body_bytes"] > 40
        assert len(big.content) > 40


def test_a_journal_of_size_zero_keeps_nothing(settings):
    """journal_size 0 turns the journal off."""
    app = create_app(settings.replace(journal_size=0))
    with app.test_client(headers=AUTH) as c:
        get_cart(c, "user_id=u")
        assert count(c) == 0


def test_workers_sharing_the_state_share_the_journal(workers):
    """The journal is state: requests served by one sandbox are listed and counted through another over the same
    state (in process, or one Redis list), newest first, and cleared through either for both."""
    one, two = workers(journal_size=3)
    with one.test_client(headers=AUTH) as a, two.test_client(headers=AUTH) as b:
        get_cart(a, "user_id=u")
        get_cart(b, "user_id=v")
        assert count(a, "operation_id=getCart") == 2
        assert [r["query"] for r in journal(a)["requests"]] == ["user_id=v", "user_id=u"]
        for user in "wxy":
            get_cart(a if user == "x" else b, f"user_id={user}")
        assert [r["query"] for r in journal(b)["requests"]] == ["user_id=y", "user_id=x", "user_id=w"]
        assert b.delete("/_cartwright/requests").status_code == 200 and count(a) == 0


def test_each_request_logs_one_access_line_at_info(client, caplog):
    """One line per request on cartwright.access at info: client, method, path and query, status, time, operation
    id (admin requests too); nothing at warning."""
    with caplog.at_level(logging.INFO, logger="cartwright.access"):
        get_cart(client, "user_id=u")
        client.get("/_cartwright/health")
    lines = [r.getMessage() for r in caplog.records if r.name == "cartwright.access"]
    assert len(lines) == 2
    assert f'"GET {BASE}/detail?user_id=u" 200' in lines[0] and lines[0].endswith(" ms getCart")
    assert '"GET /_cartwright/health" 200' in lines[1] and " ms health" in lines[1]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="cartwright.access"):
        get_cart(client, "user_id=u")
    assert not [r for r in caplog.records if r.name == "cartwright.access"]


def test_a_client_that_has_its_answer_finds_the_request_in_the_journal(settings, redis_url):
    """Over a real socket, on a Redis state whose writes of entries are slowed: once an answer has arrived,
    counting the requests (on another connection) includes it, every time (the entry is kept before the answer
    ends, not after)."""
    import asyncio
    import http.client

    from cartkit import served
    from rediskit import fresh_prefix
    from cartwright.sandbox.state.redis import RedisStorage

    class SlowEntries(RedisStorage):
        async def append(self, log, record, capacity):
            await asyncio.sleep(0.2)   # a slow link to Redis: keeping the entry outlasts the client's next request
            await super().append(log, record, capacity)

    app = create_app(settings, SlowEntries(redis_url, prefix=fresh_prefix("journal")))
    with served(app) as port:
        api, admin = (http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(2))
        counted = []
        for _ in range(3):
            api.request("GET", f"{BASE}/detail?user_id=u", headers=AUTH)
            assert api.getresponse().read()
            admin.request("GET", "/_cartwright/requests/count?operation_id=getCart")
            counted.append(json.loads(admin.getresponse().read())["count"])
    assert counted == [1, 2, 3]
