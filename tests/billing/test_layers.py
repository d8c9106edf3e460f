"""The backend's layers point one way: pages and routes → services → db → domain.

``billing/db`` imports no service and has no import cycle (in-function imports count);
the hourly pages of the companion view import no SQLAlchemy; the jobs import their steps
by name, so renaming a step's module breaks the import instead of silently dropping it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
HOURLY_PAGES = (
    "auth",
    "contracts",
    "diary",
    "diary_grid",
    "disputes",
    "earnings",
    "invoices",
    "shots",
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in the file (``from a import b`` gives
    ``a`` and ``a.b``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in ``graph`` (module → modules it imports), or ``None``."""
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> list[str] | None:
        if module in trail:
            return [*trail[trail.index(module) :], module]
        if module in done:
            return None
        for target in sorted(graph[module]):
            found = visit(target, [*trail, module])
            if found:
                return found
        done.add(module)
        return None

    for module in sorted(graph):
        found = visit(module, [])
        if found:
            return found
    return None


def _db_graph() -> dict[str, set[str]]:
    paths = [p for p in (ROOT / "billing" / "db").rglob("*.py") if "migrations" not in p.parts]
    modules = {_module_name(path): path for path in paths}
    return {
        name: {target for target in _imports(path) if target in modules and target != name}
        for name, path in modules.items()
    }


def test_db_has_no_import_cycle() -> None:
    assert _cycle(_db_graph()) is None


def test_the_cycle_finder_finds_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_db_imports_no_service() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "billing" / "db").rglob("*.py"))
        if any(name.startswith("billing.services") for name in _imports(path))
    ]
    assert offenders == []


@pytest.mark.parametrize("page", HOURLY_PAGES)
def test_hourly_pages_import_no_sqlalchemy(page: str) -> None:
    imported = _imports(ROOT / "billing" / "web" / f"{page}.py")
    assert not {name for name in imported if name.split(".")[0] == "sqlalchemy"}


def test_jobs_import_their_steps_by_name() -> None:
    imported = _imports(ROOT / "billing" / "jobs.py")
    assert "billing.services.week_close" in imported
    assert not {name for name in imported if name.startswith("importlib")}
