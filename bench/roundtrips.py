"""Round trips to Redis per request, for the shared state: `python bench/roundtrips.py [--state redis://...]`.

Runs the sandbox in process on a Redis state (a redis-server of its own on a free port when --state is not
given) and counts, per operation, the round trips its storage makes (``RedisStorage.exchanges``: one per
pipeline, script or command sent and waited for) and the writes it posts without waiting for their answers
(``RedisStorage.posts``: the journal entry, the note of a fresh cart's id). The benchmark's two operations first: get-cart (3 lines, with the
breakup) and add-to-cart (a new user's cart each time), then the others a client meets often.
tests/test_sandbox_shared.py holds the first numbers to their targets (at most 2 and 3).
"""
from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchkit import BASE, state_url  # noqa: E402

from cartwright.sandbox import Settings, create_app  # noqa: E402
from cartwright.sandbox.state.redis import RedisStorage  # noqa: E402

AUTH = {"Authorization": "Bearer bench"}


def measure(url: str, repeat: int) -> list[tuple[str, list[int], list[int]]]:
    """Per operation: its name, the round trips of each request and the writes each posted."""
    storage = RedisStorage(url, prefix=f"roundtrips-{uuid.uuid4().hex[:8]}:")
    app = create_app(Settings(), storage)
    articles = [a for a in app.sandbox.catalog.articles if a.stock >= repeat + 3][:3]

    def item(a, quantity=1):
        return {"item_id": a.item_id, "item_size": a.size, "quantity": quantity}

    with app.test_client(headers=AUTH) as c:
        for a in articles:   # the benchmark's 3-line cart; what pricing reads is learnt on the way
            c.post(f"{BASE}/detail", json={"user_id": "reader", "items": [item(a)]})
        cart_id = c.get(f"{BASE}/detail?user_id=reader").json()["id"]
        line = c.get(f"{BASE}/detail?user_id=reader").json()["items"][0]["identifiers"]["identifier"]
        operations = [
            ("get-cart (3 lines, b=true)", lambda n: c.get(f"{BASE}/detail?user_id=reader&b=true")),
            ("add-to-cart (new user's cart)", lambda n: c.post(f"{BASE}/detail?b=true", json={
                "user_id": f"new-{n}", "items": [item(articles[0])]})),
            ("add-to-cart (same cart)", lambda n: c.post(f"{BASE}/detail", json={
                "user_id": "reader", "items": [item(articles[1])]})),
            ("get-cart by id", lambda n: c.get(f"{BASE}/detail?id={cart_id}")),
            ("get-cart, user without a cart", lambda n: c.get(f"{BASE}/detail?user_id=nobody-{n}")),
            ("update a line", lambda n: c.put(f"{BASE}/detail?id={cart_id}", json={
                "operation": "update_item", "items": [{"identifiers": {"identifier": line}, "quantity": 1}]})),
            ("item count", lambda n: c.get(f"{BASE}/basic?id={cart_id}")),
        ]
        results = []
        for name, request in operations:
            counts, posted = [], []
            for n in range(repeat):
                before, posts = storage.exchanges, storage.posts
                response = request(n)
                assert response.status_code == 200, (name, response.text)
                counts.append(storage.exchanges - before)
                posted.append(storage.posts - posts)
            results.append((name, counts, posted))
    return results


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--state", help="a Redis URL (default: a redis-server of this script's own)")
    p.add_argument("--repeat", type=int, default=5, help="requests per operation")
    p.add_argument("--json", action="store_true", help="one JSON object instead: operation → counts (bench/run.py)")
    args = p.parse_args(argv)
    with state_url(args.state) as url:
        results = measure(url, args.repeat)
    if args.json:
        print(json.dumps({name: counts for name, counts, _ in results}))
        return 0
    print("| operation | round trips to Redis per request | writes posted, not waited for (the journal entry, a fresh id's note) |\n"
          "|---|---:|---:|")
    for name, counts, posted in results:
        print(f"| {name} | {_spread(counts)} | {_spread(posted)} |")
    return 0


def _spread(counts: list[int]) -> str:
    return str(counts[0]) if len(set(counts)) == 1 else f"{min(counts)}-{max(counts)}"


if __name__ == "__main__":
    raise SystemExit(main())
