"""`cartwright conform`: the clean sandbox passes, a broken one fails with a report, curl lines and JUnit XML."""
import xml.etree.ElementTree as ET

import pytest

from broken import RewriteJson
from cartkit import served
from conftest import FROZEN_NOW
from conformance.cli import main as conform
from sandbox import Settings, create_app

QUICK = ["getCart", "platformAddItems", "getItemCount", "getCoupons", "getAddresses", "addVoucherToCart"]


def args(*extra, ops=QUICK, examples=5):
    out = ["--seed", "1", "--max-examples", str(examples), "--path-param", "company_id=1",
           "--path-param", "application_id=app-1"]
    for op in ops:
        out += ["--include-operation-id", op]
    return out + list(extra)


@pytest.fixture(scope="module")
def clean_app():
    return create_app(Settings(frozen_time=FROZEN_NOW))


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
    assert "| getCart | 5 | ok |" in report.read_text()


def test_all_operations_pass_on_the_clean_sandbox(clean_app, capsys):
    """Every one of the 59 operations, 3 examples each, passes on the clean sandbox."""
    assert conform(args(ops=[], examples=3), app=clean_app) == 0
    assert "59 passed, 0 failed" in capsys.readouterr().out


def test_read_only_selects_gets(clean_app, tmp_path):
    """--read-only sends only GET operations (the JUnit file lists no other method)."""
    junit = tmp_path / "j.xml"
    assert conform(args("--read-only", "--junit-xml", str(junit), ops=QUICK, examples=2), app=clean_app) == 0
    names = [tc.get("name") for tc in ET.parse(junit).iter("testcase")]
    assert names and all(n.startswith("GET ") for n in names)


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
    assert "FAILED GET" in capsys.readouterr().out


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
    with pytest.raises(SystemExit):
        conform(["--path-param", "company_id"], app=clean_app)


def test_cli_against_a_server_on_a_url(clean_app, capsys):
    """A sandbox served by uvicorn on a loopback port passes with --base-url and the bundled spec."""
    with served(clean_app) as port:
        code = conform(args("--base-url", f"http://127.0.0.1:{port}", "--token", "t0k",
                            "--header", "X-Trace: conformance", examples=3))
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"on http://127.0.0.1:{port}" in out and "6 passed" in out


def test_cartwright_cli_dispatches_conform(clean_app, capsys):
    """`cartwright conform ...` runs the kit (here on a fresh in-process sandbox)."""
    from sandbox._cli import main

    assert main(["conform", *args(ops=["getItemCount"], examples=2)]) == 0
    assert "1 passed, 0 failed" in capsys.readouterr().out
