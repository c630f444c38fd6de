"""Deliberately broken variants of the in-process sandbox, each caught by the kit with the operation named.

Every variant runs ``run_conformance`` (a few operations, a fixed seed): response-level ones through
Schemathesis's phases, state ones through the kit's flows phase. The variants a real deployment is likeliest to
have (a stale count, an archived cart served empty, a dropped field, checkouts that do not take stock or are not
idempotent) are each run through a default run: all five phases, positive and negative data, on the
operations that build, read, change, archive and check out carts plus the cart configuration writes a
generated request can make, at one example per operation (the whole spec's coverage phase alone takes ~35 s);
each asserts exactly what is found, so the same run shows no false alarm on the other operations.
The README's "Detection" table lists them.
"""

from starlette.testclient import TestClient

from cartwright import conformance
from broken import RewriteJson, RewriteStatus, StaleCount, empty_cart_for_unknown_ids
from conftest import AUTH, BASE, FROZEN_NOW
from cartwright.conformance.cli import main as conform
from cartwright.conformance.cli import run_conformance
from cartwright.sandbox import Settings, create_app
from cartwright.sandbox.domain.state import Carts, Stock


async def keep_cart(self, cart):
    """A ``Carts.remove`` that removes nothing."""


async def take_nothing(self, company, takes):
    """A ``Stock.take`` that takes nothing."""

PATH_PARAMS = {"company_id": "1", "application_id": "app-1"}


def fresh():
    return create_app(Settings(frozen_time=FROZEN_NOW))


