"""`cartwright conform`: the clean sandbox passes, a broken one fails with a report, curl lines and JUnit XML."""
import re
import xml.etree.ElementTree as ET

import pytest

from broken import RewriteJson
from cartkit import served
from conftest import FROZEN_NOW
from cartwright.conformance import run_conformance
from cartwright.conformance.cli import main as conform
from cartwright.sandbox import Settings, create_app
from starlette.testclient import TestClient

QUICK = ["getCart", "platformAddItems", "getItemCount", "getCoupons", "getAddresses", "addVoucherToCart"]
# The quick passes skip the coverage phase (it enumerates every schema boundary: most of a full run's time).
FAST = "examples,fuzzing,stateful,flows"


def args(*extra, ops=QUICK, examples=5, phases=FAST):
    out = ["--seed", "1", "--max-examples", str(examples), "--path-param", "company_id=1",
           "--path-param", "application_id=app-1"] + (["--phases", phases] if phases else [])
    for op in ops:
        out += ["--include-operation-id", op]
    return out + list(extra)


@pytest.fixture(scope="module")
def clean_app():
    return create_app(Settings(frozen_time=FROZEN_NOW))


def sellable(app, n=2):
    """``n`` add-to-cart items (different products, in stock) from the app's admin catalog."""
    with TestClient(app) as client:
        products = client.get("/_cartwright/catalog").json()["products"]
    items = [{"item_id": p["item_id"], "item_size": s["size"]} for p in products for s in p["sizes"]
             if any(a["stock"] >= 8 for a in s["articles"])]
    return list({i["item_id"]: i for i in items}.values())[:n]


def populate(app):
    """An application already in use (as a read-only run meets one): a user's cart, their address, a share link
    and a cart configuration. Returns the share token (the one id no list gives)."""
    from conftest import AUTH, BASE

    with TestClient(app, headers=AUTH) as client:
        cart_id = client.post(f"{BASE}/detail", json={"user_id": "reader", "items": [
            {**sellable(app, 1)[0], "quantity": 1}]}).json()["cart"]["id"]
        pin = next(p["pincode"] for p in client.get("/_cartwright/catalog").json()["pincodes"] if p["serviceable"])
        assert client.post(f"{BASE}/address", json={"user_id": "reader", "area_code": pin, "name": "R",
                                                    "address": "x"}).status_code == 200
        assert client.post(f"{BASE}/cart_configuration", json={"max_cart_items": 50}).status_code == 201
        return client.post(f"{BASE}/share-cart", json={"id": cart_id}).json()["token"]


@pytest.fixture(scope="module")
def broken_app():
    """GET detail answers with ``success`` as a string: off-spec whatever the status."""
    def rewrite(body):
        body["success"] = "nope"
        return body

    return RewriteJson(create_app(Settings(frozen_time=FROZEN_NOW)), rewrite, "/detail", "GET")


def test_quick_kit_pass(clean_app, tmp_path, capsys):
    """CI's quick kit pass: a handful of operations on the in-process sandbox, exit code 0, progress shown."""
    report = tmp_path / "r.md"
    assert conform(args("--report", str(report)), app=clean_app) == 0
    out = capsys.readouterr().out
    assert "[1/6]" in out and "6 passed, 0 failed" in out
    for phase in ("examples", "fuzzing", "stateful", "flows"):
        assert f"phase {phase}: success" in out
    assert "phase coverage" not in out
    # the report gives each operation's answers by status and its count of 2xx answers
    assert re.search(r"\| getCart \| [1-9]\d* \| (\d+×\d+ ?)+ \| [1-9]\d* \| ok \|", report.read_text())


