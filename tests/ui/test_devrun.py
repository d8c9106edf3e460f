"""Issue 14: a second ``./dev run`` on the same run dir starts no second server on the
same database; it uses the one running, and leaves it to the run that started it.

What is tested is devrun's lock and hand-over, so the server command is a small real
HTTP server process standing in for ``workdiary-server`` (whose ``demo`` step alone takes
~20 s on two loaded cores); ``./dev run`` passes the real one the same way.
"""

from __future__ import annotations

import fcntl
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

from ui.devrun import SERVER_INFO, SERVER_LOCK, prepare_run_dir, start_or_reuse_server


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/openapi.json", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


STAND_IN = textwrap.dedent("""
    import sys
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/openapi.json" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    if sys.argv[1] == "serve":
        HTTPServer(("127.0.0.1", int(sys.argv[sys.argv.index("--port") + 1])),
                   Answer).serve_forever()
""")


def test_a_second_dev_run_uses_the_running_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dirs = prepare_run_dir(tmp_path)
    script = tmp_path / "stand_in_server.py"
    script.write_text(STAND_IN, encoding="utf-8")
    server_cli = [sys.executable, str(script)]
    first = start_or_reuse_server(server_cli, tmp_path, dirs["server"], 0)
    try:
        assert first.process is not None and _answers(first.url)
        second = start_or_reuse_server(server_cli, tmp_path, dirs["server"], 0)
        assert second.process is None  # nothing started
        assert second.url == first.url
        assert f"already running at {first.url} (process {first.process.pid}" in (
            capsys.readouterr().out)
        second.stop(tmp_path / SERVER_INFO)  # the second run quits first
        assert _answers(first.url)  # the server stays for the run that started it
        assert (tmp_path / SERVER_INFO).is_file()
    finally:
        first.stop(tmp_path / SERVER_INFO)
    assert first.process.poll() is not None
    assert not (tmp_path / SERVER_INFO).exists()
    with (tmp_path / SERVER_LOCK).open("a+") as lock:  # free for the next ./dev run
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
