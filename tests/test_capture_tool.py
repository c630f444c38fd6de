"""The capture tool's reading of the flattened text, on small made-up inputs."""
import pytest


def fields(capture, text):
    lines = text.strip("\n").split("\n")
    return capture.parse_fields(lines, 0, len(lines))


def body(capture, text, name=None):
    return capture.Body(name, fields(capture, text))


def op(capture, *bodies):
    o = capture.Operation("get", "/x", "x", "s")
    o.response = bodies[0]
    o.request = bodies[1] if len(bodies) > 1 else None
    return o


# A `price` object whose first field is `min`; the texts below go on differently.
PRICE_OPENING = """
price
object (Price)
Price
min
number
| float
"""

PRICE_THEN_A = PRICE_OPENING + """Nullable
Required
Lowest price
Default Value : 0
max
number
a
string
"""

PRICE_THEN_B = PRICE_OPENING + """Lowest
max
number
b
boolean
"""


def test_field_lines_are_read(capture):
    """Type, format, Nullable, Required, description and default are read off each field's lines."""
    f = fields(capture, PRICE_THEN_A)
    assert [x.name for x in f] == ["price", "min", "max", "a"]
    assert (f[0].type, f[0].ref, f[0].description) == ("object", "Price", "")
    assert (f[1].format, f[1].nullable, f[1].required, f[1].description, f[1].default) == (
        "float", True, True, "Lowest price", "0")


def test_diverging_occurrences_settle_the_extent(capture):
    """Two occurrences followed by different fields end the schema where they diverge."""
    ops = [op(capture, body(capture, PRICE_THEN_A), body(capture, PRICE_THEN_B))]
    extents = capture.resolve_extents(ops, {})
    assert (extents["Price"].length, extents["Price"].how) == (2, "diverged")


def test_one_context_is_undecided_until_decided(capture):
    """A schema always followed by the same fields is flagged, and a decision settles it."""
    ops = [op(capture, body(capture, PRICE_THEN_A))]
    assert capture.resolve_extents(ops, {})["Price"].how == "undecided"
    decided = capture.resolve_extents(ops, {"Price": ["min", "max"]})["Price"]
    assert (decided.length, decided.how) == (2, "decided")
    tree = capture.build_tree(ops[0].response.fields, {"Price": decided})
    assert [n.field.name for n in tree] == ["price", "a"]
    assert [n.field.name for n in tree[0].children] == ["min", "max"]


def test_a_decision_that_contradicts_the_text_is_refused(capture):
    """A decided field list that is not what follows the schema in the text raises."""
    ops = [op(capture, body(capture, PRICE_THEN_A))]
    with pytest.raises(ValueError, match="Price"):
        capture.resolve_extents(ops, {"Price": ["min", "a"]})


def test_a_name_repeated_in_one_object_is_refused(capture):
    """Nesting that puts the same field name twice in one object is an error, not a schema."""
    text = PRICE_THEN_A + "min\nnumber\n"
    ops = [op(capture, body(capture, text))]
    extents = {"Price": capture.Extent(4, "decided")}
    with pytest.raises(ValueError, match="repeats"):
        capture.build_tree(ops[0].response.fields, extents)
