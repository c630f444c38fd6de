"""The kit's pytest plugin: installed by the package, its fixtures parametrise a suite over the spec."""
import subprocess
import sys

from starlette.testclient import TestClient

from broken import RewriteJson
from cartkit import served
from conftest import FROZEN_NOW
from cartwright.sandbox import Settings, create_app

SUITE = '''
import schemathesis

schema = schemathesis.pytest.from_fixture("cartwright_schema")


@schema.include(operation_id=["getItemCount", "getCart"]).parametrize()
def test_api(case):
    case.call_and_validate()


def test_kit(cartwright):
    run = cartwright.run(operation_ids=["getItemCount", "getCart"], phases="examples,fuzzing", max_examples=3)
    assert run.ok, [f.title for o in run.failed for f in o.findings]


def test_cart_flows(cartwright):
    run = cartwright.run(phases="flows")
    assert run.ok, run.errors + [f.message for o in run.failed for f in o.findings]
'''
OPTIONS = ["--cartwright-seed", "1", "--cartwright-max-examples", "5", "--cartwright-path-param", "company_id=1",
           "--cartwright-path-param", "application_id=app-1"]


def run_suite(tmp_path, *options):
    """Run SUITE in a separate pytest process (the plugin is found through its entry point)."""
    (tmp_path / "test_mine.py").write_text(SUITE)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore",
                           *OPTIONS, *options, str(tmp_path / "test_mine.py")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


def test_plugin_options_are_registered():
    """`pytest --help` lists the --cartwright-* options: the pytest11 entry point is installed."""
    out = subprocess.run([sys.executable, "-m", "pytest", "--help"], capture_output=True, text=True).stdout
    for option in ("--cartwright-base-url", "--cartwright-token", "--cartwright-path-param", "--cartwright-cart-item",
                   "--cartwright-coupon", "--cartwright-allow-writes", "--cartwright-allow-orders"):
        assert option in out


def cart_items(app):
    """Two ``--cartwright-cart-item`` options naming items the app sells and has in stock."""
    with TestClient(app) as client:
        products = client.get("/_cartwright/catalog").json()["products"]
    items = [f"{p['item_id']}:{s['size']}" for p in products for s in p["sizes"][:1]
             if any(a["stock"] >= 8 for a in s["articles"])][:2]
    return [arg for item in items for arg in ("--cartwright-cart-item", item)]


def test_plugin_suite_passes_on_the_in_process_sandbox(tmp_path):
    """A suite parametrised over cartwright_schema, one running the kit and the README's flows test pass in process."""
    code, out = run_suite(tmp_path)
    assert code == 0, out
    assert "3 passed" in out


def test_plugin_suite_passes_on_a_server_on_a_url(tmp_path):
    """The same suite passes against a clean sandbox served on a loopback port, given known items."""
    app = create_app(Settings(frozen_time=FROZEN_NOW))
    with served(app) as port:
        code, out = run_suite(tmp_path, "--cartwright-base-url", f"http://127.0.0.1:{port}",
                              "--cartwright-token", "t0k", *cart_items(app), "--cartwright-coupon", "WELCOME10")
    assert code == 0, out
    assert "3 passed" in out


def test_plugin_flows_fail_without_known_items_on_a_url(tmp_path):
    """Asked for the flows against a URL with no --cartwright-cart-item, the README's test fails saying what to pass."""
    with served(create_app(Settings(frozen_time=FROZEN_NOW))) as port:
        code, out = run_suite(tmp_path, "--cartwright-base-url", f"http://127.0.0.1:{port}",
                              "--cartwright-token", "t0k", "-k", "test_cart_flows")
    assert code == 1, out
    assert "1 failed" in out and "phase flows was asked for but did not run" in out and "--cart-item" in out


def test_plugin_suite_fails_on_a_broken_server(tmp_path):
    """Against a broken sandbox on a URL, both the parametrised test and the kit run fail, naming the defect."""
    def rewrite(body):
        body["success"] = "nope"
        return body

    sandbox = create_app(Settings(frozen_time=FROZEN_NOW))
    app = RewriteJson(sandbox, rewrite, "/detail", "GET")
    with served(app) as port:
        code, out = run_suite(tmp_path, "--cartwright-base-url", f"http://127.0.0.1:{port}",
                              "--cartwright-token", "t0k", *cart_items(sandbox), "-k", "not test_cart_flows")
    assert code == 1, out
    assert "2 failed" in out
    assert "Response violates schema" in out and "/detail" in out


def test_plugin_works_in_a_project_with_its_own_sandbox_and_conformance_packages(tmp_path):
    """A user's project with its own top-level ``sandbox`` and ``conformance`` packages (first on sys.path, as the
    working directory is) still gets the plugin and an in-process sandbox: the kit imports only ``cartwright.*``."""
    for name in ("sandbox", "conformance"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f'OWNER = "the user\'s own {name}"\n')
    (tmp_path / "test_own.py").write_text('''
import conformance
import sandbox


def test_own_packages_are_the_users():
    assert sandbox.OWNER == "the user's own sandbox" and conformance.OWNER == "the user's own conformance"
''')
    code, out = run_suite(tmp_path, "-k", "test_kit or test_own", str(tmp_path / "test_own.py"))
    assert code == 0, out
    assert "2 passed" in out
