"""``./dev run``: the backend on embedded SQLite with the demo data, and the tray app
signed in to the demo freelancer. Everything lives under the repository's ``.run/``.

Steps: ``workdiary-server demo`` (idempotent) → ``workdiary-server serve`` on a free
loopback port → wait until it answers → ``workdiary`` with ``--server-url``/``--email``
(password through the environment, not the command line), with ``--memo`` (asked for
at an interactive terminal when not given) as the first slot's memo. Quitting the app
(tray → Quit, Ctrl-C) stops the server too. A second ``./dev run`` on the same ``.run/``
uses the server already running there, and its app brings the first app's window forward.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TextIO

ROOT = Path(__file__).resolve().parent.parent
DEMO_EMAIL = "freelancer@demo.test"
DEMO_PASSWORD = "demo"
SERVER_START_DEADLINE_S = 30.0
SERVER_LOCK = "server.lock"  # held by the ./dev run that started the server
SERVER_INFO = "server.json"  # that server's address and process id


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(url: str, server: subprocess.Popen[bytes], deadline_s: float) -> None:
    """Poll the OpenAPI document until it answers (or the server died, or time ran out)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"workdiary-server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/openapi.json", timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)  # polling a subprocess with a deadline: nothing to wait on instead
    raise RuntimeError(f"workdiary-server did not answer at {url} within {deadline_s:.0f} s")


def prepare_run_dir(run_dir: Path) -> dict[str, Path]:
    run_dir.mkdir(parents=True, exist_ok=True)
    # keep the folder out of git without touching the shared .gitignore
    (run_dir / ".gitignore").write_text("*\n", encoding="utf-8")
    dirs = {name: run_dir / name for name in ("server", "tracker", "config", "xdg-config")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return dirs


@dataclass
class DevServer:
    """The server this ``./dev run`` uses: started here (``process``), or found running,
    started by another ``./dev run`` on the same run dir (``process`` None)."""

    url: str
    process: subprocess.Popen[bytes] | None
    lock: IO[str]

    def stop(self, info_path: Path) -> None:
        """Stop the server if this run started it; a reused one stays for its owner."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            info_path.unlink(missing_ok=True)
        self.lock.close()  # releases the flock


def start_or_reuse_server(server_cli: list[str], run_dir: Path, server_dir: Path,
                          port: int) -> DevServer:
    """One server per run dir (so per database). The ``./dev run`` that starts it holds
    an exclusive flock on ``server.lock`` for as long as it runs (the kernel drops it
    if that process dies) and writes the address to ``server.json``; a second
    ``./dev run`` finds the lock taken and uses that server instead of starting another
    on the same SQLite file."""
    info_path = run_dir / SERVER_INFO
    lock = (run_dir / SERVER_LOCK).open("a+", encoding="utf-8")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        url, pid = _running_server(info_path)
        print(f"[dev] a server on {server_dir} is already running at {url} (process {pid}, "
              "started by another ./dev run): using it", flush=True)
        return DevServer(url, None, lock)
    subprocess.run([*server_cli, "demo", "--data-dir", str(server_dir)], check=True,
                   stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port or free_port()}"
    process = subprocess.Popen([*server_cli, "serve", "--data-dir", str(server_dir),
                                "--host", "127.0.0.1", "--port", url.rsplit(":", 1)[1]])
    info_path.write_text(json.dumps({"url": url, "pid": process.pid}), encoding="utf-8")
    server = DevServer(url, process, lock)
    try:
        wait_until_serving(url, process, SERVER_START_DEADLINE_S)
    except BaseException:
        server.stop(info_path)
        raise
    return server


def _running_server(info_path: Path) -> tuple[str, int]:
    """The owner's address once it has written it and the server answers."""
    deadline = time.monotonic() + SERVER_START_DEADLINE_S
    while time.monotonic() < deadline:
        try:
            info = json.loads(info_path.read_text(encoding="utf-8"))
            url, pid = str(info["url"]), int(info["pid"])
            with urllib.request.urlopen(f"{url}/openapi.json", timeout=1) as answer:
                if answer.status == 200:
                    return url, pid
        except (OSError, ValueError, KeyError, urllib.error.URLError):
            pass
        time.sleep(0.1)  # the owner is starting it: nothing to wait on instead
    raise RuntimeError(f"another ./dev run holds {info_path.parent / SERVER_LOCK}, but its "
                       f"server did not answer within {SERVER_START_DEADLINE_S:.0f} s")
def ask_memo(terminal_in: TextIO, terminal_out: TextIO) -> str:
    """Ask what the first slot is about, at an interactive terminal only (not in CI or
    a pipe); an empty answer leaves the memo the contract had last."""
    if not terminal_in.isatty():
        return ""
    terminal_out.write("What are you working on? (Enter keeps the last memo) ")
    terminal_out.flush()
    try:
        return terminal_in.readline().strip()
    except (EOFError, KeyboardInterrupt):
        return ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev run", description=__doc__)
    parser.add_argument("--run-dir", type=Path, default=ROOT / ".run")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument("--no-tracking", action="store_true",
                        help="sign in but do not start tracking")
    parser.add_argument("--memo", help="what you work on (asked for when not given and "
                        "the terminal is interactive; empty keeps the contract's last memo)")
    parser.add_argument("--quit-after", type=float, help="quit the app after SECONDS")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))

    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        print("./dev run needs a desktop session (DISPLAY is not set); on a headless box use "
              "`xvfb-run -a ./dev run`", file=sys.stderr)
        return 2
    dirs = prepare_run_dir(args.run_dir)
    python = sys.executable
    server = start_or_reuse_server([python, "-m", "billing.cli"], args.run_dir, dirs["server"],
                                   args.port)
    url = server.url
    try:
        print(f"[dev] server at {url} — companion view for client@demo.test / demo", flush=True)
        env = dict(os.environ)
        env.update({
            "WORKDIARY_PASSWORD": DEMO_PASSWORD,
            # the demo token goes to a 0600 file under .run/, not the desktop keyring
            "XDG_CONFIG_HOME": str(dirs["xdg-config"]),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        })
        # a second ./dev run: the app's single-instance lock brings the first window forward
        app_args = [python, "-m", "ui", "--data-dir", str(dirs["tracker"]),
                    "--config-dir", str(dirs["config"]), "--server-url", url,
                    "--email", DEMO_EMAIL, "--window"]
        if not args.no_tracking:
            app_args.append("--start-tracking")
        memo = args.memo if args.memo is not None else ask_memo(sys.stdin, sys.stdout)
        if memo:
            app_args += ["--memo", memo]
        if args.quit_after is not None:
            app_args += ["--quit-after", str(args.quit_after)]
        return subprocess.call(app_args, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        server.stop(args.run_dir / SERVER_INFO)


if __name__ == "__main__":
    raise SystemExit(main())
