"""The package's shape, read from its imports (ast, nothing run): extensions.py sits at the bottom
and closes no cycle, and the JSON API never imports a view module."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ideas"
# The one web module the API may lean on: ids, paging, loaders, roles, API keys.
SHARED_WEB_MODULE = "ideas.web.plumbing"


def _module_names() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


MODULES = _module_names()


def _imports_of(name: str) -> set[str]:
    """The package's modules that `name` imports anywhere in its text (inside functions too)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            # `from . import audit` imports the module audit; `from .models import User` imports models.
            targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES else module
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


GRAPH = {name: _imports_of(name) for name in MODULES}


def _reachable(start: str) -> set[str]:
    """Every module `start` imports, directly or through others."""
    seen, todo = set(), [start]
    while todo:
        for target in GRAPH[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_extensions_imports_nothing_of_the_package():
    assert GRAPH["ideas.extensions"] == set()


def test_no_module_that_extensions_reaches_leads_back_to_it():
    assert not [name for name in MODULES if name != "ideas.extensions"
                and "ideas.extensions" in _reachable(name) and name in _reachable("ideas.extensions")]


def test_the_api_imports_no_view_module():
    api_modules = [name for name in MODULES if name == "ideas.api" or name.startswith("ideas.api.")]
    views = {name: sorted(target for target in GRAPH[name]
                          if target.startswith("ideas.web") and target != SHARED_WEB_MODULE)
             for name in api_modules}
    assert views == {name: [] for name in api_modules}


def test_the_api_package_closes_no_cycle():
    api_modules = [name for name in MODULES if name.startswith("ideas.api")]
    assert [name for name in api_modules if name in _reachable(name)] == []


def test_no_module_of_the_package_leads_back_to_itself():
    """No import cycle anywhere, lazy imports inside functions included: each module can be read
    (and changed) knowing only what it imports."""
    assert [name for name in MODULES if name in _reachable(name)] == []
