"""The operation map: each operationId of a spec → the one handler method answering it.

Handler objects (``CartApi``, ``AdminApi``, ...) answer operations with public methods named after their
operationIds. ``operation_map`` collects them and refuses, at start-up, a map that does not match the spec
exactly: an operation no handler answers, a method two handlers define, or a public method that answers no
operation (a typo in a name, or an operation dropped from the spec). Connexion's resolver then only looks up
this map.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping

from connexion.resolver import Resolver

from ..domain.errors import WiringError

METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def spec_operations(spec: Mapping) -> Iterator[tuple[str, Mapping]]:
    """(operationId, operation) for each operation of a spec that names one, in document order."""
    for path_item in spec.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in METHODS and isinstance(operation, Mapping) and "operationId" in operation:
                yield operation["operationId"], operation


def operation_ids(spec: Mapping) -> Iterator[str]:
    """The operationIds of a spec's operations, in document order."""
    return (operation_id for operation_id, _ in spec_operations(spec))


def operation_map(spec: Mapping, *handlers: object) -> dict[str, Callable]:
    """operationId → bound handler method, for every operation of ``spec``; ``WiringError`` when an operation has
    no handler, a name is defined by two handlers, or a handler's public method answers no operation."""
    wanted = list(operation_ids(spec))
    table: dict[str, Callable] = {}
    owners: dict[str, str] = {}
    for handler in handlers:
        owner = type(handler).__name__
        for name, method in inspect.getmembers(handler, inspect.ismethod):
            if name.startswith("_"):
                continue
            if name in table:
                raise WiringError(f"operation {name} is answered by both {owners[name]} and {owner}",
                                  field="operationId", value=name)
            table[name], owners[name] = method, owner
    missing = [op for op in wanted if op not in table]
    if missing:
        raise WiringError(f"no handler answers {', '.join(missing)}", field="operationId", value=missing)
    spare = sorted(set(table) - set(wanted))
    if spare:
        raise WiringError(f"{', '.join(f'{owners[n]}.{n}' for n in spare)} answer(s) no operation of the spec",
                          field="operationId", value=spare)
    return table


def resolver(spec: Mapping, *handlers: object, around: Callable | None = None) -> Resolver:
    """Connexion's resolver over ``operation_map(spec, *handlers)``, each method decorated with ``around`` when
    given."""
    table = operation_map(spec, *handlers)
    if around is not None:
        table = {op: around(method) for op, method in table.items()}
    return Resolver(function_resolver=table.__getitem__)
