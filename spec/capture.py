"""Capture ``spec/openapi.yaml`` from the API reference texts in ``../shared/seeds``.

Run ``python spec/capture.py`` to rewrite the spec, ``--check`` to fail when the
committed spec differs from what the texts and ``spec/decisions.yaml`` give. The
request and response examples are recorded from an in-process sandbox
(``spec/examples.py``), so this needs the ``sandbox`` package installed (``make spec``).
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import difflib
import functools
import importlib.util
import itertools
import json
import re
import sys
from pathlib import Path

import yaml

TYPE_RE = re.compile(
    r"^(string|integer|number|boolean|object|array of (?:string|integer|number|boolean|object))"
    r"(?: \((\w+)\))?$"
)
NAME_RE = re.compile(r"^[A-Za-z_$][\w\-.$]*$")
FORMAT_RE = re.compile(r"^\| (int32|int64|float|double|date-time|date)$")
MINIMUM_RE = re.compile(r"^\| value >= ([0-9.]+)$")
METHODS = {"GET": "get", "POST": "post", "PUT": "put", "DEL": "delete", "PATCH": "patch"}


@dataclasses.dataclass
class Field:
    """One field as the text renders it, before nesting is decided."""

    name: str
    type: str  # string | integer | number | boolean | object | array
    items: str | None = None  # item type for arrays
    ref: str | None = None  # named schema, for `object (Name)` / `array of object (Name)`
    format: str | None = None
    minimum: str | None = None
    nullable: bool = False
    required: bool = False
    description: str = ""
    default: str | None = None
    min_length: int | None = None
    enum: bool = False
    line: int = 0

    @property
    def shape(self) -> tuple:
        """What must agree between two occurrences of the same field."""
        return (self.name, self.type, self.items, self.ref, self.format)


def is_type_line(text: str) -> bool:
    return bool(TYPE_RE.match(text))


def is_field_start(lines: list[str], i: int) -> bool:
    return i + 1 < len(lines) and bool(NAME_RE.match(lines[i])) and is_type_line(lines[i + 1])


def parse_fields(lines: list[str], start: int, stop: int) -> list[Field]:
    """Read the flat run of fields in ``lines[start:stop]``."""
    fields: list[Field] = []
    i = start
    while i < stop:
        if not is_field_start(lines, i):
            raise ValueError(f"line {i + 1}: expected a field, got {lines[i]!r}")
        m = TYPE_RE.match(lines[i + 1])
        base, ref = m.group(1), m.group(2)
        field = Field(name=lines[i], type=base, ref=ref, line=i + 1)
        if base.startswith("array of "):
            field.type, field.items = "array", base[len("array of "):]
        i += 2
        while i < stop:
            text = lines[i]
            if FORMAT_RE.match(text):
                field.format = FORMAT_RE.match(text).group(1)
            elif MINIMUM_RE.match(text):
                field.minimum = MINIMUM_RE.match(text).group(1)
            elif text == "Nullable":
                field.nullable = True
            elif text == "Required":
                field.required = True
            else:
                break
            i += 1
        description: list[str] = []
        while i < stop and not is_field_start(lines, i):
            text = lines[i]
            if text.startswith("Default Value :"):
                field.default = text[len("Default Value :"):].strip()
            elif text.startswith("Minimum Length : "):
                field.min_length = int(text[len("Minimum Length : "):])
            elif text == "Enum":
                field.enum = True
            elif ref and text in (ref, f"Array of {ref}"):
                pass
            else:
                description.append(text)
            i += 1
        field.description = "\n".join(description).strip()
        fields.append(field)
    return fields


@dataclasses.dataclass
class Body:
    """A request or response body: its schema name (if the text gives one) and flat fields."""

    name: str | None
    fields: list[Field]


@dataclasses.dataclass
class Operation:
    method: str
    path: str
    summary: str
    section: str
    description: str = ""
    parameters: list[Field] = dataclasses.field(default_factory=list)
    request: Body | None = None
    statuses: list[str] = dataclasses.field(default_factory=list)
    response_description: str = ""
    response: Body | None = None
    line: int = 0
    documented: bool = True


def _is_op_start(lines: list[str], i: int) -> bool:
    return (
        lines[i] in METHODS
        and i + 3 < len(lines)
        and lines[i + 1] == ""
        and lines[i + 2] != ""
        and lines[i + 3] == ""
    )


def parse_fynd(text: str) -> list[Operation]:
    """Split the Fynd reference into operations, in table-of-contents order."""
    lines = text.split("\n")
    toc: list[Operation] = []
    sections: list[tuple[int, Operation]] = []
    section = ""
    i = 0
    while i < len(lines):
        if lines[i] == "Operations":
            # The section title stands three lines above its "Operations" table.
            section = next(t for t in reversed(lines[max(0, i - 6):i]) if t and t != "Operations" and len(t) < 40)
            j = i + 1
            while j + 2 < len(lines) and lines[j] in METHODS and lines[j + 1].startswith("/") and lines[j + 2].startswith("# "):
                toc.append(Operation(METHODS[lines[j]], lines[j + 1], lines[j + 2][2:], section))
                j += 3
            i = j
            continue
        if _is_op_start(lines, i):
            op, i = _parse_section(lines, i, section)
            sections.append((op.line, op))
            continue
        i += 1
    by_key = {(op.method, op.path): op for _, op in sections}
    for entry in toc:
        found = by_key.get((entry.method, entry.path))
        if found is None:
            entry.documented = False
            continue
        found.summary, found.section = entry.summary, entry.section
    ordered = [by_key.get((e.method, e.path), e) for e in toc]
    missing = set(by_key) - {(e.method, e.path) for e in toc}
    if missing:
        raise ValueError(f"sections not in any table of contents: {sorted(missing)}")
    return ordered


def _parse_section(lines: list[str], i: int, section: str) -> tuple[Operation, int]:
    op = Operation(METHODS[lines[i]], "", lines[i + 2], section, line=i + 1)
    j = i + 4
    desc: list[str] = []
    while lines[j] != "Parameters":
        desc.append(lines[j])
        j += 1
    op.description = "\n".join(desc).strip()
    end = lines.index("Examples", j)
    try:
        resp = lines.index("Response", j, end)
    except ValueError:
        resp = end
    try:
        req = lines.index("Request body", j, resp)
    except ValueError:
        req = resp
    op.parameters = parse_fields(lines, j + 1, req)
    if req < resp:
        op.request = Body(None, parse_fields(lines, req + 1, resp))
    if resp < end:
        k = resp + 1
        while re.fullmatch(r"\d{3}", lines[k]):
            op.statuses.append(lines[k])
            k += 1
        desc = []
        while k < end and not is_field_start(lines, k + 1):
            desc.append(lines[k])
            k += 1
        op.response_description = "\n".join(desc).strip()
        if k < end:
            op.response = Body(lines[k], parse_fields(lines, k + 1, end))
    # The examples block names the operation's path: METHOD, path, "Loading...".
    k = end
    while not (lines[k] in METHODS and lines[k + 1].startswith("/")):
        k += 1
    op.path = lines[k + 1]
    if METHODS[lines[k]] != op.method:
        raise ValueError(f"line {k + 1}: example method differs from section method")
    return op, k + 2


# --------------------------------------------------------------------------
# Nesting: where does each named object end?
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Extent:
    """How many flat fields a named schema spans, and how that was settled."""

    length: int
    how: str  # "root" | "diverged" | "decided" | "undecided"


def _bodies(ops: list[Operation]) -> list[Body]:
    return [b for op in ops for b in (op.request, op.response) if b is not None]


def resolve_extents(ops: list[Operation], decided: dict[str, list[str]]) -> dict[str, Extent]:
    """Find each named schema's flattened length.

    A schema's occurrences are compared: the longest run of fields common to what
    follows every occurrence (clipped to the enclosing object) is its content, and
    where two occurrences really diverge that is certain. Where every occurrence is
    followed by the same fields, ``decided`` (schema -> its direct fields, from
    ``spec/decisions.yaml``) settles it.
    """
    bodies = _bodies(ops)
    clip = {(b, i): len(body.fields) for b, body in enumerate(bodies) for i, f in enumerate(body.fields) if f.ref}
    extents: dict[str, Extent] = {}
    for _ in range(100):
        extents = _common_runs(bodies, clip)
        for name in decided:
            extents[name] = Extent(_decided_length(name, decided, extents, bodies), "decided")
        new_clip = _clips(bodies, extents)
        if new_clip == clip:
            return extents
        clip = new_clip
    raise RuntimeError("nesting did not settle")


def _common_runs(bodies: list[Body], clip: dict[tuple[int, int], int]) -> dict[str, Extent]:
    runs: dict[str, list[list[tuple]]] = {}
    for (b, i), end in clip.items():
        fields = bodies[b].fields
        runs.setdefault(fields[i].ref, []).append([f.shape for f in fields[i + 1:end]])
    for body in bodies:
        if body.name:
            runs.setdefault(body.name, []).append([f.shape for f in body.fields] + [("<end>",)])
    extents = {}
    for name, seqs in runs.items():
        n = 0
        while all(n < len(s) for s in seqs) and len({s[n] for s in seqs}) == 1 and seqs[0][n] != ("<end>",):
            n += 1
        if any(s[n:n + 1] == [("<end>",)] for s in seqs):
            how = "root"
        elif all(n < len(s) for s in seqs):
            how = "diverged"
        else:
            how = "undecided"
        extents[name] = Extent(n, how)
    return extents


def _decided_length(name: str, decided: dict[str, list[str]], extents: dict[str, Extent], bodies: list[Body]) -> int:
    """Length of a decided schema: walk its first occurrence, counting its direct fields."""
    want = decided[name]
    for body in bodies:
        fields = body.fields
        for i, f in enumerate(fields):
            if f.ref != name:
                continue
            j, seen = i + 1, []
            while j < len(fields) and len(seen) < len(want):
                seen.append(fields[j].name)
                child = fields[j].ref
                j += 1
                if child:
                    if child in decided:
                        j += _decided_length(child, decided, extents, bodies)
                    else:
                        j += extents[child].length
            if seen != want:
                raise ValueError(f"decisions: {name} at line {f.line} has fields {seen}, not {want}")
            return j - i - 1
    raise ValueError(f"decisions: {name} does not occur")


def _clips(bodies: list[Body], extents: dict[str, Extent]) -> dict[tuple[int, int], int]:
    clip = {}
    for b, body in enumerate(bodies):
        fields = body.fields

        def walk(start: int, end: int) -> None:
            i = start
            while i < end:
                ref = fields[i].ref
                if ref:
                    clip[(b, i)] = end
                    sub_end = min(end, i + 1 + max(extents[ref].length, 0))
                    walk(i + 1, sub_end)
                    i = sub_end
                else:
                    i += 1

        walk(0, len(fields))
    return clip


# --------------------------------------------------------------------------
# Trees: the flat fields of a body, nested by the settled extents
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Node:
    field: Field
    children: list["Node"]


def build_tree(fields: list[Field], extents: dict[str, Extent]) -> list[Node]:
    """Nest a body's flat fields; a field name may not repeat inside one object."""

    def walk(start: int, end: int, owner: str) -> list[Node]:
        nodes, seen, i = [], set(), start
        while i < end:
            f = fields[i]
            if f.name in seen:
                raise ValueError(f"line {f.line}: {f.name!r} repeats inside {owner}")
            seen.add(f.name)
            if f.ref:
                sub_end = min(end, i + 1 + extents[f.ref].length)
                nodes.append(Node(f, walk(i + 1, sub_end, f.ref)))
                i = sub_end
            else:
                nodes.append(Node(f, []))
                i += 1
        return nodes

    return walk(0, len(fields), "the body")