def failing(app, ops, examples=5, phases="examples,fuzzing", mode="all"):
    """{operationId: {check names}} of the operations that failed."""
    run = run_conformance(app=app, operation_ids=ops, max_examples=examples, seed=1, phases=phases, mode=mode,
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


def test_invalid_input_accepted_is_caught_with_negative_data(capsys):
    """(e) getItemCount answering every 4xx with a schema-valid 200: only negative data (--mode negative/all) catches it."""
    app = RewriteStatus(fresh(), lambda status, query: 200 if 400 <= status < 500 else status, "/basic", "GET",
                        body={"user_cart_items_count": 0})
    assert failing(app, ["getItemCount"], examples=10, mode="positive") == {}  # schema-valid requests see nothing wrong
    assert "negative_data_rejection" in failing(app, ["getItemCount"], examples=10, mode="negative")["getItemCount"]
    code = conform(["--seed", "1", "--max-examples", "10", "--phases", "coverage", "--include-operation-id",
                    "getItemCount", "--path-param", "company_id=1", "--path-param", "application_id=app-1"], app=app)
    assert code == 1 and "FAILED GET /service/platform/cart/v1.0/company/{company_id}" in capsys.readouterr().out


def test_valid_input_refused_is_caught():
    """(i) platformUpdateCart refusing every request with 413 (documented, but not for valid small bodies): positive_data_acceptance."""
    app = RewriteStatus(fresh(), lambda status, query: 413, "/detail", "PUT",
                        body={"success": False, "message": "too large", "error": "PayloadTooLarge"})
    found = failing(app, ["platformUpdateCart", "getItemCount"], examples=5, mode="positive")
    # and, since not one update succeeded, its success path was never tested
    assert found == {"platformUpdateCart": {"positive_data_acceptance", "no_success"}}, found


def test_wrong_totals_are_caught():
    """(h) getCart answering a total 10 above its parts: the kit's breakup_adds_up check names getCart."""
    def bump(body):
        if isinstance(body.get("breakup_values"), dict):
            body["breakup_values"]["raw"]["total"] += 10
        return body

    app = RewriteJson(fresh(), bump, "/detail", "GET")
    found = failing(app, FLOW_OPS, examples=5, phases="examples,fuzzing,stateful,flows")
    assert "breakup_adds_up" in found.pop("getCart"), found
    assert set(found) <= {"applyCoupon"}  # the coupon round trip compares GET's total with apply's


# --------------------------------------------------------------------------- state variants (flows phase)
FLOW_OPS = ["platformAddItems", "getCart", "platformUpdateCart", "getItemCount", "applyCoupon", "removeCoupon",
            "deleteCart"]


def flow_findings(app):
    """{operationId: {check names}} of what the kit's flows phase reports on ``app``."""
    run = run_conformance(app=app, operation_ids=FLOW_OPS, seed=1, phases="flows", path_params=PATH_PARAMS)
    return {o.operation_id: {f.check for f in o.findings} for o in run.failed}


def test_flows_phase_holds_on_the_clean_sandbox():
    """The flows phase finds nothing on the clean sandbox."""
    assert flow_findings(fresh()) == {}


def test_state_not_persisted_is_caught(monkeypatch):
    """(f) A state that keeps only a cart's first save: the flows phase's persisted check names platformAddItems."""
    app = fresh()
    real_save, saved = Carts.save, set()

    def save(self, cart, previous=None):  # a new cart's first save lands; later changes to it are lost
        if cart.id not in saved:
            saved.add(cart.id)
            real_save(self, cart, previous)

    monkeypatch.setattr(Carts, "save", save)
    found = flow_findings(app)
    assert "persisted" in found.get("platformAddItems", set()), found


def test_deleted_cart_still_served_is_caught(monkeypatch):
    """(g) A cart_archive that does not delete: the flows phase's deleted_is_gone check names deleteCart."""
    app = fresh()
    monkeypatch.setattr(Carts, "remove", keep_cart)
    assert flow_findings(app) == {"deleteCart": {"deleted_is_gone"}}


def test_flow_check_failures_carry_data(monkeypatch):
    """A flow check called directly returns FlowFailure data: check, operation, message and numbers."""
    app = fresh()
    monkeypatch.setattr(Carts, "remove", keep_cart)
    with TestClient(app, headers=AUTH) as client:
        item = next({"item_id": p["item_id"], "item_size": s["size"], "quantity": 1}
                    for p in client.get("/_cartwright/catalog").json()["products"] for s in p["sizes"]
                    if any(a["stock"] >= 2 for a in s["articles"]))
        cart_id = client.post(f"{BASE}/detail", json={"user_id": "u", "items": [item]}).json()["cart"]["id"]
        [failure] = conformance.check_deleted_is_gone(client, BASE, cart_id)
    assert failure.check == "deleted_is_gone" and failure.operation == "PUT cart_archive", failure
    assert failure.numbers == {"status": 200, "read": "GET detail"}, failure


# --------------------------------------------------------------------------- caught by a default run (all phases)
CART_CORE = ["platformAddItems", "getCart", "platformUpdateCart", "getItemCount", "deleteCart", "applyCoupon",
             "removeCoupon", "createCartMetaConfig", "updateCartMetaConfig", "fetchCartMetaConfig"]
CHECKOUT = ["addAddress", "removeAddress", "selectAddress", "selectPaymentModeV2", "platformCheckoutCartV2"]


def default_run(app, ops):
    """{operationId: {check names}} of a default run (every phase, mode all) over ``ops``, one example each."""
    run = run_conformance(app=app, operation_ids=ops, seed=1, max_examples=1)
    assert set(run.phases) == set(conformance.PHASES) and run.mode == "all"
    return {o.operation_id: {f.check for f in o.findings} for o in run.failed}


def test_stale_item_count_is_caught_by_a_default_run():
    """GET basic answering the first count it gave for a cart, whatever changes: count_follows_changes names getItemCount."""
    found = default_run(StaleCount(fresh()), CART_CORE)
    assert found == {"getItemCount": {"count_follows_changes"}}, found  # and no false alarm on the others


def test_archived_cart_served_empty_is_caught_by_a_default_run():
    """An archived cart's id read back as an empty 2xx cart (another id), not 404: deleted_is_gone names deleteCart."""
    found = default_run(empty_cart_for_unknown_ids(fresh()), CART_CORE)
    assert found == {"deleteCart": {"deleted_is_gone"}}, found


def test_missing_documented_field_is_caught_by_a_default_run():
    """getCart's answers without the cart ``id`` (schema-valid: the documents mark no response field required):
    documented_fields_present names getCart, and only getCart."""
    app = RewriteJson(fresh(), lambda b: {k: v for k, v in b.items() if k != "id"}, "/detail", "GET")
    found = default_run(app, CART_CORE)
    assert found == {"getCart": {"documented_fields_present"}}, found


def test_checkout_not_taking_stock_is_caught_by_a_default_run(monkeypatch):
    """A checkout that places the order but takes no stock: checkout_takes_stock names platformCheckoutCartV2."""
    app = fresh()
    monkeypatch.setattr(Stock, "take", take_nothing)
    found = default_run(app, CART_CORE + CHECKOUT)
    assert found == {"platformCheckoutCartV2": {"checkout_takes_stock"}}, found


def test_checkout_not_idempotent_is_caught_by_a_default_run(monkeypatch):
    """A repeated checkout of the same cart placing a second order (and taking stock again): checkout_idempotent
    names platformCheckoutCartV2."""
    app = fresh()
    checkout = app.sandbox.checkout
    real = type(checkout).checkout

    async def again(scope, cart_id, *args, **kwargs):  # an order already placed is placed again
        async def reopen(tx):
            cart = await tx.carts.get(scope, cart_id)
            if cart is not None and cart.order_id is not None:
                cart.order_id = None
                tx.carts.save(cart)
        await app.sandbox.state.atomically(reopen)
        return await real(checkout, scope, cart_id, *args, **kwargs)

    monkeypatch.setattr(checkout, "checkout", again)
    found = default_run(app, CART_CORE + CHECKOUT)
    assert found == {"platformCheckoutCartV2": {"checkout_idempotent"}}, found
