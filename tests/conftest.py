"""Fixtures shared by every test package."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import parallel
from tests.support.xvfb import XServer, xvfb


def _cache_byte_code_outside_the_tree() -> None:
    """Let this process and every Python subprocess (servers, CLI commands, workers)
    reuse compiled byte code even where ``PYTHONDONTWRITEBYTECODE`` is set.

    Without a cache each ``workdiary-server`` start compiles SQLAlchemy, FastAPI, … from
    source again: about 2 s of CPU per process, and the suite starts hundreds. The cache
    goes to a private directory under the temp dir, never next to the sources.
    """
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    prefix = Path(tempfile.gettempdir()) / f"workdiary-test-pycache-{os.getuid()}"
    try:
        prefix.mkdir(mode=0o700, exist_ok=True)
        private = prefix.lstat()
    except OSError:
        return
    if prefix.is_symlink() or private.st_uid != os.getuid() or private.st_mode & 0o077:
        return  # not ours alone: compile from source as before
    os.environ.pop("PYTHONDONTWRITEBYTECODE")
    os.environ["PYTHONPYCACHEPREFIX"] = str(prefix)
    sys.pycache_prefix = str(prefix)
    sys.dont_write_bytecode = False


_cache_byte_code_outside_the_tree()


@pytest.fixture(scope="session")
def x_server() -> Iterator[XServer]:
    """One real 1920×1080 X server for the session; sets DISPLAY while it runs."""
    with xvfb() as server:
        previous = os.environ.get("DISPLAY")
        os.environ["DISPLAY"] = server.display
        try:
            yield server
        finally:
            if previous is None:
                os.environ.pop("DISPLAY", None)
            else:
                os.environ["DISPLAY"] = previous


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    parallel.spread_a_whole_run(config)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    parallel.every_user_of_a_shared_fixture_is_grouped(items)
    parallel.longest_files_first(config, items)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    return parallel.make_scheduler(config, log)
