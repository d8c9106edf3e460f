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


def test_the_rule_catches_a_qt_import(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from PySide6.QtCore import QTimer\nimport requests.adapters\n")
    assert {"PySide6", "requests"} <= _imported_roots(sample)
