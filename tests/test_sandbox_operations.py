"""The operation map: every operation of the spec has exactly one handler method, and none is left over."""

from __future__ import annotations

import pytest

from cartwright.sandbox.domain.errors import WiringError
from cartwright.sandbox.web.operations import operation_ids, operation_map

SPEC = {"paths": {"/a": {"get": {"operationId": "readA"}, "parameters": []},
                  "/b": {"post": {"operationId": "makeB"}}}}


class Reads:
    async def readA(self):
        return "a"

    def _helper(self):   # private: never an operation
        return None


class Makes:
    async def makeB(self):
        return "b"


def test_each_operation_maps_to_its_handler_method():
    """Each operationId maps to the method of that name on the one handler defining it; private methods and
    non-operation keys of a path item are ignored."""
    table = operation_map(SPEC, Reads(), Makes())
    assert sorted(table) == ["makeB", "readA"]
    assert table["readA"].__self__.__class__ is Reads and table["makeB"].__name__ == "makeB"


def test_an_operation_without_handler_is_refused_at_start():
    """An operation no handler answers stops the wiring, naming the operation (Connexion would answer 501)."""
    with pytest.raises(WiringError, match="no handler answers makeB"):
        operation_map(SPEC, Reads())


def test_two_handlers_defining_one_operation_are_refused():
    """A name two handlers define is refused naming both, instead of the first one silently winning."""
    class AlsoReads:
        async def readA(self):
            return "other"

    with pytest.raises(WiringError, match="readA is answered by both Reads and AlsoReads"):
        operation_map(SPEC, Reads(), Makes(), AlsoReads())


def test_a_public_method_answering_no_operation_is_refused():
    """A handler's public method that no operation names (a misspelt operationId) is refused."""
    class Misspelt(Makes):
        async def readAA(self):
            return "typo"

    with pytest.raises(WiringError, match=r"Misspelt.readAA answer\(s\) no operation"):
        operation_map(SPEC, Reads(), Misspelt())


def test_the_bundled_specs_are_answered_exactly(app):
    """The sandbox app starts: its handlers answer exactly the 59 operations of the bundled spec and the admin
    API's (the map is checked in create_app)."""
    from cartwright.sandbox.web.app import SPEC as BUNDLED, _load

    assert len(list(operation_ids(_load(BUNDLED)))) == 59
    with app.test_client() as client:
        assert client.get("/_cartwright/health").status_code == 200


def test_serving_leaves_the_cached_spec_as_it_was():
    """create_app hands Connexion the cached parsed spec uncopied: building an app and serving requests leaves
    it as it was (Connexion copies before resolving its $refs)."""
    import copy

    from cartwright.sandbox.web.app import SPEC as BUNDLED, _load, create_app

    before = copy.deepcopy(_load(BUNDLED))
    app = create_app()
    with app.test_client() as client:
        client.get("/service/platform/cart/v1.0/company/1/application/a/detail",
                   headers={"Authorization": "Bearer t"})
        client.get("/openapi.json")
    assert _load(BUNDLED) == before
