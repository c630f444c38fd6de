"""Catalog files: read, validate, and turn into a ``Catalog``.

Validation is in two passes, and stops at the first problem:

1. the JSON Schema ``catalog.schema.json`` (shapes, types, ranges);
2. cross-references the schema cannot express: unique uids, article ids,
   slugs, PIN codes and (product, size, store) triples; every uid an article,
   product or store names exists; an article's size is one of its product's
   sizes and its seller is its store's seller; effective <= marked; every
   store's PIN code is listed; promise_min_days <= promise_max_days.

Every ``CatalogError`` raised here has ``field`` set to the JSON path of the
problem (``$.articles[3].stock``) and a message that names it. Faker is only
imported by ``catalog_from_seed``.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from .domain.catalog import Catalog
from .domain.errors import CatalogError

__all__ = ["SCHEMA_PATH", "validate_catalog", "load_catalog_file", "catalog_from_seed"]

SCHEMA_PATH = Path(__file__).parent / "catalog.schema.json"


@functools.cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@functools.cache
def _key_rank() -> dict[str, int]:
    """Each property name's first position in the schema: sorts errors in file order."""
    rank: dict[str, int] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name in node.get("properties", {}):
                rank.setdefault(name, len(rank))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(_validator().schema)
    return rank


def _path_text(path: Iterator[str | int] | tuple[str | int, ...]) -> str:
    text = "$"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _error_order(error: ValidationError) -> tuple:
    rank = _key_rank()
    key = tuple((0, p, "") if isinstance(p, int) else (1, rank.get(p, len(rank)), p)
                for p in error.absolute_path)
    return key, error.message


def _non_finite(node: Any, path: tuple[str | int, ...] = ()) -> tuple[tuple[str | int, ...], float] | None:
    """The first NaN or infinity in ``node`` (JSON has none; schema ranges let NaN through)."""
    if isinstance(node, float) and not math.isfinite(node):
        return path, node
    items: Iterable[tuple[str | int, Any]]
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return None
    for key, value in items:
        found = _non_finite(value, (*path, key))
        if found:
            return found
    return None


def _problems(data: dict[str, Any]) -> Iterator[tuple[str, object, str]]:
    """Cross-reference problems in file order, as (JSON path, value, what is wrong)."""
    def unique(section: str, key: str) -> Iterator[tuple[str, object, str]]:
        seen: set[object] = set()
        for i, record in enumerate(data[section]):
            value = record[key]
            if value in seen:
                yield f"$.{section}[{i}].{key}", value, f"{value!r} is not unique in {section}"
            seen.add(value)

    for section in ("sellers", "brands", "categories", "stores", "products"):
        yield from unique(section, "uid")
    yield from unique("products", "slug")
    yield from unique("articles", "article_id")
    yield from unique("pincodes", "pincode")

    sellers = {s["uid"] for s in data["sellers"]}
    brands = {b["uid"] for b in data["brands"]}
    categories = {c["uid"] for c in data["categories"]}
    stores = {s["uid"]: s for s in data["stores"]}
    products = {p["uid"]: p for p in data["products"]}
    pincodes = {p["pincode"] for p in data["pincodes"]}

    for i, s in enumerate(data["stores"]):
        if s["seller_uid"] not in sellers:
            yield f"$.stores[{i}].seller_uid", s["seller_uid"], f"{s['seller_uid']} is not the uid of any seller"
        if s["pincode"] not in pincodes:
            yield f"$.stores[{i}].pincode", s["pincode"], f"{s['pincode']!r} is not in pincodes"

    for i, p in enumerate(data["products"]):
        if p["brand_uid"] not in brands:
            yield f"$.products[{i}].brand_uid", p["brand_uid"], f"{p['brand_uid']} is not the uid of any brand"
        for j, c in enumerate(p["category_uids"]):
            if c not in categories:
                yield f"$.products[{i}].category_uids[{j}]", c, f"{c} is not the uid of any category"

    triples: set[tuple[int, str, int]] = set()
    for i, a in enumerate(data["articles"]):
        at = f"$.articles[{i}]"
        product = products.get(a["item_id"])
        if product is None:
            yield f"{at}.item_id", a["item_id"], f"{a['item_id']} is not the uid of any product"
        elif a["size"] not in product["sizes"]:
            yield f"{at}.size", a["size"], f"{a['size']!r} is not one of product {a['item_id']}'s sizes {product['sizes']}"
        store = stores.get(a["store_uid"])
        if store is None:
            yield f"{at}.store_uid", a["store_uid"], f"{a['store_uid']} is not the uid of any store"
        if a["seller_uid"] not in sellers:
            yield f"{at}.seller_uid", a["seller_uid"], f"{a['seller_uid']} is not the uid of any seller"
        elif store is not None and a["seller_uid"] != store["seller_uid"]:
            yield (f"{at}.seller_uid", a["seller_uid"],
                   f"{a['seller_uid']} is not store {a['store_uid']}'s seller {store['seller_uid']}")
        triple = (a["item_id"], a["size"], a["store_uid"])
        if triple in triples:
            yield at, triple, f"a second article for item {triple[0]}, size {triple[1]!r}, store {triple[2]}"
        triples.add(triple)
        if Decimal(str(a["effective"])) > Decimal(str(a["marked"])):
            yield f"{at}.effective", a["effective"], f"{a['effective']} is more than marked {a['marked']}"

    for i, p in enumerate(data["pincodes"]):
        if p["promise_min_days"] > p["promise_max_days"]:
            yield (f"$.pincodes[{i}].promise_min_days", p["promise_min_days"],
                   f"{p['promise_min_days']} is more than promise_max_days {p['promise_max_days']}")


