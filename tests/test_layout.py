"""The layout is the architecture.

- The pure cores import no Qt, no HTTP, no framework.
- Our own packages depend in one direction: the edges (billing/api, billing/web) go
  through billing/services and never query the database themselves; billing/db knows no
  service; the backend imports nothing of the desktop app; sync/ sees the tracker's
  records, not its SQLite module.
- No import cycle between our modules, and no function longer than a screen (the tests
  included; migrations are generated and skipped).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("timekeeping", "diarychain", "tracker", "ui", "sync", "billing")

QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6")
HTTP = ("requests", "httpx", "urllib3", "fastapi", "starlette", "uvicorn", "aiohttp")
FRAMEWORK = ("sqlalchemy", "alembic", "jinja2", "psycopg")

# package → module prefixes it must not import (a prefix matches itself and its children)
RULES: dict[str, tuple[str, ...]] = {
    "timekeeping": QT + HTTP + FRAMEWORK + ("tracker", "ui", "sync", "billing"),
    "diarychain": QT + HTTP + FRAMEWORK + ("tracker", "ui", "sync", "billing"),
    "tracker": QT + HTTP + FRAMEWORK + ("ui", "sync", "billing"),
    "sync": (*QT, "ui", "billing", "tracker.store"),
    "billing": (*QT, "tracker", "ui", "sync"),
    "billing/domain": QT + HTTP + FRAMEWORK + ("billing.db", "billing.services"),
    "billing/db": ("billing.services", "billing.api", "billing.web", "billing.access"),
    "billing/services": ("billing.api", "billing.web", "fastapi", "starlette"),
    "billing/api": ("sqlalchemy", "billing.db"),
    "billing/web": ("sqlalchemy", "billing.db"),
}

# The composition root wires the real adapters, so it may name the database layer.
COMPOSITION_ROOTS = {"billing/api/app.py"}

# What the edges may still take from below the services: the record types they present
# and the error family they map to HTTP. The request's session is typed in deps.py, and
# database errors are mapped to HTTP in errors.py — each in one place.
ALLOWED: dict[str, tuple[str, ...]] = {
    "billing/api": ("billing.db.models", "billing.db.milestones_tables", "billing.db.errors"),
    "billing/web": ("billing.db.models", "billing.db.milestones_tables", "billing.db.errors"),
}
SQLALCHEMY_AT_THE_EDGE = {"billing/api/deps.py", "billing/api/errors.py"}

MAX_FUNCTION_LINES = 60


def _source_files(package: str) -> Iterator[Path]:
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking_block(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )


def _package_of(path: Path) -> str:
    return _module_name(path) if path.name == "__init__.py" else _module_name(path.parent)


def _imported_modules(path: Path, package: str) -> set[str]:
    """Every module the file imports at run time, at module level or inside a function
    (an import inside a function still makes a cycle); ``TYPE_CHECKING`` blocks excluded.
    ``package`` resolves relative imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: set[str] = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if _is_type_checking_block(node):
            continue
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            modules.add(base)
            modules.update(f"{base}.{alias.name}" for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))
    return modules


def _matches(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


@pytest.mark.parametrize("package", sorted(RULES))
def test_package_imports_nothing_forbidden(package: str) -> None:
    offenders = []
    for path in _source_files(package):
        if str(path.relative_to(ROOT)) in COMPOSITION_ROOTS:
            continue
        relative = str(path.relative_to(ROOT))
        allowed = ALLOWED.get(package, ())
        if relative in SQLALCHEMY_AT_THE_EDGE:
            allowed = (*allowed, "sqlalchemy")
        bad = sorted(
            module
            for module in _imported_modules(path, _package_of(path))
            if any(_matches(module, prefix) for prefix in RULES[package])
            and not any(_matches(module, prefix) for prefix in allowed)
            and module != "billing.db"  # ``from billing.db import models`` names its child
        )
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {bad}")
    assert not offenders, "\n".join(offenders)


def _import_graph() -> dict[str, set[str]]:
    files = {_module_name(path): path for package in PACKAGES for path in _source_files(package)}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        # A module's own enclosing packages are imported before it by Python itself: an
        # edge to them (``from billing.web import render``) is not a cycle of ours.
        enclosing = {name.rsplit(".", depth)[0] for depth in range(1, name.count(".") + 1)}
        imported = _imported_modules(path, _package_of(path))
        graph[name] = {module for module in imported if module in files} - {name} - enclosing
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    cycles = _cycles(_import_graph())
    assert not cycles, "\n".join(" ↔ ".join(cycle) for cycle in cycles)


def test_no_function_longer_than_a_screen() -> None:
    offenders = []
    for package in (*PACKAGES, "bench", "tests"):
        for path in _source_files(package):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > MAX_FUNCTION_LINES:
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not offenders, "\n".join(offenders)


def test_the_rules_catch_what_they_forbid(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text(
        "from PySide6.QtCore import QTimer\nimport requests.adapters\n"
        "def later():\n    from .db import slots\n"
    )
    modules = _imported_modules(sample, "billing")
    assert _matches("PySide6.QtCore", "PySide6") and "PySide6.QtCore" in modules
    assert "requests.adapters" in modules and "billing.db.slots" in modules


def test_a_cycle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
