"""build.spec makes a one-folder app that starts: built here, run on a real X server.

Measured on this machine kind (2 cores): the build takes ~60 s, so it stays in the
default run (the rule: out of it only above 2 minutes).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sync.http_transport import HelperTransport
from tests.support.app_build import OneFolderBuild
from tests.support.xvfb import XServer


@pytest.mark.slow
@pytest.mark.xvfb
def test_the_built_app_starts_and_quits_cleanly(
    tmp_path: Path, x_server: XServer, one_folder_build: OneFolderBuild
) -> None:
    build = one_folder_build
    assert build.returncode == 0, build.stderr[-3000:]
    binary = build.app_dir / "workdiary"
    assert binary.is_file()
    assert (build.app_dir / "_internal" / "resources" / "icons" / "tracking-22.png").is_file()

    env = dict(os.environ, DISPLAY=x_server.display, QT_QPA_PLATFORM="xcb",
               XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    run = subprocess.run(
        [str(binary), "--data-dir", str(tmp_path / "data"), "--config-dir",
         str(tmp_path / "config"), "--quit-after", "3"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Workdiary running" in run.stderr
    # the X11 input backend made it into the bundle (its absence is only a warning)
    assert "no keyboard/mouse counting" not in run.stderr
    assert (tmp_path / "data" / "tracker.sqlite3").is_file()


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.slow
def test_the_built_app_serves_as_its_keyring_and_network_helpers(
    one_folder_build: OneFolderBuild,
) -> None:
    """The frozen app re-runs itself as each helper: keyring, requests and their backends
    must be in the bundle, though the app itself never imports them."""
    binary = one_folder_build.app_dir / "workdiary"
    keyring_request = json.dumps({"op": "get", "service": "Workdiary", "username": "x"})
    keyring_run = subprocess.run(
        [str(binary), "--keyring-helper"], input=keyring_request + "\n", capture_output=True,
        text=True, timeout=60, env=dict(os.environ,
                                        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"))
    assert keyring_run.returncode == 0, keyring_run.stderr[-3000:]
    assert json.loads(keyring_run.stdout)["kind"] == "NoKeyringError"

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        transport = HelperTransport([str(binary), "--network-helper"])
        answer = transport.request("GET", f"http://127.0.0.1:{server.server_address[1]}/",
                                   headers={}, timeout=(5, 10))
        transport.close()
    finally:
        server.shutdown()
        server.server_close()
    assert (answer.status, answer.content) == (200, b"hello")