def validate_catalog(data: object, *, source: str | None = None) -> None:
    """Raise ``CatalogError`` naming the JSON path of the first problem in ``data``.

    ``source`` (a file name, say) goes into the message after "catalog: ".
    """
    prefix = "catalog: " if source is None else f"catalog: {source}: "
    found = _non_finite(data)
    if found:
        at, number = found
        raise CatalogError(f"{prefix}{_path_text(at)}: {number} is not a finite number",
                           field=_path_text(at), value=number)
    errors = sorted(_validator().iter_errors(data), key=_error_order)
    if errors:
        first = errors[0]
        path = _path_text(first.absolute_path)
        raise CatalogError(f"{prefix}{path}: {first.message}", field=path, value=first.instance)
    assert isinstance(data, dict)  # the schema says so
    for path, value, what in _problems(data):
        raise CatalogError(f"{prefix}{path}: {what}", field=path, value=value)


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def load_catalog_file(path: str | Path) -> Catalog:
    """Read, validate and build the catalog in the JSON file at ``path``."""
    return Catalog.from_dict(read_catalog_file(path))


def read_catalog_file(path: str | Path) -> dict:
    """Read and validate the catalog in the JSON file at ``path`` (the file format, as a dict).

    Unreadable files and invalid JSON raise ``CatalogError`` with ``field`` None
    and ``value`` the path; the message names the file (and line:column).
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise CatalogError(f"catalog: {path}: no such file", value=str(path)) from None
    except OSError as e:
        raise CatalogError(f"catalog: {path}: cannot read: {e.strerror or e}", value=str(path)) from None
    except UnicodeDecodeError as e:
        raise CatalogError(f"catalog: {path}: not UTF-8 (byte {e.start})", value=str(path)) from None
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise CatalogError(f"catalog: {path}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}",
                           value=str(path)) from None
    except ValueError as e:
        raise CatalogError(f"catalog: {path}: invalid JSON: {e}", value=str(path)) from None
    validate_catalog(data, source=str(path))
    return data


def catalog_from_seed(seed: int | None = None, size: int | None = None) -> Catalog:
    """The generator's catalog for ``seed`` and ``size`` (None: its defaults), validated."""
    return Catalog.from_dict(generated_catalog(seed, size))


def generated_catalog(seed: int | None = None, size: int | None = None) -> dict:
    """The generator's catalog data for ``seed`` and ``size`` (None: its defaults), validated."""
    from . import fixturegen  # lazy: Faker is heavy and only the generator needs it

    data = fixturegen.generate_catalog(
        fixturegen.DEFAULT_SEED if seed is None else seed,
        fixturegen.DEFAULT_SIZE if size is None else size,
    )
    validate_catalog(data, source=f"seed {data['seed']}, size {data['size']}")
    return data