# --------------------------------------------------------------------------
# OpenAPI
# --------------------------------------------------------------------------

SCHEMA_REF = "#/components/schemas/"
STATUS_TEXT = {"400": "Bad request: the message names the offending field or value.",
               "401": "Missing or invalid bearer token.",
               "404": "Not found: the message names what was not found.",
               "413": "Request body too large.",
               "422": "Unprocessable: the message says which value was refused."}


def _typed_default(f: Field):
    """The documented default as a typed value, or ``None`` with a reason kept as text."""
    text = f.default
    if text == "null":
        return (None, True) if f.nullable else (None, False)
    try:
        if f.type == "array":
            return ([], True) if text == "" else (None, False)
        if f.type == "boolean" and text in ("true", "false"):
            return text == "true", True
        if f.type == "integer":
            return int(text), True
        if f.type == "number":
            return float(text), True
        if f.type == "string":
            return text, True
    except ValueError:
        pass
    return None, False


class SchemaBook:
    """Collects named schemas from every occurrence and checks that they agree."""

    def __init__(self, enums: list[dict]):
        self.shapes: dict[str, list[tuple]] = {}
        self.nodes: dict[str, list[Node]] = {}
        self.required: dict[str, set[str]] = {}
        self.enums = enums

    def property(self, node: Node) -> dict:
        f = node.field
        if f.ref:
            self.add(f.ref, node.children)
            target = {"$ref": SCHEMA_REF + f.ref}
            if f.type == "array":
                schema = {"type": "array", "items": target}
            elif f.description:
                schema = {"allOf": [target]}
            else:
                schema = target
        elif f.type == "array":
            schema = {"type": "array", "items": {"type": f.items}}
        else:
            schema = {"type": f.type}
        if f.format:
            schema["format"] = f.format
        if f.minimum is not None:
            schema["minimum"] = float(f.minimum) if "." in f.minimum else int(f.minimum)
        if f.min_length is not None:
            schema["minLength"] = f.min_length
        if f.nullable:
            schema["nullable"] = True
        if f.description:
            schema["description"] = f.description
        values = next((e["values"] for e in self.enums
                       if e["field"] == f.name and f.description.startswith(e["description"])), None)
        if values:
            # OpenAPI 3.0.3: `nullable` does not let null past an `enum`; a nullable field's enum lists it.
            schema["enum"] = list(values) + ([None] if f.nullable else [])
        elif f.enum:
            schema["x-enum-lost"] = True
        if f.default is not None:
            value, ok = _typed_default(f)
            if ok:
                schema["default"] = value
            else:
                schema["x-documented-default"] = f.default
        return schema

    def add(self, name: str, children: list[Node]) -> None:
        shape = [c.field.shape for c in children]
        if name in self.shapes:
            if self.shapes[name] != shape:
                raise ValueError(f"{name}: occurrences disagree: {self.shapes[name]} vs {shape}")
        else:
            self.shapes[name], self.nodes[name] = shape, children
        self.required.setdefault(name, set()).update(c.field.name for c in children if c.field.required)
        for c in children:
            if c.field.ref:
                self.add(c.field.ref, c.children)

    def object_schema(self, children: list[Node], required: set[str]) -> dict:
        schema: dict = {"type": "object", "properties": {}}
        for c in children:
            schema["properties"][c.field.name] = self.property(c)
        req = [c.field.name for c in children if c.field.name in required]
        if req:
            schema["required"] = req
        return schema

    def components(self) -> dict:
        out = {}
        done: set[str] = set()
        while len(done) < len(self.nodes):
            for name in sorted(set(self.nodes) - done):
                out[name] = self.object_schema(self.nodes[name], self.required[name])
                done.add(name)
        return dict(sorted(out.items()))


