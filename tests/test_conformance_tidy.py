"""Leaving no mess: a run against a served sandbox leaves its application's cart configuration, coupons,
promotions and open carts as they were; what the API cannot undo is listed in the report."""
import copy

from starlette.testclient import TestClient

from cartkit import served
from conftest import AUTH, BASE, FROZEN_NOW
from cartwright.conformance import _tidy, markdown_report, run_conformance
from cartwright.sandbox import Settings, create_app

PATH_PARAMS = {"company_id": "1", "application_id": "app-1"}
OFFERS_AND_CONFIG = ["createCartMetaConfig", "updateCartMetaConfig", "fetchCartMetaConfig", "getCoupons",
                     "createCoupon", "getCouponById", "updateCoupon", "deleteCoupon", "getPromotions",
                     "createPromotion", "getPromotionById", "updatePromotion", "deletePromotion", "platformAddItems"]
CONFIG = {"max_cart_items": 40, "min_cart_value": 0,
          "delivery_charges": {"enabled": True, "charges": [{"threshold": 999, "charges": 29}]}}


def observed(client):
    """What the application shows: its configuration (or the 404), coupons, promotions and open carts."""
    def pages(url):
        docs, page = {}, 0
        while True:
            body = client.get(f"{url}&page_no={page}&page_size=50").json()
            docs.update({d["_id"]: d for d in body["items"]})
            if not body["page"]["has_next"]:
                return docs
            page += 1

    def offer(doc):  # the server stamps these dates when a document is written back
        doc = copy.deepcopy(doc)
        for stamp in _tidy.STAMPS:
            doc.get("date_meta", {}).pop(stamp, None)
        return doc

    config = client.get(f"{BASE}/cart_configuration")
    return {"config": (config.status_code, config.json()),
            "coupons": {i: offer(d) for flag in ("false", "true")
                        for i, d in pages(f"{BASE}/coupon?is_archived={flag}").items()},
            "promotions": {i: offer(d) for flag in ("true", "false")
                           for i, d in pages(f"{BASE}/promotion?is_active={flag}").items()},
            "carts": sorted(c["cart_id"] for c in client.get(f"{BASE}/cart-list").json()["data"])}


def served_run(app, port, items):
    return run_conformance(base_url=f"http://127.0.0.1:{port}", token="t", seed=2, max_examples=3,
                           operation_ids=OFFERS_AND_CONFIG, phases="examples,fuzzing,stateful,flows",
                           path_params=PATH_PARAMS, cart_items=items, allow_writes=True)


def sellable(client):
    products = client.get("/_cartwright/catalog").json()["products"]
    return [{"item_id": p["item_id"], "item_size": s["size"]} for p in products for s in p["sizes"][:1]
            if any(a["stock"] >= 8 for a in s["articles"])][:2]


def test_run_with_writes_leaves_an_existing_configuration_coupons_and_promotions_as_they_were():
    """--allow-writes against a served sandbox whose application has a cart configuration: afterwards the
    configuration (its id included), every coupon, promotion (but the dates the server stamps on a write) and
    open cart read back as before, and nothing is listed as left behind, though the run wrote all of them."""
    app = create_app(Settings(frozen_time=FROZEN_NOW))
    with TestClient(app, headers=AUTH) as client:
        assert client.post(f"{BASE}/cart_configuration", json=CONFIG).status_code == 201
        client.post(f"{BASE}/detail", json={"user_id": "someone", "items": [{**sellable(client)[0], "quantity": 1}]})
        before, items = observed(client), sellable(client)
    with served(app) as port:
        run = served_run(app, port, items)
    with TestClient(app, headers=AUTH) as client:
        after = observed(client)
    wrote = {o.operation_id for o in run.operations if o.successes}
    assert {"createCoupon", "updateCoupon", "createPromotion", "updatePromotion", "updateCartMetaConfig"} <= wrote
    assert after == before
    assert run.ok and run.leftovers == [], markdown_report(run)


