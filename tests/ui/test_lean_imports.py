"""The tray app carries no image codec while it tracks: Pillow and the encoders load in
the capture worker, or in the app only when the freelancer blurs or opens a full shot;
the diary, timesheet and dialogs load when first shown (issue 13, lean app). A fresh
interpreter imports the app's entry modules and reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# what the app must not load at start, and why it would be there
HEAVY = ("PIL", "mss", "numpy", "sqlalchemy", "fastapi", "uvicorn", "jinja2",
         # the windows and dialogs shown on demand: imported when first shown
         "ui.diary_window", "ui.timesheet_window", "ui.settings_dialog", "ui.consent_dialog",
         "ui.idle_dialog", "ui.manual_time_dialog")
# with the modules main() loads to choose a capturer (the portal's decodes a file)
APP_MODULES = ("ui.app, ui.shell, ui.controller, ui.last_shot, ui.sync_adapter, sync.service,"
               " tracker.capture_select, tracker.capture_portal")


def test_the_app_imports_no_image_codec_window_or_backend_at_start() -> None:
    probe = (
        f"import json, sys; import {APP_MODULES};"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False,
                          env={"PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
