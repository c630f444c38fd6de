"""No module imports a private name of Connexion, Starlette or uvicorn, except the one machinery module."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ("connexion", "starlette", "uvicorn")
ALLOWED = {ROOT / "sandbox" / "web" / "compiled.py"}   # lists in its docstring every internal it relies on


def private_imports(source: str) -> list[str]:
    """The private names (a part starting with ``_``) ``source`` imports from the frameworks."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in FRAMEWORKS:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                found += [n for n in names if any(part.startswith("_") for part in n.split("."))]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in FRAMEWORKS
                      and any(part.startswith("_") for part in a.name.split("."))]
    return sorted(set(found))


def test_private_imports_are_found():
    """The check sees ``from x._y import z``, ``from x import _z`` and ``import x._y``, and no public name."""
    source = ("from starlette._utils import get_route_path\nfrom connexion.decorators.parameter import "
              "_get_val_from_param, pythonic\nimport uvicorn._types\nfrom connexion import AsyncApp\n")
    assert private_imports(source) == ["connexion.decorators.parameter._get_val_from_param", "starlette._utils",
                                       "starlette._utils.get_route_path", "uvicorn._types"]


def test_only_the_machinery_module_imports_framework_internals():
    """Every Python file of the project but sandbox/web/compiled.py imports only public framework names."""
    offenders = {}
    for folder in ("sandbox", "conformance", "tests", "bench", "spec"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path not in ALLOWED and "node_modules" not in path.parts:
                found = private_imports(path.read_text(encoding="utf-8"))
                if found:
                    offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}