def test_default_run_passes_every_operation_on_the_clean_sandbox(capsys):
    """The default run (all five phases, positive and negative data) on a fresh sandbox: 59 operations, zero failures."""
    code = conform(["--seed", "3", "--max-examples", "3", "--path-param", "company_id=1",
                    "--path-param", "application_id=app-1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "59 passed, 0 failed" in out and "mode all" in out
    for phase in ("examples", "coverage", "fuzzing", "stateful", "flows"):
        assert f"phase {phase}: success" in out


def test_read_only_selects_gets(tmp_path):
    """--read-only sends only GET operations (the JUnit file lists no other method); on an application in use
    the reads find carts and addresses to read."""
    junit, app = tmp_path / "j.xml", create_app(Settings(frozen_time=FROZEN_NOW))
    populate(app)
    assert conform(args("--read-only", "--junit-xml", str(junit), ops=QUICK, examples=2, phases="examples,fuzzing"),
                   app=app) == 0
    names = [tc.get("name") for tc in ET.parse(junit).iter("testcase")]
    assert names and all(n.startswith("GET ") for n in names)


def test_read_only_sends_no_write(capsys):
    """--read-only with the default phases sends nothing but GET: the flows phase, which writes, is reported as
    not run; every GET operation finds something to read on an application in use (the share token given)."""
    app, methods = create_app(Settings(frozen_time=FROZEN_NOW)), set()
    token = populate(app)

    async def recording(scope, receive, send):
        if scope["type"] == "http":
            methods.add(scope["method"])
        await app(scope, receive, send)

    code = conform(args("--read-only", "--path-param", f"token={token}", ops=[], examples=2, phases=None),
                   app=recording)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "not run: phase flows: a read-only run sends no writes" in out
    assert methods == {"GET"}, methods


def test_html_report(broken_app, tmp_path):
    """--report PATH.html writes an HTML page naming the failed operation, its check and an escaped curl line."""
    report = tmp_path / "r.html"
    assert conform(args("--report", str(report), "--quiet", ops=["getCart", "getItemCount"]), app=broken_app) == 1
    page = report.read_text()
    assert page.startswith("<!doctype html>") and "FAILED" in page
    failures = page.split("<h2>Failures</h2>", 1)[1]
    assert "getCart" in failures and "response_schema_conformance" in failures and "curl -X GET" in failures
    assert "getItemCount" not in failures


def test_same_seed_sends_the_same_requests():
    """Two runs with the same seed on fresh sandboxes send the same requests in the same order."""
    def requests_sent():
        app, sent = create_app(Settings(frozen_time=FROZEN_NOW, id_seed=0)), []

        async def recording(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            body = b""

            async def receive_body():
                nonlocal body
                message = await receive()
                body += message.get("body", b"")
                return message

            await app(scope, receive_body, send)
            sent.append((scope["method"], scope["path"], scope["query_string"], body))

        assert conform(args("--quiet", examples=5), app=recording) == 0
        return sent

    first = requests_sent()
    assert len(first) > 10 and first == requests_sent()


def test_broken_sandbox_fails_with_report_and_curl(broken_app, tmp_path, capsys):
    """An off-spec answer exits 1; the report names the operation and gives a curl line reproducing it."""
    report = tmp_path / "r.md"
    assert conform(args("--report", str(report)), app=broken_app) == 1
    text = report.read_text()
    failures = text.split("## Failures", 1)[1]
    assert "getCart" in failures and "/detail" in failures
    assert "getItemCount" not in failures  # only the broken operation fails
    # curl aims at `cartwright serve`'s address; the token is filtered out (CI logs may be public)
    assert "curl -X GET" in failures and "http://127.0.0.1:8080/service/" in failures
    assert "Authorization: [Filtered]" in failures
    out = capsys.readouterr().out
    assert "FAILED GET" in out and "Reproduce:" in out


def test_junit_xml_records_the_failure(broken_app, tmp_path):
    """The JUnit file has a test case per operation and a failure, with its curl line, on the broken one."""
    junit = tmp_path / "j.xml"
    assert conform(args("--junit-xml", str(junit), "--quiet"), app=broken_app) == 1
    cases = {tc.get("classname"): tc for tc in ET.parse(junit).iter("testcase")}
    assert set(cases) == set(QUICK)
    assert cases["getCart"].find("failure") is not None
    assert "curl" in cases["getCart"].find("failure").text
    assert all(cases[op].find("failure") is None for op in QUICK if op != "getCart")


def test_bad_usage_exits_2(clean_app, capsys):
    """An empty selection exits 2, and a malformed --path-param is a usage error."""
    assert conform(args(ops=["noSuchOperation"]), app=clean_app) == 2
    assert conform(args(phases="examples,sideways"), app=clean_app) == 2
    assert conform(args("--check", "no_such_check"), app=clean_app) == 2
    assert conform(args(examples=0), app=clean_app) == 2
    for bad in (["--path-param", "company_id"], ["--cart-item", "shoe:M"], ["--mode", "sideways"]):
        with pytest.raises(SystemExit):
            conform(bad, app=clean_app)


@pytest.mark.parametrize("option, words", [
    (["--rate-limit", "abc"], ["Invalid rate limit value", "abc"]),
    (["--workers", "0"], ["--workers", "must be above 0"]),
    (["--request-timeout", "soon"], ["--request-timeout", "not a number"]),
])
def test_conform_refuses_a_bad_option_in_one_line(capsys, option, words):
    """`cartwright conform` with an option it (or Schemathesis) cannot take: exit 2 and one line naming it."""
    from cartwright.sandbox._cli import main

    try:
        code = main(["conform", *option, "--include-operation-id", "getItemCount", "--quiet"])
    except SystemExit as exit:   # argparse's usage error
        code = exit.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith("cartwright conform: ") and all(w in err[-1] for w in words), err


def test_cli_against_a_server_on_a_url(clean_app, capsys):
    """A sandbox served by uvicorn on a loopback port passes with --base-url, the bundled spec and known items."""
    items = [f"{i['item_id']}:{i['item_size']}" for i in sellable(clean_app)]
    with served(clean_app) as port:
        code = conform(args("--base-url", f"http://127.0.0.1:{port}", "--token", "t0k", "--rate-limit", "500/s",
                            "--request-timeout", "10", "--header", "X-Trace: conformance", "--cart-item", items[0],
                            "--cart-item", items[1], examples=3))
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"on http://127.0.0.1:{port}" in out and "6 passed" in out
    assert "flows: check_count_follows_changes: ok" in out


def test_flows_against_a_server_with_cart_items(clean_app, capsys):
    """Against a URL the flows phase runs on the --cart-item items and the --coupon code given."""
    with TestClient(clean_app) as client:
        products = client.get("/_cartwright/catalog").json()["products"]
    items = [f"{p['item_id']}:{s['size']}" for p in products for s in p["sizes"]
             if any(a["stock"] >= 4 for a in s["articles"])][:2]
    with served(clean_app) as port:
        code = conform(args("--base-url", f"http://127.0.0.1:{port}", "--token", "t", "--cart-item", items[0], "--cart-item",
                            items[1], "--coupon", "WELCOME10", ops=["platformAddItems"], phases="flows"))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "flows: check_coupon_round_trip: ok" in out and "flows: check_deleted_is_gone: ok" in out


def test_cartwright_cli_dispatches_conform(clean_app, capsys):
    """`cartwright conform ...` runs the kit (here on a fresh in-process sandbox)."""
    from cartwright.sandbox._cli import main

    assert main(["conform", *args(ops=["getItemCount"], examples=2, phases="examples,fuzzing")]) == 0
    assert "1 passed, 0 failed" in capsys.readouterr().out


def test_request_timeout_is_reported_with_the_operation(clean_app):
    """--request-timeout: an operation slower than the limit is a failure naming it; the others pass."""
    import asyncio

    async def slow_count(scope, receive, send):
        if scope["type"] == "http" and scope["path"].endswith("/basic"):
            await asyncio.sleep(1.5)
        await clean_app(scope, receive, send)

    with served(slow_count) as port:
        run = run_conformance(base_url=f"http://127.0.0.1:{port}", token="t", seed=1, max_examples=2,
                              operation_ids=["getItemCount", "getCoupons"], phases="fuzzing", request_timeout=0.3,
                              path_params={"company_id": "1", "application_id": "app-1"})
    assert [o.operation_id for o in run.failed] == ["getItemCount"]
    assert "timed out" in run.failed[0].findings[0].message


def test_rate_limit_paces_requests(clean_app):
    """--rate-limit 5/s: the run takes at least as long as its requests need at that pace."""
    import time

    sent = []

    async def counting(scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/service/"):
            sent.append(time.monotonic())
        await clean_app(scope, receive, send)

    with served(counting) as port:
        run = run_conformance(base_url=f"http://127.0.0.1:{port}", token="t", seed=1, max_examples=5,
                              operation_ids=["getItemCount", "getCoupons"], phases="fuzzing", rate_limit="5/s",
                              path_params={"company_id": "1", "application_id": "app-1"},
                              cart_items=sellable(clean_app))
    assert run.ok and len(sent) >= 10
    assert sent[-1] - sent[0] >= (len(sent) - 5) / 5  # at most 5 in any second, bursts included


def test_ignored_auth_is_opt_in_and_holds_when_the_sandbox_checks_tokens():
    """--check ignored_auth flags the open default sandbox, and passes one started with required tokens."""
    def auth_findings(app):
        run = run_conformance(app=app, operation_ids=["getCoupons"], seed=1, max_examples=3, phases="fuzzing",
                              enable_checks=["ignored_auth"], path_params={"company_id": "1", "application_id": "a"})
        assert "ignored_auth" in run.checks
        return {f.check for o in run.operations for f in o.findings}

    assert auth_findings(create_app(Settings(frozen_time=FROZEN_NOW))) == {"ignored_auth"}
    assert auth_findings(create_app(Settings(frozen_time=FROZEN_NOW, tokens=frozenset({"sandbox"})))) == set()


def test_generated_add_to_cart_requests_hold_real_items(clean_app):
    """In process, most positive add-to-cart cases carry a catalog item and succeed, so the links out of them are followed."""
    statuses = []

    async def recording(scope, receive, send):
        async def status(message):
            if (message["type"] == "http.response.start" and scope["method"] == "POST"
                    and scope["path"].endswith("/detail")):
                statuses.append(message["status"])
            await send(message)

        await clean_app(scope, receive, status)

    run = run_conformance(app=recording, operation_ids=["platformAddItems", "getCart", "getItemCount"], seed=1,
                          max_examples=20, phases="fuzzing,stateful", mode="positive",
                          path_params={"company_id": "1", "application_id": "app-1"})
    assert run.ok
    assert statuses.count(200) >= len(statuses) // 3, statuses
