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


# what the app never loads, the windows shown on demand included: the keyring and HTTP
# stacks live in helper processes (sync/secret_backend.py, sync/http_transport.py), and
# libsodium does the app's hashing and cipher (no OpenSSL: not hashlib's, not
# cryptography's). Together ~21 MiB of the tray app's RSS.
HELPERS_ONLY = ("keyring", "jaraco", "more_itertools", "backports.tarfile", "secretstorage",
                "cryptography", "requests", "urllib3", "charset_normalizer", "idna",
                "certifi", "ssl", "_ssl", "_hashlib", "hmac")
ON_DEMAND = "ui.diary_window, ui.sent_window, ui.timesheet_window, ui.settings_dialog"
RESIDENT = ("sync.credentials, sync.shot_key_store, sync.device_key, ui.single_instance, "
            "ui.desktop_notices, ui.notifications")


def _loaded(modules: str, unwanted: tuple[str, ...]) -> list[str]:
    """Which of ``unwanted`` a fresh interpreter holds after importing ``modules``."""
    probe = (
        f"import json, sys; import {modules};"
        f"print(json.dumps(sorted(m for m in {unwanted!r} if m in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False,
                          env={"PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr[-2000:]
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_the_app_imports_no_image_codec_window_or_backend_at_start() -> None:
    assert _loaded(APP_MODULES, HEAVY) == []


def test_the_app_never_loads_the_keyring_http_or_openssl_stacks() -> None:
    assert _loaded(f"{APP_MODULES}, {RESIDENT}, {ON_DEMAND}", HELPERS_ONLY) == []


def test_the_probe_sees_what_is_loaded() -> None:
    assert _loaded("sync.requests_transport", HELPERS_ONLY) != []  # the check can fail
