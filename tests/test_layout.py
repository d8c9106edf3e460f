"""The layout is the architecture: the pure cores import no Qt, no HTTP, no framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6")
HTTP = ("requests", "httpx", "urllib3", "fastapi", "starlette", "uvicorn", "aiohttp")
FRAMEWORK = ("sqlalchemy", "alembic", "jinja2", "psycopg")

RULES = {
    "tracker": QT + HTTP + FRAMEWORK,
    "sync": QT,
    "billing": QT,
    "billing/domain": QT + HTTP + FRAMEWORK,
}


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(RULES))
def test_package_imports_nothing_forbidden(package: str) -> None:
    forbidden = set(RULES[package])
    offenders = [
        f"{path.relative_to(ROOT)} imports {sorted(_imported_roots(path) & forbidden)}"
        for path in sorted((ROOT / package).rglob("*.py"))
        if _imported_roots(path) & forbidden
    ]
    assert not offenders, "\n".join(offenders)


# our own packages, by direction: (package, modules it must not import)
DIRECTION = {
    # sync takes the record types (tracker.model) and its own ports (sync.ports)
    "sync": ("tracker.store",),
}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def _reaches(modules: set[str], forbidden: tuple[str, ...]) -> set[str]:
    return {m for m in modules for f in forbidden if m == f or m.startswith(f + ".")}


@pytest.mark.parametrize("package", sorted(DIRECTION))
def test_package_imports_none_of_our_modules_it_must_not(package: str) -> None:
    reached = {
        path: _reaches(_imported_modules(path), DIRECTION[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    offenders = [
        f"{path.relative_to(ROOT)} imports {sorted(modules)}"
        for path, modules in reached.items()
        if modules
    ]
    assert not offenders, "\n".join(offenders)


def test_the_direction_rule_catches_the_store(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from tracker import store\nfrom tracker.store.rows import COLUMNS\n")
    assert _reaches(_imported_modules(sample), ("tracker.store",)) == {
        "tracker.store",
        "tracker.store.rows",
        "tracker.store.rows.COLUMNS",
    }


def test_the_rule_catches_a_qt_import(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from PySide6.QtCore import QTimer\nimport requests.adapters\n")
    assert {"PySide6", "requests"} <= _imported_roots(sample)