def _pascal(operation_id: str) -> str:
    return operation_id[0].upper() + operation_id[1:]


def _parameter(f: Field, path: str, book: SchemaBook) -> dict:
    where = "path" if "{" + f.name + "}" in path else "query"
    schema = book.property(Node(f, []))
    description = schema.pop("description", None)
    param = {"name": f.name, "in": where}
    if description:
        param["description"] = description
    if where == "path" or f.required:
        param["required"] = True
    param["schema"] = schema
    return param


def _error_responses(statuses: list[str], error_ref: str) -> dict:
    return {
        code: {
            "description": STATUS_TEXT.get(code, "Error"),
            "content": {"application/json": {"schema": {"$ref": SCHEMA_REF + error_ref}}},
        }
        for code in statuses
    }


def fynd_paths(ops: list[Operation], decisions: dict, book: SchemaBook) -> dict:
    extents = resolve_extents([op for op in ops if op.documented], decisions["nesting"])
    paths: dict[str, dict] = {}
    meta = decisions["operations"]
    for op in ops:
        key = f"{op.method.upper()} {op.path.removeprefix(FYND_PREFIX)}"
        if key not in meta:
            raise ValueError(f"decisions: no operationId for {key}")
        info = meta[key]
        if not op.documented:
            paths.setdefault(op.path, {})[op.method] = inferred_operation(op, info, decisions)
            continue
        entry: dict = {
            "tags": [info["tag"]],
            "summary": op.summary,
            "description": op.description,
            "operationId": info["id"],
            "x-captured": "text",
        }
        if op.parameters:
            entry["parameters"] = [_parameter(p, op.path, book) for p in op.parameters]
        if op.request:
            name = _pascal(info["id"]) + "Request"
            book.add(name, build_tree(op.request.fields, extents))
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": SCHEMA_REF + name}}},
            }
        responses: dict = {}
        first, rest = op.statuses[0], op.statuses[1:]
        body_schema = None
        if op.response:
            tree = build_tree(op.response.fields, extents)
            if op.response.name == "Properties":  # the text's word for an unnamed object
                body_schema = book.object_schema(tree, set())
            else:
                name = op.response.name
                book.add(name, tree)
                body_schema = {"$ref": SCHEMA_REF + name}
        responses[first] = {"description": op.response_description or "Success."}
        if body_schema:
            responses[first]["content"] = {"application/json": {"schema": body_schema}}
        responses.update(_error_responses(rest, "FyndError"))
        _add_inferred_statuses(responses, decisions, bool(op.request))
        entry["responses"] = dict(sorted(responses.items()))
        entry["security"] = [{"FyndBearer": []}]
        paths.setdefault(op.path, {})[op.method] = entry
    return paths


