"""The kit's pytest plugin: installed by the package, its fixtures parametrise a suite over the spec."""
import subprocess
import sys

from broken import RewriteJson
from cartkit import served
from conftest import FROZEN_NOW
from sandbox import Settings, create_app

SUITE = '''
import schemathesis

schema = schemathesis.pytest.from_fixture("cartwright_schema")


@schema.include(operation_id=["getItemCount", "getCart"]).parametrize()
def test_api(case):
    case.call_and_validate()


def test_kit(cartwright):
    run = cartwright.run(operation_ids=["getItemCount", "getCart"], phases="examples,fuzzing", max_examples=3)
    assert run.ok, [f.title for o in run.failed for f in o.findings]
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
    for option in ("--cartwright-base-url", "--cartwright-token", "--cartwright-path-param"):
        assert option in out


def test_plugin_suite_passes_on_the_in_process_sandbox(tmp_path):
    """A suite parametrised over cartwright_schema, and one running the kit, pass on the in-process sandbox."""
    code, out = run_suite(tmp_path)
    assert code == 0, out
    assert "2 passed" in out


def test_plugin_suite_passes_on_a_server_on_a_url(tmp_path):
    """The same suite passes against a clean sandbox served on a loopback port (--cartwright-base-url)."""
    with served(create_app(Settings(frozen_time=FROZEN_NOW))) as port:
        code, out = run_suite(tmp_path, "--cartwright-base-url", f"http://127.0.0.1:{port}",
                              "--cartwright-token", "t0k")
    assert code == 0, out
    assert "2 passed" in out


def test_plugin_suite_fails_on_a_broken_server(tmp_path):
    """Against a broken sandbox on a URL, both the parametrised test and the kit run fail, naming the defect."""
    def rewrite(body):
        body["success"] = "nope"
        return body

    app = RewriteJson(create_app(Settings(frozen_time=FROZEN_NOW)), rewrite, "/detail", "GET")
    with served(app) as port:
        code, out = run_suite(tmp_path, "--cartwright-base-url", f"http://127.0.0.1:{port}",
                              "--cartwright-token", "t0k")
    assert code == 1, out
    assert "2 failed" in out
    assert "Response violates schema" in out and "/detail" in out
