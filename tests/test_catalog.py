"""The seeded catalog: generator determinism, the committed fixture, validation and its messages."""
import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartwright.sandbox.catalog_file import catalog_from_seed, load_catalog_file, validate_catalog
from cartwright.sandbox.domain.catalog import FORMAT, Catalog
from cartwright.sandbox.domain.errors import CatalogError
from cartwright.sandbox.fixturegen import DEFAULT_SEED, DEFAULT_SIZE, dump_catalog, generate_catalog

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "catalog.json"


@pytest.fixture(scope="module")
def default_data():
    return generate_catalog()


@pytest.fixture
def data(default_data):
    """A private copy of the default catalog, for tests that break it."""
    return copy.deepcopy(default_data)


def assert_catalog_error(data, *fragments):
    with pytest.raises(CatalogError) as info:
        validate_catalog(data)
    for fragment in fragments:
        assert fragment in info.value.message
    return info.value


# Determinism and the committed fixture.

def test_same_seed_and_size_give_byte_identical_text():
    """Generating twice with one seed and size gives the same bytes."""
    assert dump_catalog(generate_catalog(7, 12)) == dump_catalog(generate_catalog(7, 12))


def test_different_seeds_give_different_catalogs():
    """The seed changes the catalog (not just its seed field)."""
    a, b = generate_catalog(1, 10), generate_catalog(2, 10)
    del a["seed"], b["seed"]
    assert a != b


def test_generation_ignores_global_random_state():
    """Seeding or consuming the global random module does not change the output."""
    import random

    random.seed(999)
    first = dump_catalog(generate_catalog(5, 8))
    random.random()
    assert dump_catalog(generate_catalog(5, 8)) == first


def test_dump_is_canonical_json():
    """The dump has a fixed key order, two-space indent, raw UTF-8 and one final newline."""
    text = dump_catalog(generate_catalog(3, 2))
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert "₹" in text and "\\u20b9" not in text
    assert text.startswith('{\n  "format": "cartwright.catalog/1",\n  "seed": 3,\n  "size": 2,\n')
    shuffled = {k: v for k, v in reversed(json.loads(text).items())}
    assert dump_catalog(shuffled) == text


def test_committed_fixture_matches_the_generator():
    """fixtures/catalog.json is exactly the generator's output for the default seed and size."""
    expected = dump_catalog(generate_catalog(DEFAULT_SEED, DEFAULT_SIZE))
    assert FIXTURE.exists(), "fixtures/catalog.json is missing: run `make catalog`"
    committed = FIXTURE.read_bytes().decode("utf-8")
    if committed != expected:
        pairs = zip(committed.splitlines(), expected.splitlines())
        line = next((n for n, (a, b) in enumerate(pairs, 1) if a != b), None)
        where = f"first difference at line {line}" if line else "lengths differ"
        pytest.fail(f"fixtures/catalog.json is out of date with sandbox/fixturegen ({where}): run `make catalog`")


def test_fixture_loads_as_a_catalog():
    """The committed fixture passes validation and builds a Catalog with its default size."""
    catalog = load_catalog_file(FIXTURE)
    assert isinstance(catalog, Catalog)
    assert catalog.seed == DEFAULT_SEED and len(catalog.products) == DEFAULT_SIZE
    assert catalog.currency_code == "INR"


