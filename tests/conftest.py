"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.xvfb import XServer, xvfb


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