def _add_inferred_statuses(responses: dict, decisions: dict, takes_body: bool) -> None:
    """The error statuses every Fynd operation has (decisions.yaml ``inferred_statuses``) where not documented."""
    inferred = decisions["inferred_statuses"]
    for code in inferred["every_operation"] + (inferred["with_request_body"] if takes_body else []):
        if str(code) not in responses:
            responses.update(_error_responses([str(code)], "FyndError"))
            responses[str(code)]["x-captured"] = "inferred"


def inferred_operation(op: Operation, info: dict, decisions: dict) -> dict:
    """An operation listed in the table of contents whose section is missing (from decisions.yaml)."""
    entry = copy.deepcopy(decisions["inferred_operations"][info["id"]])
    responses = entry.pop("responses")
    _add_inferred_statuses(responses, decisions, "requestBody" in entry)
    return {"tags": [info["tag"]], "summary": op.summary, **entry, "responses": dict(sorted(responses.items())),
            "operationId": info["id"], "x-captured": "inferred", "security": [{"FyndBearer": []}]}


FYND_PREFIX = "/service/platform/cart"


def add_links(paths: dict, links: dict, schemas: dict) -> None:
    """Add the OpenAPI links of decisions.yaml ``links`` to the success responses they start from.

    ``links`` maps source operationId -> status -> target operationId -> {parameters, requestBody}.
    A link is refused unless its source response, its target and every parameter (``in.name``) or
    top-level body field it sets exist in the spec.
    """
    ops = {op["operationId"]: op for item in paths.values() for op in item.values()}
    for source, by_status in links.items():
        if source not in ops:
            raise ValueError(f"decisions: link source {source} is not an operation")
        for status, targets in by_status.items():
            response = ops[source]["responses"].get(str(status))
            if response is None or not str(status).startswith("2"):
                raise ValueError(f"decisions: {source} has no success response {status} to link from")
            out = {}
            for target, link in targets.items():
                if target not in ops:
                    raise ValueError(f"decisions: link {source} {status} -> {target}: no such operation")
                params = {(p["in"], p["name"]) for p in ops[target].get("parameters", [])}
                for key in link.get("parameters", {}):
                    where, _, name = key.partition(".")
                    if (where, name) not in params:
                        raise ValueError(f"decisions: link {source} -> {target}: {target} has no {key}")
                if "requestBody" in link:
                    body = ops[target].get("requestBody", {}).get("content", {}).get("application/json", {})
                    ref = body.get("schema", {}).get("$ref", "")
                    fields = schemas.get(ref.removeprefix(SCHEMA_REF), {}).get("properties", {})
                    missing = set(link["requestBody"]) - set(fields)
                    if missing:
                        raise ValueError(f"decisions: link {source} -> {target}: its body has no {sorted(missing)}")
                link = copy.deepcopy(link)
                # Carts, offers and addresses live in one company's application: a link stays in it.
                source_params = {(p["in"], p["name"]) for p in ops[source].get("parameters", [])}
                scope = {f"path.{n}": f"$request.path.{n}" for n in ("company_id", "application_id")
                         if ("path", n) in params and ("path", n) in source_params}
                if scope:
                    link["parameters"] = {**scope, **link.get("parameters", {})}
                out[target] = {"operationId": target, **link, "x-captured": "inferred"}
            response["links"] = out


