"""A private D-Bus session bus (Debian's dbus-daemon) for desktop-service tests."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def private_session_bus() -> Iterator[str]:
    """Start ``dbus-daemon --session`` and yield its address; it stops on exit."""
    binary = shutil.which("dbus-daemon")
    if binary is None:
        raise RuntimeError("dbus-daemon is not installed: ./dev test installs it")
    daemon = subprocess.Popen(
        [binary, "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert daemon.stdout is not None
        address = daemon.stdout.readline().strip()
        if not address:
            raise RuntimeError(f"dbus-daemon did not start (exit code {daemon.poll()})")
        yield address
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
        if daemon.stdout is not None:
            daemon.stdout.close()
