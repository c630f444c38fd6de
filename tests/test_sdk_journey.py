"""The official JavaScript SDK (@gofynd/fdk-client-javascript) drives every cart operation it has against a sandbox
on a real socket, and finds nothing to complain about.

`make test` installs Node (when the machine has none) and the SDK (npm ci in tests/sdk); tests/sdk/journey.js is
the client. It reports each step's status, every validation complaint the SDK made about requests and responses,
every exception, and the SDK methods it did not call.
"""
import json
import os
import shutil
import subprocess

import pytest

from broken import RewriteJson
from cartkit import served
from conftest import ROOT, reset_state

SDK_DIR = ROOT / "tests" / "sdk"
# The SDK's platform cart methods that the API document does not have: the sandbox answers them as it answers
# any undocumented path or method (spec/sandbox-behaviour.md, "The official JavaScript SDK").
NOT_DOCUMENTED = {"getCouponOptionValues": 404, "updateCouponPartially": 405, "updatePromotionPartially": 405,
                  "platformCheckoutCart": 404}


def journey(app, openapi) -> dict:
    """Serve ``app`` on a loopback port and run the SDK journey against it; its report."""
    node = shutil.which("node")
    if node is None or not (SDK_DIR / "node_modules" / "@gofynd" / "fdk-client-javascript").is_dir():
        pytest.fail("the SDK journey needs Node and tests/sdk/node_modules: run `make sdk` (`make test` does)")
    voucher = openapi["components"]["schemas"]["EnKashAddToCartRequest"]["example"]
    with served(app) as port:
        run = subprocess.run([node, str(SDK_DIR / "journey.js"), f"http://127.0.0.1:{port}"], cwd=SDK_DIR,
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, "ENKASH_REQUEST": json.dumps(voucher)})
    assert run.returncode == 0, run.stderr[-4000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def report(session_app, openapi):
    reset_state(session_app)
    return journey(session_app, openapi)


def test_the_sdk_journey_touches_every_cart_operation_the_sdk_has(report):
    """Every method of the SDK's platform cart client is called (over 60 of them), with no crash on the way."""
    assert report["crashed"] is None, report["crashed"]
    assert report["not_called"] == [] and len(report["offered"]) > 60
    assert {"platformCheckoutCartV2", "checkoutCart", "overrideCart", "selectPaymentMode", "selectPaymentModeV2",
            "updateCartWithSharedItems", "getAbandonedCart", "updateCartMetaConfig"} <= set(report["offered"])


def test_the_sdk_has_nothing_to_complain_about(report):
    """Zero request or response validation complaints, zero unexpected statuses, zero exceptions."""
    assert report["complaints"] == []
    assert report["failed"] == []
    assert all(step["ok"] for step in report["steps"])


def test_what_the_sdk_has_and_the_document_does_not_is_answered_as_undocumented(report):
    """The SDK's four cart methods the document lacks get the sandbox's 404 / 405, and only those."""
    refused = {s["method"]: s["status"] for s in report["steps"] if s["status"] != 200}
    assert refused == NOT_DOCUMENTED


def test_the_journey_counts_what_the_sdk_says_about_an_off_model_answer(session_app, openapi):
    """A sandbox whose item count is a string is reported: the SDK's response check complains, naming the step."""
    reset_state(session_app)

    def off_model(body):
        body["user_cart_items_count"] = "three"
        return body

    broken = journey(RewriteJson(session_app, off_model, "/basic", "GET"), openapi)
    assert [c["step"] for c in broken["complaints"]] == ["getItemCount"]
    assert "user_cart_items_count" in broken["complaints"][0]["detail"]