def test_run_with_writes_leaves_the_default_configuration_as_it_was():
    """On an application still at its default cart configuration (every application starts with one), the run's
    writes to it are put back: it reads back as before, its id included, and nothing is listed as left behind."""
    app = create_app(Settings(frozen_time=FROZEN_NOW))
    with TestClient(app, headers=AUTH) as client:
        before, items = observed(client), sellable(client)
    assert before["config"][0] == 200
    with served(app) as port:
        run = served_run(app, port, items)
    with TestClient(app, headers=AUTH) as client:
        after = observed(client)
    assert "updateCartMetaConfig" in {o.operation_id for o in run.operations if o.successes}
    assert after == before
    assert run.ok and run.leftovers == [], markdown_report(run)


def test_restore_on_a_deployment_without_configuration_lists_what_it_cannot_undo():
    """Where the application had no configuration (GET 404, as a deployment may answer), the API has no delete:
    the one the run made is switched off ({"enabled": false}, which acts like none) and listed as left behind."""
    app = create_app(Settings(frozen_time=FROZEN_NOW))
    with TestClient(app, headers=AUTH) as client:
        before = _tidy.snapshot(client, BASE)
        before.config = None   # as it read on a deployment without one
        assert client.post(f"{BASE}/cart_configuration", json=CONFIG).status_code == 201
        left = _tidy.restore(client, BASE, before)
        config = client.get(f"{BASE}/cart_configuration").json()
    assert {k: v for k, v in config.items() if k != "_id"} == {"enabled": False}
    assert len(left) == 1 and "the application had none; the run created one" in left[0]


def test_restore_puts_back_each_kind_of_change():
    """_tidy.restore undoes what a run can do to offers and the configuration: a created approved coupon is moved
    to draft and deleted, a changed promotion and configuration get their documents back, a deleted draft coupon
    is created again (under a new id, listed)."""
    app = create_app(Settings(frozen_time=FROZEN_NOW))
    with TestClient(app, headers=AUTH) as client:
        assert client.post(f"{BASE}/cart_configuration", json=CONFIG).status_code == 201
        draft = {"code": "DRAFTY", "type_slug": "percentage", "_schedule": {"status": "draft"},
                 "rule_definition": {"type": "percentage"}, "rule": [{"key": 1, "value": 5}]}
        draft_id = client.post(f"{BASE}/coupon", json=draft).json()["_id"]
        snapshot = _tidy.snapshot(client, BASE)
        promotion = next(iter(snapshot.promotions.values()))
        config = snapshot.config
        # what a run might do
        client.post(f"{BASE}/coupon", json={**draft, "code": "LIVE", "_schedule": {"status": "approved"}})
        client.put(f"{BASE}/promotion/{promotion['_id']}", json={
            **{k: v for k, v in promotion.items() if k != "_id"}, "_schedule": {"status": "paused"}})
        client.put(f"{BASE}/cart_configuration/{config['_id']}", json={"enabled": False})
        assert client.delete(f"{BASE}/coupon/{draft_id}").status_code == 200
        assert _tidy.differences(snapshot, _tidy.snapshot(client, BASE))
        left = _tidy.restore(client, BASE, snapshot)
        after = _tidy.snapshot(client, BASE)
    [note] = left
    assert note.startswith(f"coupon 'DRAFTY' ({draft_id}) was deleted by the run; created again as "), left
    again = note.rsplit(" ", 1)[1]
    assert set(_tidy.differences(snapshot, after)) == {f"coupon 'DRAFTY' ({again}) was created",
                                                       f"coupon 'DRAFTY' ({draft_id}) was deleted"}
    assert after.config == snapshot.config
    assert after.promotions[promotion["_id"]]["_schedule"] == promotion["_schedule"]
    assert all(d.get("code") != "LIVE" for d in after.coupons.values())
