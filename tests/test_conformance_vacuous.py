"""Never green without having tested: each way a run could pass without testing fails it, naming the reason and
what to pass; what is not run is reported as not run (summary, report, JUnit), never as passed."""
import io
import re
import xml.etree.ElementTree as ET

from starlette.testclient import TestClient

from cartkit import served
from conftest import FROZEN_NOW
from cartwright.conformance import histogram, run_conformance
from cartwright.conformance.cli import main as conform
from cartwright.sandbox import Settings, create_app

IDS = ["--path-param", "company_id=1", "--path-param", "application_id=app-1"]


def items_of(app, n=2):
    with TestClient(app) as client:
        products = client.get("/_cartwright/catalog").json()["products"]
    found = [f"{p['item_id']}:{s['size']}" for p in products for s in p["sizes"][:1]
             if any(a["stock"] >= 8 for a in s["articles"])]
    return found[:n]


def test_wrong_token_fails_the_run(tmp_path, capsys):
    """Every answer 401 (the sandbox wants another token): exit 1, a run error naming --token, and the reports
    show the 401s and no 2xx (not a clean run)."""
    app = create_app(Settings(frozen_time=FROZEN_NOW, tokens=frozenset({"secret"})))
    report, junit = tmp_path / "r.md", tmp_path / "j.xml"
    code = conform(["--token", "WRONG", "--include-tag", "cart", "--seed", "1", "--max-examples", "2", *IDS,
                    "--phases", "examples,fuzzing", "--report", str(report), "--junit-xml", str(junit)], app=app)
    out = capsys.readouterr().out
    assert code == 1, out
    assert "every one of the run's" in out and "answers was 401/403" in out and "--token" in out
    assert "0 passed" in out and "0 2xx" in out
    text = report.read_text()
    assert "verdict: FAILED" in text and "of which 2xx: 0" in text and "| 401×" in text
    cases = {tc.get("classname"): tc for tc in ET.parse(junit).iter("testcase")}
    assert "401×" in cases["getCart"].find("system-out").text and cases["run"].find("error") is not None


def test_flows_asked_for_without_items_fails_against_a_url(capsys):
    """--phases flows against a URL with no --cart-item: exit 1, the phase did not run, and the message says to
    give --cart-item (it used to print 'N passed' having sent nothing)."""
    with served(create_app(Settings(frozen_time=FROZEN_NOW))) as port:
        code = conform(["--base-url", f"http://127.0.0.1:{port}", "--token", "t", "--phases", "flows", *IDS])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "phase flows was asked for but did not run: no known item: give --cart-item" in out


def test_flows_asked_for_without_path_params_fails(capsys):
    """--phases flows with --cart-item but no company/application ids against a URL: exit 1 naming --path-param."""
    app = create_app(Settings(frozen_time=FROZEN_NOW))
    item = items_of(app, 1)[0]
    with served(app) as port:
        code = conform(["--base-url", f"http://127.0.0.1:{port}", "--token", "t", "--phases", "flows",
                        "--cart-item", item])
    out = capsys.readouterr().out
    assert code == 1 and "phase flows was asked for but did not run: give --path-param company_id" in out, out


def test_stateful_asked_for_with_nothing_to_chain_fails(capsys):
    """--phases stateful on a selection without links: exit 1, the phase did not run."""
    code = conform(["--phases", "stateful", "--include-operation-id", "getCoupons", "--seed", "1", *IDS],
                   app=create_app(Settings(frozen_time=FROZEN_NOW)))
    out = capsys.readouterr().out
    assert code == 1 and "phase stateful was asked for but did not run: nothing to chain" in out, out


