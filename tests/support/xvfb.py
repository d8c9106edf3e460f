"""A real X server for tests: Xvfb on a free display, chosen by the server itself."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class XServer:
    display: str
    width: int
    height: int
    process: subprocess.Popen[bytes]


@contextmanager
def xvfb(
    screens: tuple[tuple[int, int], ...] = ((1920, 1080),), xinerama: bool = False
) -> Iterator[XServer]:
    """Start Xvfb with the given screens and yield it; the display number comes from
    ``-displayfd`` so parallel test runs never collide."""
    binary = shutil.which("Xvfb")
    if binary is None:
        raise RuntimeError("Xvfb is not installed: ./dev test installs it (Debian: xvfb)")
    read_fd, write_fd = os.pipe()
    args = [binary, "-displayfd", str(write_fd), "-nolisten", "tcp", "-noreset"]
    for index, (width, height) in enumerate(screens):
        args += ["-screen", str(index), f"{width}x{height}x24"]
    if xinerama:
        args.append("+xinerama")
    process = subprocess.Popen(args, pass_fds=(write_fd,), stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError(f"Xvfb did not start (exit code {process.poll()})")
        width, height = screens[0]
        yield XServer(display=f":{number}", width=width, height=height, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
