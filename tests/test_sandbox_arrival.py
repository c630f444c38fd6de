"""Arrival order: requests that wait together start in the order their connections were last answered."""
import asyncio

import httpx

from cartkit import article
from conftest import AUTH, BASE
from cartwright.sandbox.web.arrival import ArrivalOrder


def recorder():
    """An ASGI app that notes which client each request came from, and answers 204."""
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["client"][1])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app, seen


async def request(app, port):
    """One GET through ``app`` from client port ``port``."""
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "client": ("127.0.0.1", port)}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        pass

    await app(scope, receive, send)


def test_held_requests_start_oldest_answered_connection_first():
    """Requests arriving together from connections 3, 2, 1, 4 (answered 1, 2, 3, never) start as 4, 1, 2, 3."""
    inner, seen = recorder()
    app = ArrivalOrder(inner)

    async def run():
        for port in (1, 2, 3):
            await request(app, port)
        seen.clear()
        await asyncio.gather(*(request(app, port) for port in (3, 2, 1, 4)))

    asyncio.run(run())
    assert seen == [4, 1, 2, 3]


def test_requests_that_do_not_overlap_are_not_reordered():
    """One request at a time: each starts as it comes, whatever its connection's history."""
    inner, seen = recorder()
    app = ArrivalOrder(inner)

    async def run():
        for port in (1, 2, 3, 2, 1, 3):
            await request(app, port)

    asyncio.run(run())
    assert seen == [1, 2, 3, 2, 1, 3]


def test_a_cancelled_held_request_does_not_hold_up_the_rest():
    """A request cancelled while held is dropped; the others held with it still run."""
    inner, seen = recorder()
    app = ArrivalOrder(inner)

    async def run():
        tasks = [asyncio.ensure_future(request(app, port)) for port in (1, 2, 3)]
        await asyncio.sleep(0)   # all three are held now
        tasks[1].cancel()
        done = await asyncio.gather(*tasks, return_exceptions=True)
        return [type(d).__name__ for d in done]

    assert asyncio.run(run()) == ["NoneType", "CancelledError", "NoneType"]
    assert seen == [1, 3]


def test_a_loop_closed_with_requests_held_leaves_other_loops_working():
    """Requests held on a loop that closes before letting them go do not stall the next loop."""
    inner, seen = recorder()
    app = ArrivalOrder(inner)
    first = asyncio.new_event_loop()
    held = first.create_task(request(app, 1))
    first.call_soon(first.stop)
    first.run_forever()   # one turn: the request is held, its release still pending
    assert not held.done()
    first.close()

    async def run():
        await asyncio.wait_for(request(app, 2), timeout=5)

    asyncio.run(run())
    assert seen == [2]


def test_forgotten_connections_count_as_new():
    """Past ``max_connections`` the answered connections are forgotten: they go first, as they arrive."""
    inner, seen = recorder()
    app = ArrivalOrder(inner, max_connections=2)

    async def run():
        for port in (1, 2, 3):   # answering 3 forgets 1 and 2
            await request(app, port)
        seen.clear()
        await asyncio.gather(*(request(app, port) for port in (3, 2, 1)))

    asyncio.run(run())
    assert seen == [2, 1, 3]


def carts_made_order(app):
    """Three clients (ports 1, 2, 3) are answered in turn, then each start a new user's cart at once, sent in
    the order 3, 2, 1; the client ports in the order their carts were made (cart numbers count up)."""
    a = article(app.sandbox.catalog, min_stock=3)
    item = {"item_id": a.item_id, "item_size": a.size, "quantity": 1}

    async def run():
        clients = {port: httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("127.0.0.1", port)),
                                           base_url="http://sandbox", headers=AUTH) for port in (1, 2, 3)}
        try:
            for port in (1, 2, 3):
                assert (await clients[port].get(f"{BASE}/detail?user_id=first-{port}")).status_code == 200
            answers = await asyncio.gather(*(clients[port].post(f"{BASE}/detail", json={
                "user_id": f"second-{port}", "items": [item]}) for port in (3, 2, 1)))
        finally:
            for c in clients.values():
                await c.aclose()
        numbers = {port: r.json()["cart"]["cart_id"] for port, r in zip((3, 2, 1), answers)}
        return sorted(numbers, key=numbers.get)

    return asyncio.run(run())


def test_overlapping_requests_start_in_arrival_order(app):
    """Through the whole app: requests arriving together are served oldest-answered client first (1, 2, 3)."""
    assert carts_made_order(app) == [1, 2, 3]


def test_arrival_order_can_be_turned_off(settings):
    """With arrival_order off, the same requests are served in the order they were sent (3, 2, 1)."""
    from cartwright.sandbox import create_app

    assert carts_made_order(create_app(settings.replace(arrival_order=False))) == [3, 2, 1]