def test_default_run_on_a_url_without_items_reports_flows_not_run_and_fails_untested_operations(tmp_path, capsys):
    """The default phases against a URL with no known item: the flows are *not run* (summary, report, JUnit
    skipped case), and the operations whose success path nothing reached fail with 'No 2xx answer', naming
    --cart-item; operations that did answer 2xx pass."""
    report, junit = tmp_path / "r.html", tmp_path / "j.xml"
    # Another catalog than the spec's examples were recorded on (seed 2026): the items they add are not sold here.
    with served(create_app(Settings(frozen_time=FROZEN_NOW, seed=7))) as port:
        code = conform(["--base-url", f"http://127.0.0.1:{port}", "--token", "t", "--seed", "1", "--max-examples",
                        "2", *IDS, "--include-operation-id", "platformAddItems", "--include-operation-id",
                        "getCoupons", "--report", str(report), "--junit-xml", str(junit)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "not run: phase flows: no known item: give --cart-item" in out
    assert "1 passed, 1 failed" in out
    page = report.read_text()
    assert "<h2>Not run</h2>" in page and "No 2xx answer: not tested" in page and "--cart-item" in page
    skipped = [tc.get("name") for tc in ET.parse(junit).iter("testcase") if tc.find("skipped") is not None]
    assert "phase flows" in skipped  # (and the stateful phase: two operations have no links to chain)
    root = ET.parse(junit).getroot().find("testsuite")
    assert root.get("skipped") == str(len(skipped)) and root.get("failures") == "1"


def test_flows_that_cannot_build_a_cart_fail(capsys):
    """--cart-item naming items the deployment does not sell: the flows cannot build a cart, exit 1 saying so."""
    app = create_app(Settings(frozen_time=FROZEN_NOW))
    with served(app) as port:
        code = conform(["--base-url", f"http://127.0.0.1:{port}", "--token", "t", "--phases", "flows", *IDS,
                        "--cart-item", "1:XL", "--cart-item", "2:XL"])
    out = capsys.readouterr().out
    assert code == 1 and "could not create a cart (give --cart-item" in out, out


def test_writes_and_orders_need_permission_against_a_url(tmp_path, capsys):
    """Against a URL, operations changing application-wide settings (and placing orders) are not run without
    --allow-writes (--allow-orders): reported as not run, a skipped JUnit case each; named explicitly, they fail
    the run naming the option."""
    junit = tmp_path / "j.xml"
    app = create_app(Settings(frozen_time=FROZEN_NOW))
    items = [arg for item in items_of(app) for arg in ("--cart-item", item)]
    with served(app) as port:
        url = ["--base-url", f"http://127.0.0.1:{port}", "--token", "t", "--seed", "1", "--max-examples", "2", *IDS]
        code = conform([*url, *items, "--include-tag", "cart configuration", "--include-operation-id",
                        "platformAddItems", "--phases", "examples,fuzzing,flows", "--junit-xml", str(junit)])
        out = capsys.readouterr().out
        asked = conform([*url, *items, "--include-operation-id", "createCoupon", "--include-operation-id",
                         "checkoutCart", "--include-operation-id", "platformAddItems", "--phases", "fuzzing"])
        asked_out = capsys.readouterr().out
    assert code == 0, out
    assert "2 passed, 0 failed, 2 not run" in out and "pass --allow-writes" in out
    skipped = {tc.get("classname") for tc in ET.parse(junit).iter("testcase") if tc.find("skipped") is not None}
    assert {"createCartMetaConfig", "updateCartMetaConfig"} <= skipped and "fetchCartMetaConfig" not in skipped
    # the read found the application's (default) configuration: tested, with a 2xx
    assert re.search(r"2xx: [1-9]", ET.parse(junit).find(".//testcase[@classname='fetchCartMetaConfig']/system-out")
                     .text)
    assert asked == 1, asked_out
    assert "createCoupon was asked for but may not run against a URL" in asked_out and "--allow-writes" in asked_out
    assert "checkoutCart was asked for but may not run against a URL" in asked_out and "--allow-orders" in asked_out


def test_progress_bars_on_a_terminal_and_lines_in_a_log():
    """On a terminal each phase draws a bar with operations done, cases and failures; without one the lines
    carry the same counts (and a line every interval during a long phase)."""
    from rich.console import Console

    from cartwright.conformance._progress import Progress

    screen = io.StringIO()
    run = run_conformance(app=create_app(Settings(frozen_time=FROZEN_NOW)), operation_ids=["getCoupons"], seed=1,
                          max_examples=2, phases="examples,fuzzing",
                          console=Console(file=screen, force_terminal=True, width=160))
    assert run.ok
    drawn = screen.getvalue()
    assert "fuzzing" in drawn and "1/1" in drawn and "cases" in drawn and "failure(s)" in drawn
    lines = []
    show = Progress(lines.append, interval=0)
    show.phase_started("coverage", 3)
    show.advance(operations=1, cases=40)
    show.phase_finished("success")
    assert lines[0] == "phase coverage: started (3 operation(s))"
    assert lines[1].startswith("phase coverage: 1/3 operation(s), 40 case(s), 0 failure(s)") and "so far" in lines[1]
    assert lines[2].startswith("phase coverage: success, 1/3 operation(s), 40 case(s)")


def test_hypothesis_files_go_to_the_cache_folder(tmp_path, monkeypatch):
    """A run leaves no .hypothesis/ in the working directory: Hypothesis's files go under the kit's cache folder."""
    monkeypatch.chdir(tmp_path / ".")
    cache = tmp_path / "cache"
    monkeypatch.setenv("CARTWRIGHT_CACHE_DIR", str(cache))
    run = run_conformance(app=create_app(Settings(frozen_time=FROZEN_NOW)), operation_ids=["getCoupons"],
                          max_examples=2, phases="fuzzing")  # no seed: the example database is used
    assert run.ok and histogram(run.operations[0].statuses).startswith("200×")
    assert not (tmp_path / ".hypothesis").exists()
    assert (cache / "hypothesis").is_dir()
