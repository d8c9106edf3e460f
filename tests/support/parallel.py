"""How the whole suite is spread over pytest-xdist workers.

- A whole run (``pytest`` with no paths, as ``./dev test`` runs it) uses ``WORKERS``
  processes unless ``-n`` is given (``-n 0``: one process). A run of chosen files or tests
  stays in one process, as before.
- Each test file is one unit of work: its module fixtures (a server, a browser, a
  desktop) start once, and no two workers run one file's tests side by side.
- Tests that use a session fixture listed in ``SHARED_SESSION_FIXTURES`` go to one worker
  (one group), so that fixture is made once: the PyInstaller build, the web scenario.
- Units start longest first: the groups, then files with ``slow`` tests, then the rest
  (most tests first), so the run does not end waiting on one long file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadGroupScheduling  # type: ignore[import-untyped]

# two cores: one worker each (servers and browsers the tests start wait on I/O as well)
WORKERS = 2
GROUP_MARK = "xdist_group"
# a fixture name → the group of every test that uses it
SHARED_SESSION_FIXTURES: Mapping[str, str] = {
    "one_folder_build": "pyinstaller_build",
    "scenario": "web_scenario",
}


def spread_a_whole_run(config: pytest.Config) -> None:
    """From ``pytest_cmdline_main``: workers for a whole run; our scheduling for any."""
    option = config.option
    if not hasattr(option, "numprocesses"):
        return  # pytest-xdist not loaded (-p no:xdist)
    if hasattr(config, "workerinput") or os.environ.get("PYTEST_XDIST_WORKER"):
        return  # a worker runs its share itself: it must never start workers of its own
    if option.numprocesses is None and config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        option.numprocesses = WORKERS
    if option.numprocesses and option.dist == "no":
        option.dist = "loadgroup"


def group_shared_fixture_users(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests that share a session fixture with one group (see module docstring) and,
    in a worker, order the files longest first (the scheduler keeps this order)."""
    if not hasattr(config.option, "dist"):
        return  # pytest-xdist not loaded
    for item in items:
        for fixture in getattr(item, "fixturenames", ()):
            group = SHARED_SESSION_FIXTURES.get(fixture)
            if group is not None:
                item.add_marker(pytest.mark.xdist_group(group))
    if hasattr(config, "workerinput"):
        rank = _file_ranks(items)
        items.sort(key=lambda item: rank[_file_of(item)])  # stable: a file keeps its order


def _file_of(item: pytest.Item) -> Path:
    return Path(str(item.path))


def _file_ranks(items: list[pytest.Item]) -> dict[Path, int]:
    rank: dict[Path, int] = {}
    for item in items:
        if item.get_closest_marker(GROUP_MARK) is not None:
            mine = 0
        elif item.get_closest_marker("slow") is not None:
            mine = 1
        else:
            mine = 2
        path = _file_of(item)
        rank[path] = min(rank.get(path, mine), mine)
    return rank


class FileScheduling(LoadGroupScheduling):  # type: ignore[misc]
    """One unit per file, or per ``xdist_group``; units in collection order."""

    def _split_scope(self, nodeid: str) -> str:
        scope: str = super()._split_scope(nodeid)
        if scope != nodeid:
            return f"@{scope}"  # a group
        return nodeid.split("::", 1)[0]

    def schedule(self) -> None:
        # the workers sorted the files longest first: keep that, not xdist's test count
        self.config.option.loadscopereorder = False
        super().schedule()


def make_scheduler(config: pytest.Config, log: Any) -> FileScheduling | None:
    """From ``pytest_xdist_make_scheduler``: ours for ``--dist loadgroup``, else xdist's."""
    if config.getvalue("dist") != "loadgroup":
        return None
    return FileScheduling(config, log)
