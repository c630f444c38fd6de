"""Deliberately broken variants of the in-process sandbox, each caught by the kit with the operation named.

Response-level variants run ``run_conformance`` (a few operations, a fixed seed); state variants run the
flow checks of ``conformance.FLOW_CHECKS`` on a real cart. The README's "Detection" table lists them.
"""
import copy

import pytest
from starlette.testclient import TestClient

import conformance
from broken import RewriteJson, RewriteStatus
from conftest import AUTH, BASE, FROZEN_NOW
from conformance.cli import main as conform
from conformance.cli import run_conformance
from sandbox import Settings, create_app

PATH_PARAMS = {"company_id": "1", "application_id": "app-1"}


def fresh():
    return create_app(Settings(frozen_time=FROZEN_NOW))


def failing(app, ops, examples=5, phases="positive"):
    """{operationId: {check names}} of the operations that failed."""
    run = run_conformance(app=app, operation_ids=ops, max_examples=examples, seed=1, phases=phases,
                          path_params=PATH_PARAMS)
    assert {o.operation_id for o in run.operations} == set(ops)
    return {o.operation_id: {f.check for f in o.findings} for o in run.failed}


def test_missing_required_field_is_caught():
    """(a) Error answers of getItemCount without the required ``message``: response_schema_conformance on getItemCount."""
    app = RewriteJson(fresh(), lambda b: {k: v for k, v in b.items() if k != "message"}, "/basic", "GET")
    assert failing(app, ["getItemCount", "getCart"]) == {"getItemCount": {"response_schema_conformance"}}


def test_wrong_type_is_caught():
    """(b) ``message`` as a number in getItemCount's answers: response_schema_conformance on getItemCount."""
    app = RewriteJson(fresh(), lambda b: {**b, "message": 123} if "message" in b else b, "/basic", "GET")
    assert failing(app, ["getItemCount", "getCart"]) == {"getItemCount": {"response_schema_conformance"}}


def test_undocumented_status_is_caught():
    """(c) getCoupons answering 418: status_code_conformance names getCoupons, the other operation passes."""
    app = RewriteStatus(fresh(), lambda status, query: 418, "/coupon", "GET")
    found = failing(app, ["getCoupons", "getItemCount"])
    assert set(found) == {"getCoupons"} and "status_code_conformance" in found["getCoupons"]


def test_server_error_on_an_edge_input_is_caught():
    """(d) getCart answering 500 whenever the ``b`` query flag is sent: not_a_server_error names getCart."""
    app = RewriteStatus(fresh(), lambda status, query: 500 if "b=" in query else status, "/detail", "GET",
                        body={"success": False, "message": "boom"})
    found = failing(app, ["getCart", "getItemCount"], examples=10)
    assert set(found) == {"getCart"} and "not_a_server_error" in found["getCart"]


def test_invalid_input_accepted_is_caught_by_the_negative_phase(capsys):
    """(e) getItemCount answering every 4xx with a schema-valid 200: only the negative phase catches it."""
    app = RewriteStatus(fresh(), lambda status, query: 200 if 400 <= status < 500 else status, "/basic", "GET",
                        body={"user_cart_items_count": 0})
    assert failing(app, ["getItemCount"], examples=10) == {}  # schema-valid requests see nothing wrong
    assert failing(app, ["getItemCount"], examples=10, phases="positive,negative") == {
        "getItemCount": {"negative_data_rejection"}}
    code = conform(["--seed", "1", "--max-examples", "10", "--phases", "negative", "--include-operation-id",
                    "getItemCount", "--path-param", "company_id=1", "--path-param", "application_id=app-1"], app=app)
    assert code == 1 and "FAILED GET /service/platform/cart/v1.0/company/{company_id}" in capsys.readouterr().out


def test_clean_sandbox_passes_both_phases(capsys):
    """The clean sandbox passes --phases positive,negative on every operation (2 examples each)."""
    code = conform(["--seed", "1", "--max-examples", "2", "--phases", "positive,negative", "--path-param",
                    "company_id=1", "--path-param", "application_id=app-1"], app=fresh())
    out = capsys.readouterr().out
    assert code == 0, out
    assert "59 passed, 0 failed" in out and "(positive, negative)" in out


def test_unknown_phase_is_a_usage_error():
    """--phases with an unknown name exits 2."""
    assert conform(["--phases", "positive,sideways"], app=fresh()) == 2


# --------------------------------------------------------------------------- state variants (flow checks)
@pytest.fixture
def cart():
    """(app, client, cart_id, a second in-stock item) on a fresh sandbox."""
    app = fresh()
    with TestClient(app, headers=AUTH) as client:
        items = []
        for p in client.get("/_cartwright/catalog").json()["products"]:
            size = next((s["size"] for s in p["sizes"] if any(a["stock"] >= 4 for a in s["articles"])), None)
            if size is not None:
                items.append({"item_id": p["item_id"], "item_size": size})
            if len(items) == 2:
                break
        r = client.post(f"{BASE}/detail?b=true", json={"user_id": "variant-user", "items": [{**items[0], "quantity": 1}]})
        assert r.status_code == 200, r.text
        yield app, client, r.json()["cart"]["id"], {**items[1], "quantity": 1}


def test_flow_checks_hold_on_the_clean_sandbox(cart):
    """check_persisted and check_deleted_is_gone find nothing on the clean sandbox."""
    app, client, cart_id, item = cart
    assert conformance.check_persisted(client, BASE, cart_id, item) == []
    assert conformance.check_deleted_is_gone(client, BASE, cart_id) == []


def test_state_not_persisted_is_caught(cart, monkeypatch):
    """(f) A store that never saves (and hands out copies): check_persisted names POST detail."""
    app, client, cart_id, item = cart
    store = app.sandbox.carts.store
    real_get = type(store).get
    monkeypatch.setattr(store, "save", lambda c: None)  # this app instance only
    monkeypatch.setattr(store, "get", lambda scope, i: copy.deepcopy(real_get(store, scope, i)))
    [failure] = conformance.check_persisted(client, BASE, cart_id, item)
    assert failure.check == "persisted" and failure.operation == "POST detail", failure
    assert "not saved" in failure.message


def test_deleted_cart_still_served_is_caught(cart, monkeypatch):
    """(g) A cart_archive that does not delete: check_deleted_is_gone names PUT cart_archive."""
    app, client, cart_id, item = cart
    monkeypatch.setattr(app.sandbox.carts.store, "remove", lambda c: None)
    [failure] = conformance.check_deleted_is_gone(client, BASE, cart_id)
    assert failure.check == "deleted_is_gone" and failure.operation == "PUT cart_archive", failure
    assert failure.numbers["after"] == failure.numbers["before"]
