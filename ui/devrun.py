"""``./dev run``: the backend on embedded SQLite with the demo data, and the tray app
signed in to the demo freelancer. Everything lives under the repository's ``.run/``.

Steps: ``workdiary-server demo`` (idempotent) → ``workdiary-server serve`` on a free
loopback port → wait until it answers → ``workdiary`` with ``--server-url``/``--email``
(password through the environment, not the command line), with ``--memo`` (asked for
at an interactive terminal when not given) as the first slot's memo. Quitting the app (tray →
Quit, Ctrl-C) stops the server too.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
DEMO_EMAIL = "freelancer@demo.test"
DEMO_PASSWORD = "demo"
SERVER_START_DEADLINE_S = 30.0


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
    server_cli = [python, "-m", "billing.cli"]
    subprocess.run([*server_cli, "demo", "--data-dir", str(dirs["server"])], check=True,
                   stdout=subprocess.DEVNULL)
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([*server_cli, "serve", "--data-dir", str(dirs["server"]),
                               "--host", "127.0.0.1", "--port", str(port)])
    try:
        wait_until_serving(url, server, SERVER_START_DEADLINE_S)
        print(f"[dev] server at {url} — companion view for client@demo.test / demo", flush=True)
        env = dict(os.environ)
        env.update({
            "WORKDIARY_PASSWORD": DEMO_PASSWORD,
            # the demo token goes to a 0600 file under .run/, not the desktop keyring
            "XDG_CONFIG_HOME": str(dirs["xdg-config"]),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        })
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
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    raise SystemExit(main())
