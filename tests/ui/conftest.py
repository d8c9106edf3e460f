"""UI tests run on Qt's offscreen platform: no X server, no window manager."""

from __future__ import annotations

import os

# Must be set before any QApplication exists (pytest-qt creates it lazily in qapp).
os.environ["QT_QPA_PLATFORM"] = "offscreen"

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from tests.support.app_build import OneFolderBuild, build_one_folder
from ui.style import STYLESHEET

OFFSCREEN_NOISE = r"This plugin does not support (propagateSizeHints|raise)\(\)"
SCREENS_DIR = Path(__file__).resolve().parents[2] / "artifacts" / "screens"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Qt's offscreen platform warns "This plugin does not support propagateSizeHints()"
    # whenever a shown top-level window's layout changes its size limits, and the same
    # for raise(); it is about the fake platform, not our code, so only these messages
    # are exempt from qt_log_level_fail.
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture
def styled_app(qapp: QApplication) -> Iterator[QApplication]:
    qapp.setStyleSheet(STYLESHEET)
    yield qapp


@pytest.fixture
def screens_dir() -> Path:
    SCREENS_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENS_DIR


@pytest.fixture(scope="session")
def one_folder_build(tmp_path_factory: pytest.TempPathFactory) -> OneFolderBuild:
    """build.spec built once per session: test_build runs it, test_package packs it."""
    return build_one_folder(tmp_path_factory.mktemp("pyinstaller"))
