"""PySide6's import hook reads the source of every module imported after it; the tray
app makes it keep none of it (ui/qt_sources.py, issue 13: about 11 MiB of the app's
memory). A fresh interpreter starts the way ``python -m ui`` does and reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START = "import ui.app, ui.shell, ui.controller, ui.sync_adapter, sync.service"


def _probe(code: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False,
                          env={"PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_app_started_as_python_m_ui_keeps_no_module_source_in_memory() -> None:
    report = _probe(
        "import json, linecache; from ui.qt_sources import read_sources_once;"
        f"adjusted = read_sources_once(); {START};"
        "print(json.dumps({'adjusted': adjusted, 'cached': len(linecache.cache)}))"
    )
    assert report["adjusted"] is True
    # before: every module imported after PySide6, 365 files in the running app
    assert isinstance(report["cached"], int) and report["cached"] < 10


def test_without_the_adjustment_pyside_keeps_the_sources() -> None:
    """The reason for the module: this fails once PySide6 stops doing it, and then
    ui/qt_sources.py can go."""
    report = _probe(
        f"import json, linecache; import PySide6.QtCore; {START};"
        "print(json.dumps({'cached': len(linecache.cache)}))"
    )
    assert isinstance(report["cached"], int) and report["cached"] > 100


def test_the_hook_answers_as_before_whether_a_module_mentions_pyside() -> None:
    report = _probe(
        "import json, sys; import PySide6.QtCore; import ui.qt_sources as q;"
        "import ui.tray, tracker.model, json as j;"
        "old = getattr(sys.modules[q.FEATURE_MODULE], q._ASKED);"
        "mods = [sys.modules[n] for n in ('ui.tray', 'tracker.model', 'json', 'sys')];"
        "print(json.dumps({'old': [old(m) for m in mods],"
        " 'new': [q._source_mentions_pyside(m) for m in mods]}))"
    )
    assert report["old"] == report["new"] == [True, False, False, False]