# --------------------------------------------------------------------------
# EnKash: one operation, rendered as name / type / required|optional runs
# --------------------------------------------------------------------------

JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def _clean(line: str) -> str:
    return line.replace("\xa0", " ").encode("ascii", "ignore").decode().strip()


def _enkash_fields(lines: list[str], start: int, stop: int) -> list[tuple[str, str, bool, str | None]]:
    """(name, type line, required, example) runs after a heading."""
    out, i = [], start
    while i + 2 < stop:
        name, kind, need = lines[i], _clean(lines[i + 1]), _clean(lines[i + 2])
        if need not in ("required", "optional"):
            break
        i += 3
        example = None
        if i + 1 < stop and lines[i] == "Example:":
            example = lines[i + 1]
            i += 2
        out.append((name, kind, need == "required", example))
    return out


def _json_after(lines: list[str], start: int):
    depth, buf = 0, []
    for line in lines[start:]:
        buf.append(line)
        depth += line.count("{") + line.count("[") - line.count("}") - line.count("]")
        if depth == 0:
            break
    return json.loads("\n".join(buf))


def _example_schema(value: dict, description: str) -> dict:
    props = {k: {"type": JSON_TYPES[type(v)]} for k, v in value.items()}
    return {"type": "object", "description": description, "x-captured": "example",
            "properties": props, "required": list(props)}


