"""Helpers for sandbox tests: choosing catalog articles and making cart calls."""
from __future__ import annotations

import contextlib
import threading
from decimal import Decimal

from conftest import BASE


def articles(catalog, *, min_stock: int = 1):
    """Per product and size, the article the sandbox picks for up to ``min_stock`` units, where one exists.

    That is the cheapest in-stock article, kept only when it has ``min_stock`` units, so that
    adding any quantity up to ``min_stock`` picks it.
    """
    seen, found = set(), []
    for a in catalog.articles:
        key = (a.item_id, a.size)
        if key in seen:
            continue
        seen.add(key)
        if any(x.stock for x in catalog.articles_for(*key)):
            chosen = cheapest(catalog, *key)
            if chosen.stock >= min_stock:
                found.append(chosen)
    return found


def article(catalog, *, min_stock: int = 1, index: int = 0):
    return articles(catalog, min_stock=min_stock)[index]


def cheapest(catalog, item_id: int, size: str, quantity: int = 1):
    """The article the sandbox is documented to pick: cheapest store with the stock, then lowest store uid."""
    fitting = [a for a in catalog.articles_for(item_id, size) if a.stock >= quantity]
    return min(fitting, key=lambda a: (a.effective, a.store_uid))


def add(client, items, *, user_id="user-1", query="b=true", **body):
    """POST …/detail with ``items`` given as (article, quantity) pairs or raw dicts."""
    payload = {"items": [
        i if isinstance(i, dict) else {"item_id": i[0].item_id, "item_size": i[0].size, "quantity": i[1]}
        for i in items
    ], **body}
    if user_id is not None:
        payload["user_id"] = user_id
    return client.post(f"{BASE}/detail?{query}", json=payload)


def get_cart(client, query="user_id=user-1&b=true"):
    return client.get(f"{BASE}/detail?{query}")


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def expected_raw(catalog, lines, delivery=Decimal("49"), threshold=Decimal("499")):
    """The raw breakup computed independently of the sandbox from (article, quantity) pairs."""
    mrp = sum((a.marked * q for a, q in lines), Decimal(0))
    sub = sum((a.effective * q for a, q in lines), Decimal(0))
    charge = delivery if lines and sub < threshold else Decimal(0)
    return {"mrp_total": mrp, "subtotal": sub, "discount": sub - mrp, "vog": sub, "delivery_charge": charge,
            "total": sub + charge, "you_saved": mrp - sub, "coupon": Decimal(0), "cod_charge": Decimal(0)}


def raw_of(body) -> dict:
    return {k: money(v) for k, v in body["breakup_values"]["raw"].items()}


def assert_fynd_error(response, status: int, *words: str):
    """The response is a Fynd error with ``status`` whose message names every one of ``words``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and isinstance(body["error"], str), body
    for word in words:
        assert word in body["message"], (word, body["message"])


@contextlib.contextmanager
def served(app, **limits):
    """Serve ``app`` with uvicorn on a free loopback port for the block, as `cartwright serve` does; yields the
    port. ``limits`` are Settings fields (``max_header_bytes=1024``, ``header_timeout_seconds=0.5``...)."""
    import uvicorn

    from cartwright.sandbox import Settings
    from cartwright.sandbox.web.server import uvicorn_config

    settings = Settings(log_level="warning").replace(**limits)
    server = uvicorn.Server(uvicorn_config(app, settings, port=0))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            threading.Event().wait(0.02)
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(5)
