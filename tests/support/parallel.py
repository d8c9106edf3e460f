"""How the whole suite is spread over pytest-xdist workers.

- A whole run (``pytest`` with no paths, as ``./dev test`` runs it) uses ``WORKERS``
  processes unless ``-n`` is given (``-n 0``: one process). A run of chosen files or tests
  stays in one process, as before.
- Each test file is one unit of work: its module fixtures (a server, a browser, a
  desktop) start once, and no two workers run one file's tests side by side.
- The files in ``SHARED_SESSION_GROUPS`` share a session fixture that is slow to make:
  each group is one unit, so one worker makes it once (the PyInstaller build; the web
  scenario, whose server the files also share in the order a one-process run has).
  A new file that uses one of those fixtures belongs in its group.
- Units start longest first: the groups, then files with ``slow`` tests, then the rest,
  so the run does not end waiting on one long file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

# two cores: one worker each (servers and browsers the tests start wait on I/O as well)
WORKERS = 2
# a test file (as in a node id) → its group
SHARED_SESSION_GROUPS: Mapping[str, str] = {
    "tests/ui/test_build.py": "one_folder_build",
    "tests/ui/test_package.py": "one_folder_build",
    "tests/e2e/test_web_clock_jump.py": "web_scenario",
    "tests/e2e/test_web_forms_and_confirms.py": "web_scenario",
    "tests/e2e/test_web_hourly.py": "web_scenario",
    "tests/e2e/test_web_milestones.py": "web_scenario",
    "tests/e2e/test_web_signed_diary.py": "web_scenario",
}
# the session fixture behind each group: a file using it must be in the group
GROUP_FIXTURES: Mapping[str, str] = {
    "one_folder_build": "one_folder_build",
    "scenario": "web_scenario",
}


def every_user_of_a_shared_fixture_is_grouped(items: list[pytest.Item]) -> None:
    """From ``pytest_collection_modifyitems``: refuse a run where a file uses a group's
    fixture but is missing from ``SHARED_SESSION_GROUPS`` (it would make its own copy,
    or see the shared server in another order than a one-process run)."""
    for item in items:
        for fixture in getattr(item, "fixturenames", ()):
            group = GROUP_FIXTURES.get(fixture)
            path = _file_of(item.nodeid)
            if group is not None and SHARED_SESSION_GROUPS.get(path) != group:
                raise pytest.UsageError(
                    f"{path} uses the '{fixture}' fixture: add it to "
                    f"SHARED_SESSION_GROUPS as '{group}' in tests/support/parallel.py")


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
        option.dist = "loadfile"


def longest_files_first(config: pytest.Config, items: list[pytest.Item]) -> None:
    """From ``pytest_collection_modifyitems``: in a worker, the files in the order the
    units should start (the scheduler keeps it); a file keeps its own order."""
    if not hasattr(config, "workerinput"):
        return
    rank: dict[str, int] = {}
    for item in items:
        path = _file_of(item.nodeid)
        if path in SHARED_SESSION_GROUPS:
            mine = 0
        elif item.get_closest_marker("slow") is not None:
            mine = 1
        else:
            mine = 2
        rank[path] = min(rank.get(path, mine), mine)
    items.sort(key=lambda item: rank[_file_of(item.nodeid)])


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


class FileScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """One unit per file, or per group of ``SHARED_SESSION_GROUPS``; in collection order."""

    def _split_scope(self, nodeid: str) -> str:
        path = _file_of(nodeid)
        return SHARED_SESSION_GROUPS.get(path, path)

    def schedule(self) -> None:
        # the workers sorted the files longest first: keep that, not xdist's test count
        self.config.option.loadscopereorder = False
        super().schedule()


def make_scheduler(config: pytest.Config, log: Any) -> FileScheduling | None:
    """From ``pytest_xdist_make_scheduler``: ours for ``--dist loadfile``, else xdist's."""
    if config.getvalue("dist") != "loadfile":
        return None
    return FileScheduling(config, log)