def enkash_parts(text: str, decisions: dict) -> tuple[str, dict, dict]:
    """Return (path, path item, component schemas) for EnKash's Add to cart."""
    lines = [line.rstrip() for line in text.split("\n")]
    d = decisions["enkash"]
    names = d["schema_names"]
    title = lines.index("Add to cart")
    method = lines[title + 2].lower()
    path = lines[title + 3]
    if path != d["path"]:
        raise ValueError(f"EnKash path is {path}, decisions say {d['path']}")
    q = lines.index("Query Params")
    h = lines.index("Header Params")
    b = next(i for i, t in enumerate(lines) if t.startswith("Body Params"))
    query = _enkash_fields(lines, q + 1, h)
    body = _enkash_fields(lines, b + 1, len(lines))
    request_example = _json_after(lines, lines.index("Example", b) + 1)
    r = lines.index("Responses")
    status = re.search(r"(\d{3})(\w+)", _clean(lines[r + 1]))
    rb = lines.index("Body", r)
    response_fields = _enkash_fields(lines, rb + 1, len(lines))
    response_example = _json_after(lines, lines.index("Example", rb) + 1)

    parameters = []
    for name, kind, required, example in query:
        param = {"name": name, "in": "query", "required": required, "schema": {"type": kind}}
        if name == "product":  # the one product this document covers (decisions.yaml)
            param["schema"]["enum"] = [example]
        param["example"] = example
        parameters.append(param)

    schemas: dict = {}
    item_key = next(iter(request_example["items"]))
    schemas[names["request_item"]] = _example_schema(
        request_example["items"][item_key], "One entry of `items`: how many of this product config to add.")
    request_props: dict = {}
    for name, kind, required, _ in body:
        if name == item_key:  # the text renders the example map key as a field
            continue
        if kind == "object":
            request_props[name] = {"type": "object", "description": "Map of product-config id to what to add.",
                                   "additionalProperties": {"$ref": SCHEMA_REF + names["request_item"]},
                                   "minProperties": 1}
        else:
            request_props[name] = {"type": kind}
    schemas[names["request"]] = {"type": "object", "properties": request_props,
                                 "required": [n for n, _, r, _ in body if r and n != item_key],
                                 "example": request_example}

    payload = response_example["payload"][0]
    line = next(iter(payload["items"].values()))
    schemas[names["line"]] = _example_schema(line, "A cart line: one product config with its quantity and totals.")
    schemas[names["config"]] = _example_schema(payload["productConfigs"][0], "A denomination the catalog entry offers.")
    top, nested, count = [], [], 0
    for name, kind, required, _ in response_fields:
        m = re.match(r"array \[object \{(\d+)\}\]", kind)
        if count:
            nested.append((name, kind, required))
            count -= 1
        else:
            top.append((name, kind, required))
            if m and name == "payload":
                count = int(m.group(1))
    payload_props = {}
    for name, kind, required in nested:
        if name == "items":
            payload_props[name] = {"type": "object", "description": "Cart lines keyed by product-config id.",
                                   "additionalProperties": {"$ref": SCHEMA_REF + names["line"]}}
        elif kind.startswith("array"):
            payload_props[name] = {"type": "array", "items": {"$ref": SCHEMA_REF + names["config"]}}
        else:
            payload_props[name] = {"type": kind}
    schemas[names["payload"]] = {"type": "object", "properties": payload_props}
    response_props, response_required = {}, []
    for name, kind, required in top:
        if name == "payload":
            response_props[name] = {"type": "array", "items": {"$ref": SCHEMA_REF + names["payload"]}}
        else:
            response_props[name] = {"type": kind}
        if required:
            response_required.append(name)
    schemas[names["response"]] = {"type": "object", "properties": response_props,
                                  "required": response_required, "example": response_example}

    def json_content(schema_name: str) -> dict:
        return {"application/json": {"schema": {"$ref": SCHEMA_REF + schema_name}}}

    operation = {
        "tags": [d["operation"]["tag"]],
        "summary": "Add to cart",
        "description": "Add vouchers of one catalog entry to the user's cart; returns the user's whole voucher cart.",
        "operationId": d["operation"]["id"],
        "x-captured": "text",
        "parameters": parameters,
        "requestBody": {"required": True, "content": json_content(names["request"])},
        "responses": {
            status.group(1): {"description": status.group(2), "content": json_content(names["response"])},
            "400": {"description": "Malformed input: the message says which value was refused.",
                    "x-captured": "inferred", "content": json_content("EnKashError")},
            "401": {"description": "Missing or invalid bearer token.",
                    "x-captured": "inferred", "content": json_content("EnKashError")},
        },
        "security": [{"EnKashBearer": []}],
    }
    return path, {method: operation}, schemas


