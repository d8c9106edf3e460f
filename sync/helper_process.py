"""What the app's helper processes (the keyring's, the network's) share: how one is
started, from source or from the frozen app, and how it is let go."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import suppress

KEYRING_FLAG = "--keyring-helper"  # the frozen app runs as sync.keyring_child with it
NETWORK_FLAG = "--network-helper"  # … and as sync.network_child with this one


def helper_command(module: str, frozen_flag: str) -> list[str]:
    """The frozen app re-runs itself with a flag (ui/__main__.py dispatches on it);
    from source, the module."""
    if getattr(sys, "frozen", False):
        return [sys.executable, frozen_flag]
    return [sys.executable, "-m", module]


def start_helper(command: list[str]) -> subprocess.Popen[bytes]:
    """The helper, talking over its stdin and stdout; raises ``OSError``."""
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env=os.environ.copy())


def let_go(process: subprocess.Popen[bytes], kill: bool = False) -> None:
    """End the helper's input (it finishes what it holds and exits), or kill it, and
    reap it. Its stdout is left to whoever reads it."""
    if kill:
        process.kill()
    if process.stdin is not None:
        with suppress(OSError):
            process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