def test_check_command_passes_on_the_committed_fixture():
    """`python -m cartwright.sandbox.fixturegen --check` exits 0 on the committed file."""
    result = subprocess.run([sys.executable, "-m", "cartwright.sandbox.fixturegen", "--check"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_check_command_fails_on_a_stale_file(tmp_path):
    """`--check` exits 1 and says how to regenerate when the file differs."""
    stale = tmp_path / "catalog.json"
    stale.write_text(dump_catalog(generate_catalog(1, 3)), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "cartwright.sandbox.fixturegen", "--check", "--out", str(stale)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "differs" in result.stderr and "cartwright.sandbox.fixturegen" in result.stderr


# Generated catalogs are valid and have the promised shape.

@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000), size=st.integers(min_value=1, max_value=60))
def test_generated_catalogs_validate_and_load(seed, size):
    """Every seed and size gives a catalog that validates and loads with that many products."""
    catalog = catalog_from_seed(seed, size)
    assert len(catalog.products) == size
    assert all(catalog.articles_for(p.uid, s) for p in catalog.products for s in p.sizes)


def test_every_product_has_an_article_for_each_size(default_data):
    """Each product is sold in one to three stores, with one article per size in each."""
    for product in default_data["products"]:
        articles = [a for a in default_data["articles"] if a["item_id"] == product["uid"]]
        stores = {a["store_uid"] for a in articles}
        assert 1 <= len(stores) <= 3
        assert len(articles) == len(stores) * len(product["sizes"])
        assert {(a["size"], a["store_uid"]) for a in articles} == {
            (s, st_) for s in product["sizes"] for st_ in stores}


def test_prices_are_inr_integers_with_effective_at_most_marked(default_data):
    """Marked prices end in 9, effective <= marked, and both full-price and discounted articles exist."""
    articles = default_data["articles"]
    assert all(isinstance(a["marked"], int) and a["marked"] % 10 == 9 for a in articles)
    assert all(isinstance(a["effective"], int) and 0 < a["effective"] <= a["marked"] for a in articles)
    assert any(a["effective"] == a["marked"] for a in articles)
    assert any(a["effective"] < a["marked"] for a in articles)
    assert all(a["effective"] >= a["marked"] * 0.4 - 1 for a in articles)  # at most 60% off


def test_articles_are_sold_by_their_stores_seller(default_data):
    """Each article's seller_uid is its store's seller_uid."""
    seller_of = {s["uid"]: s["seller_uid"] for s in default_data["stores"]}
    assert all(a["seller_uid"] == seller_of[a["store_uid"]] for a in default_data["articles"])


def test_store_pincodes_are_listed_and_serviceable(default_data):
    """Every store's PIN code is in the pincodes list, and delivery to it is possible."""
    pins = {p["pincode"]: p for p in default_data["pincodes"]}
    for store in default_data["stores"]:
        assert pins[store["pincode"]]["serviceable"]


def test_stock_has_zeros_and_positives(default_data):
    """Some articles are out of stock and some are in stock, all within 0..25."""
    stock = [a["stock"] for a in default_data["articles"]]
    assert 0 in stock and any(s > 0 for s in stock)
    assert all(0 <= s <= 25 for s in stock)


def test_pincodes_mix_serviceable_and_not(default_data):
    """About thirty PIN codes, a few unserviceable, promises of 1-3 to 3-7 days where serviceable."""
    pins = default_data["pincodes"]
    assert len(pins) == 30
    unserviceable = [p for p in pins if not p["serviceable"]]
    assert 2 <= len(unserviceable) <= 4
    for p in pins:
        if p["serviceable"]:
            assert 1 <= p["promise_min_days"] <= 3 <= p["promise_max_days"] <= 7
            assert p["promise_min_days"] <= p["promise_max_days"]
    assert {p["cod"] for p in pins if p["serviceable"]} == {True, False}


def test_ids_and_names_look_like_the_platforms(default_data):
    """Uid ranges, 24-hex article ids, EAN-13 identifiers, lowercase unique slugs, 6-digit PINs."""
    d = default_data
    assert all(1000 < s["uid"] < 2000 for s in d["sellers"])
    assert all(11000 < s["uid"] < 12000 for s in d["stores"])
    assert all(200 < b["uid"] < 300 for b in d["brands"])
    assert all(300 < c["uid"] < 400 for c in d["categories"])
    assert all(7_500_000 < p["uid"] < 2**31 for p in d["products"])
    assert all(len(a["article_id"]) == 24 and int(a["article_id"], 16) >= 0 for a in d["articles"])
    for a in d["articles"]:
        digits = [int(c) for c in a["seller_identifier"]]
        assert len(digits) == 13 and sum(x * (3 if i % 2 else 1) for i, x in enumerate(digits)) % 10 == 0
    slugs = [p["slug"] for p in d["products"]]
    assert len(set(slugs)) == len(slugs) and all(s == s.lower() and " " not in s for s in slugs)
    assert all(img.startswith("https://cdn.example.com/") for p in d["products"] for img in p["images"])
    assert len({s["city"] for s in d["stores"]}) >= 5
    assert d["format"] == FORMAT


def test_sizes_fit_the_category(default_data):
    """Apparel has letter sizes, jeans waist sizes, footwear UK sizes, watches and bags OS."""
    name_of = {c["uid"]: c["name"] for c in default_data["categories"]}
    allowed = {"T-Shirts": set("S M L XL XXL".split()), "Shirts": set("S M L XL XXL".split()),
               "Kurtas": set("S M L XL XXL".split()), "Jeans": {"28", "30", "32", "34", "36", "38"},
               "Sneakers": {"6", "7", "8", "9", "10", "11"}, "Sandals": {"6", "7", "8", "9", "10", "11"},
               "Watches": {"OS"}, "Backpacks": {"OS"}}
    gst = {"T-Shirts": 5, "Kurtas": 5, "Shirts": 12, "Jeans": 12, "Sandals": 12,
           "Sneakers": 18, "Watches": 18, "Backpacks": 18}
    for p in default_data["products"]:
        category = name_of[p["category_uids"][0]]
        assert set(p["sizes"]) <= allowed[category], p
        assert p["gst_percent"] == gst[category], p


def test_importing_catalog_file_does_not_import_faker():
    """Only the generator imports Faker: loading a catalog file does not."""
    code = ("import sys, sandbox.catalog_file, sandbox.domain.catalog; "
            "sys.exit(1 if 'faker' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0


# Validation errors name the JSON path of the problem.

def test_generated_catalog_is_valid(data):
    """The default catalog passes validation (so the failures below are the edits' doing)."""
    validate_catalog(data)


def test_negative_stock_names_its_path(data):
    """A negative stock is reported at $.articles[i].stock with the schema's reason."""
    data["articles"][3]["stock"] = -1
    error = assert_catalog_error(data, "catalog: $.articles[3].stock: -1 is less than the minimum of 0")
    assert error.field == "$.articles[3].stock" and error.value == -1


def test_missing_key_names_the_record(data):
    """A missing required key is reported at the record that lacks it."""
    del data["stores"][2]["pincode"]
    error = assert_catalog_error(data, "$.stores[2]", "'pincode' is a required property")
    assert error.field == "$.stores[2]"


def test_unknown_key_is_refused(data):
    """additionalProperties is false: an unexpected key is an error at its record."""
    data["products"][0]["colour"] = "red"
    assert_catalog_error(data, "$.products[0]", "'colour' was unexpected")


def test_bad_pincode_pattern(data):
    """A PIN code that is not six digits is refused at its path."""
    data["pincodes"][4]["pincode"] = "40005"
    assert_catalog_error(data, "$.pincodes[4].pincode", "does not match")


def test_first_problem_in_file_order_is_reported(data):
    """With several problems, the one earliest in the file is named."""
    data["pincodes"][0]["cod"] = "yes"
    data["articles"][5]["stock"] = -2
    data["stores"][1]["latitude"] = 100
    assert_catalog_error(data, "$.stores[1].latitude")


def test_not_an_object():
    """A top-level value that is not an object is refused at $."""
    assert_catalog_error([], "catalog: $: [] is not of type 'object'")


def test_nan_is_refused(data):
    """NaN passes schema ranges, so it is caught separately, at its path."""
    data["articles"][0]["marked"] = float("nan")
    assert_catalog_error(data, "$.articles[0].marked", "not a finite number")


def test_unknown_item_id(data):
    """An article whose item_id names no product is reported at its item_id."""
    data["articles"][7]["item_id"] = 9_999_999
    error = assert_catalog_error(data, "$.articles[7].item_id", "9999999 is not the uid of any product")
    assert error.value == 9_999_999


def test_size_not_in_products_sizes(data):
    """An article size that its product does not come in is reported at its size."""
    article = data["articles"][0]
    product = next(p for p in data["products"] if p["uid"] == article["item_id"])
    article["size"] = "XS" if "XS" not in product["sizes"] else "99"
    assert_catalog_error(data, "$.articles[0].size", "is not one of product")


def test_seller_must_match_the_store(data):
    """An article whose seller is not its store's seller is refused."""
    article = data["articles"][1]
    other = next(s["uid"] for s in data["sellers"] if s["uid"] != article["seller_uid"])
    article["seller_uid"] = other
    assert_catalog_error(data, "$.articles[1].seller_uid", "is not store")


def test_unknown_store(data):
    """An article in a store that does not exist is refused at store_uid."""
    data["articles"][2]["store_uid"] = 19_999
    assert_catalog_error(data, "$.articles[2].store_uid", "19999 is not the uid of any store")


def test_effective_above_marked(data):
    """Effective price above marked price is refused at effective."""
    data["articles"][4]["effective"] = data["articles"][4]["marked"] + 1
    assert_catalog_error(data, "$.articles[4].effective", "is more than marked")


def test_duplicate_article_id(data):
    """Article ids are unique; the second use is named."""
    data["articles"][6]["article_id"] = data["articles"][0]["article_id"]
    assert_catalog_error(data, "$.articles[6].article_id", "is not unique")


def test_duplicate_product_uid_and_slug(data):
    """Product uids and slugs are each unique."""
    data["products"][1]["slug"] = data["products"][0]["slug"]
    assert_catalog_error(data, "$.products[1].slug", "is not unique")
    data["products"][1]["uid"] = data["products"][0]["uid"]
    assert_catalog_error(data, "$.products[1].uid", "is not unique")


def test_unknown_brand_and_category(data):
    """A product's brand and categories must exist."""
    data["products"][2]["category_uids"] = [301, 399]
    assert_catalog_error(data, "$.products[2].category_uids[1]", "399 is not the uid of any category")
    data["products"][2]["brand_uid"] = 299
    assert_catalog_error(data, "$.products[2].brand_uid", "299 is not the uid of any brand")


def test_store_pincode_must_be_listed(data):
    """A store's PIN code must appear in the pincodes list."""
    data["pincodes"] = [p for p in data["pincodes"] if p["pincode"] != data["stores"][0]["pincode"]]
    assert_catalog_error(data, "$.stores[0].pincode", "is not in pincodes")


def test_promise_days_in_order(data):
    """promise_min_days may not exceed promise_max_days."""
    data["pincodes"][0].update(promise_min_days=5, promise_max_days=2)
    assert_catalog_error(data, "$.pincodes[0].promise_min_days", "is more than promise_max_days 2")


# Files.

def test_missing_file(tmp_path):
    """A missing file is a CatalogError naming the file."""
    path = tmp_path / "nope.json"
    with pytest.raises(CatalogError, match="nope.json: no such file"):
        load_catalog_file(path)


def test_invalid_json_names_line_and_column(tmp_path):
    """Invalid JSON is a CatalogError with the file's line:column."""
    path = tmp_path / "bad.json"
    path.write_text('{\n  "format": "cartwright.catalog/1",\n  "seed": ,\n}\n', encoding="utf-8")
    with pytest.raises(CatalogError, match=r"bad\.json:3:11: invalid JSON"):
        load_catalog_file(path)


def test_duplicate_json_keys_are_refused(tmp_path):
    """A JSON object with the same key twice is refused rather than silently keeping the last."""
    path = tmp_path / "dup.json"
    path.write_text('{"format": "cartwright.catalog/1", "format": "x"}', encoding="utf-8")
    with pytest.raises(CatalogError, match="duplicate key 'format'"):
        load_catalog_file(path)


def test_file_validation_error_names_file_and_path(tmp_path, data):
    """A schema problem in a file names both the file and the JSON path."""
    data["articles"][3]["stock"] = -1
    path = tmp_path / "neg.json"
    path.write_text(dump_catalog(data), encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog_file(path)
    assert info.value.message == f"catalog: {path}: $.articles[3].stock: -1 is less than the minimum of 0"
    assert info.value.field == "$.articles[3].stock"


def test_hand_written_catalog_without_seed_or_tags(tmp_path):
    """seed, size and tags are optional: a minimal hand-written catalog loads."""
    minimal = {
        "format": FORMAT,
        "currency": {"code": "INR", "symbol": "₹"},
        "sellers": [{"uid": 1, "name": "S"}], "brands": [{"uid": 2, "name": "B"}],
        "categories": [{"uid": 3, "name": "C"}],
        "stores": [{"uid": 4, "name": "St", "store_code": "X1", "seller_uid": 1, "address": "", "area": "",
                    "landmark": "", "city": "Pune", "state": "Maharashtra", "country": "India",
                    "pincode": "411001", "latitude": 18.5, "longitude": 73.8, "phone": "", "email": "",
                    "manager_name": ""}],
        "products": [{"uid": 5, "name": "P", "slug": "p", "item_code": "P1", "brand_uid": 2,
                      "category_uids": [3], "images": [], "sizes": ["OS"], "gst_percent": 18}],
        "articles": [{"article_id": "a1", "item_id": 5, "size": "OS", "store_uid": 4, "seller_uid": 1,
                      "seller_identifier": "1", "marked": 99.5, "effective": 99.5, "stock": 1}],
        "pincodes": [{"pincode": "411001", "city": "Pune", "state": "Maharashtra", "serviceable": True,
                      "cod": True, "promise_min_days": 1, "promise_max_days": 3}],
    }
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(minimal), encoding="utf-8")
    catalog = load_catalog_file(path)
    assert catalog.seed is None and catalog.products[0].tags == ()
    assert str(catalog.article("a1").marked) == "99.50"