# --------------------------------------------------------------------------
# The whole document
# --------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
FYND_TEXT = "002_bba46036a300e942.txt"
ENKASH_TEXT = "000_0870212ee9488ea7.txt"
SPEC = ROOT / "spec" / "openapi.yaml"
DECISIONS = ROOT / "spec" / "decisions.yaml"
EXAMPLES = ROOT / "spec" / "examples.py"


def load_decisions(path: Path = DECISIONS) -> dict:
    return yaml.safe_load(path.read_text())


class SeedsMissing(Exception):
    """The reference texts are not where the tool reads them."""


def read_seed(seeds: Path, name: str) -> str:
    path = seeds / name
    if not path.is_file():
        raise SeedsMissing(f"{path} is missing: the reference texts belong in ../shared/seeds beside the "
                           f"repository ({SEEDS}), or pass --seeds DIR")
    return path.read_text()


@functools.cache
def load_examples():
    """``spec/examples.py``, which records the examples (loaded by path: spec/ is not a package)."""
    module_spec = importlib.util.spec_from_file_location("cartwright_spec_examples", EXAMPLES)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module  # dataclasses look their module up by name
    module_spec.loader.exec_module(module)
    return module


DESCRIPTION = """\
The Fynd Platform Cart API (58 operations) and EnKash's voucher Add-to-cart, as the Cartwright sandbox serves
them. Every request needs `Authorization: Bearer <token>`: the sandbox takes any token unless it was started
with `--tokens`.

Every operation has request and response examples, recorded from a sandbox on the default catalog (a company
`1`, an application `demo`). Examples that name a user (`user_id`) work as they are in "Try it out"; where an
example names something an earlier call made (a cart, a cart line, a coupon, an address...), its summary says
so and where the id is found: put in one your sandbox gave.

`x-captured` says where an operation or a response comes from: `text` (the API's documents), `inferred` (not
in them; decided for the sandbox) or `example` (only in a documented example)."""


