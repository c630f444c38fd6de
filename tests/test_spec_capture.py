"""The spec is reproducible from the texts and loads in the tools that use it."""
import os
import re
import shutil
import subprocess
import sys
import warnings

from openapi_spec_validator import validate

from conftest import ROOT

METHODS = ("get", "put", "post", "delete", "patch")


def operations(openapi):
    for path, item in openapi["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def test_capture_reproduces_committed_spec(capture, seeds):
    """Re-running the capture tool over the seeds and decisions (recording the examples again) gives the
    committed spec byte for byte."""
    assert capture.main(["--check", "--seeds", str(seeds)]) == 0


def test_check_mode_fails_on_drift(capture, seeds, tmp_path):
    """--check reports a spec that differs from what the texts give (here in an example's answer)."""
    spec = (ROOT / "spec" / "openapi.yaml").read_text()
    assert "user_cart_items_count: 4" in spec
    drifted = tmp_path / "openapi.yaml"
    drifted.write_text(spec.replace("user_cart_items_count: 4", "user_cart_items_count: 5", 1))
    assert capture.main(["--check", "--seeds", str(seeds), "--out", str(drifted)]) == 1


def test_check_without_the_seeds_says_where_they_belong(tmp_path):
    """`make check-spec` in a checkout without ../shared/seeds ends with one line naming the folder, exit 2, no
    traceback."""
    done = subprocess.run([sys.executable, str(ROOT / "spec" / "capture.py"), "--check", "--seeds",
                           str(tmp_path / "seeds")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert "../shared/seeds" in done.stderr and str(tmp_path / "seeds") in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_seed_tests_skip_without_the_seeds_and_fail_under_ci(tmp_path):
    """A clone without ../shared: the tests that read the reference texts are skipped, naming ../shared/seeds;
    with CI set they fail instead."""
    clone = tmp_path / "clone"
    for part in ("spec/capture.py", "spec/decisions.yaml", "spec/examples.py", "spec/openapi.yaml",
                 "tests/conftest.py", "tests/test_spec_capture.py", "tests/test_spec_completeness.py",
                 "pyproject.toml"):
        (clone / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / part, clone / part)
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-k",
               "reproduces or drift or documented or counts or settled or decision",
               "tests/test_spec_capture.py", "tests/test_spec_completeness.py"]
    environ = {k: v for k, v in os.environ.items() if k != "CI"}
    clean = subprocess.run(command, cwd=clone, env=environ, capture_output=True, text=True, timeout=300)
    assert clean.returncode == 0, clean.stdout
    assert re.search(r"\b6 skipped\b", clean.stdout) and "passed" not in clean.stdout, clean.stdout
    assert "../shared/seeds" in clean.stdout
    under_ci = subprocess.run(command, cwd=clone, env={**environ, "CI": "true"}, capture_output=True, text=True,
                              timeout=300)
    assert under_ci.returncode == 1 and "skipped" not in under_ci.stdout, under_ci.stdout
    assert "CI is set" in under_ci.stdout and "../shared/seeds" in under_ci.stdout


def test_need_seeds_skips_or_fails(tmp_path):
    """need_seeds: the folder when it holds both texts; a skip without them; a failure without them under CI."""
    import pytest

    from conftest import SEEDS, need_seeds

    if SEEDS.is_dir():
        assert need_seeds(SEEDS, {"CI": "true"}) == SEEDS
    with pytest.raises(pytest.skip.Exception, match=r"\.\./shared/seeds"):
        need_seeds(tmp_path, {})
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        need_seeds(tmp_path, {"CI": "1"})


def test_spec_passes_openapi_spec_validator(openapi):
    """The spec is valid OpenAPI 3.0.3."""
    assert openapi["openapi"] == "3.0.3"
    validate(openapi)


def test_spec_holds_59_operations_with_stable_camel_case_ids(openapi):
    """58 Fynd operations plus EnKash's Add to cart, each with a unique camelCase operationId and a tag."""
    ops = list(operations(openapi))
    ids = [op["operationId"] for _, _, op in ops]
    assert len(ops) == 59
    assert len(set(ids)) == 59
    assert all(re.fullmatch(r"[a-z][A-Za-z0-9]*", i) for i in ids)
    assert all(len(op["tags"]) == 1 for _, _, op in ops)


def test_versioned_paths_are_distinct_operations(openapi):
    """v1.0 and v2.0 payment and checkout paths are separate operations."""
    base = "/service/platform/cart/{}/company/{{company_id}}/application/{{application_id}}/{}"
    assert openapi["paths"][base.format("v1.0", "payment")]["put"]["operationId"] == "selectPaymentMode"
    assert openapi["paths"][base.format("v2.0", "payment")]["put"]["operationId"] == "selectPaymentModeV2"
    assert openapi["paths"][base.format("v1.0", "cart/checkout")]["post"]["operationId"] == "checkoutCart"
    assert openapi["paths"][base.format("v2.0", "checkout")]["post"]["operationId"] == "platformCheckoutCartV2"


def test_share_cart_link_is_marked_inferred(openapi):
    """The operation whose section is missing from the text is specified and marked x-captured: inferred."""
    inferred = [op["operationId"] for _, _, op in operations(openapi) if op["x-captured"] == "inferred"]
    assert inferred == ["getCartShareLink"]


def test_every_operation_is_secured_by_a_bearer_scheme(openapi):
    """Fynd operations use FyndBearer, EnKash's uses EnKashBearer; both are HTTP bearer schemes."""
    schemes = openapi["components"]["securitySchemes"]
    assert {s["scheme"] for s in schemes.values()} == {"bearer"}
    for path, _, op in operations(openapi):
        expected = "EnKashBearer" if path.startswith("/api/") else "FyndBearer"
        assert op["security"] == [{expected: []}]


def test_error_responses_use_each_apis_error_shape(openapi):
    """Every 4xx response is FyndError for Fynd and EnKashError for EnKash."""
    for path, _, op in operations(openapi):
        expected = "EnKashError" if path.startswith("/api/") else "FyndError"
        for code, response in op["responses"].items():
            if code.startswith("4"):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/" + expected), (op["operationId"], code)


def test_connexion_loads_spec_without_warnings():
    """Connexion 3's AsyncApp loads the spec (with response validation) and warns about nothing."""
    import connexion

    app = connexion.AsyncApp(__name__, specification_dir=str(ROOT / "spec"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app.add_api("openapi.yaml", resolver_error=501, validate_responses=True)
    assert [str(w.message) for w in caught] == []


def accept_any_token(token):
    return {"sub": token}


def test_connexion_validates_requests_against_spec(openapi):
    """A request that breaks the spec is refused by Connexion's validation before any handler runs."""
    import copy

    import connexion

    async def handler(*args, **kwargs):
        return {}, 200

    spec = copy.deepcopy(openapi)
    for scheme in spec["components"]["securitySchemes"].values():
        scheme["x-bearerInfoFunc"] = f"{__name__}.accept_any_token"
    app = connexion.AsyncApp(__name__)
    app.add_api(spec, resolver=connexion.resolver.Resolver(lambda _: handler))
    client = app.test_client()
    url = "/service/platform/cart/v1.0/company/1/application/app/cart/serviceability"
    response = client.post(url, json={"cart_items": "not a list"}, headers={"Authorization": "Bearer t"})
    assert response.status_code == 400
    assert "cart_items" in response.text


def test_schemathesis_loads_every_operation():
    """Schemathesis 4 loads all 59 operations without errors or warnings."""
    import schemathesis
    from schemathesis.core.result import Ok

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        schema = schemathesis.openapi.from_path(str(ROOT / "spec" / "openapi.yaml"))
        results = list(schema.get_all_operations())
    assert len(results) == 59
    assert all(isinstance(r, Ok) for r in results)
    assert {r.ok().definition.raw["operationId"] for r in results} >= {"addVoucherToCart", "getCartShareLink"}
    assert [str(w.message) for w in caught if "schemathesis" in (w.filename or "")] == []
