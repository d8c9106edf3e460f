"""The tray app carries no image codec while it tracks: Pillow and the encoders load in
the capture worker, or in the app only when the freelancer blurs or opens a full shot
(issue 13, lean app). A fresh interpreter imports the app's entry module and reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# what the app must not load at start, and why it would be there
HEAVY = ("PIL", "mss", "numpy", "sqlalchemy", "fastapi", "uvicorn", "jinja2")


def test_the_app_imports_no_image_codec_or_backend_at_start() -> None:
    probe = (
        "import json, sys; import ui.app, ui.shell, ui.controller, ui.last_shot;"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False,
                          env={"PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