def build_spec(seeds: Path = SEEDS, decisions: dict | None = None, *, examples: bool = True) -> dict:
    """The spec the texts and decisions give; with ``examples``, recorded from a sandbox serving it."""
    decisions = decisions or load_decisions()
    fynd_text, enkash_text = read_seed(seeds, FYND_TEXT), read_seed(seeds, ENKASH_TEXT)
    ops = parse_fynd(fynd_text)
    book = SchemaBook(decisions.get("enums", []))
    paths = fynd_paths(ops, decisions, book)
    schemas = book.components()
    enkash_path, enkash_item, enkash_schemas = enkash_parts(enkash_text, decisions)
    paths[enkash_path] = enkash_item
    schemas.update(enkash_schemas)
    for name, schema in decisions["extra_schemas"].items():
        if name in schemas:
            raise ValueError(f"decisions: extra schema {name} is already captured from the text")
        schemas[name] = schema
    add_links(paths, decisions.get("links", {}), schemas)
    tags = []
    for item in paths.values():
        for op in item.values():
            if op["tags"][0] not in tags:
                tags.append(op["tags"][0])
    spec = {
        "openapi": "3.0.3",
        "info": {
            "title": "Cartwright: Fynd Platform Cart API and EnKash voucher Add-to-cart",
            "version": "1.0.0",
            "description": DESCRIPTION,
        },
        "servers": [{"url": "http://127.0.0.1:8080", "description": "Cartwright sandbox (default)"}],
        "tags": [{"name": t} for t in tags],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "FyndBearer": {"type": "http", "scheme": "bearer",
                               "description": "Fynd Platform access token."},
                "EnKashBearer": {"type": "http", "scheme": "bearer",
                                 "description": "EnKash bearer token; it identifies the user."},
            },
            "schemas": dict(sorted(schemas.items())),
        },
    }
    return load_examples().record(spec) if examples else spec


def render(spec: dict) -> str:
    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data):  # every schema written out where it stands
            return True

    header = ("# Generated by spec/capture.py from ../shared/seeds and spec/decisions.yaml, with examples recorded\n"
              "# by spec/examples.py. Do not edit.\n")
    return header + yaml.dump(spec, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if spec/openapi.yaml is not what the texts give")
    parser.add_argument("--seeds", type=Path, default=SEEDS)
    parser.add_argument("--out", type=Path, default=SPEC)
    args = parser.parse_args(argv)
    try:
        text = render(build_spec(args.seeds))
    except (SeedsMissing, load_examples().ExampleError) as problem:
        print(f"spec/capture.py: cannot {'check' if args.check else 'write'} the spec: {problem}", file=sys.stderr)
        return 2
    if args.check:
        committed = args.out.read_text() if args.out.exists() else ""
        if committed != text:
            print(f"{args.out} differs from what the texts give: run python spec/capture.py", file=sys.stderr)
            diff = difflib.unified_diff(committed.splitlines(), text.splitlines(), str(args.out), "generated",
                                        n=2, lineterm="")
            print("\n".join(itertools.islice(diff, 40)), file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
