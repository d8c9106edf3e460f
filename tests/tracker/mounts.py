"""Real small file systems for fault tests: a tmpfs of a few MiB that can be filled up
or made read-only. Mounting needs root (the CI runs the suite as root)."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

FILLER_NAME = "filler.bin"


def mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
                   check=True)


def remount(path: Path, mode: str) -> None:
    """``mode`` "ro" or "rw". The kernel refuses "ro" (EBUSY) while a file on the mount is
    open for writing, so only mounts without open writers can be made read-only."""
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True)


def unmount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], check=True)


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "4m") -> Iterator[Path]:
    mount_tmpfs(path, size)
    try:
        yield path
    finally:
        unmount(path)


def fill(directory: Path) -> Path:
    """Write a file until the file system holding ``directory`` has no byte left."""
    filler = directory / FILLER_NAME
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for chunk in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * chunk):
                    pass
        try:
            os.write(fd, b"\0")
        except OSError as error:
            assert error.errno == errno.ENOSPC
        else:
            raise AssertionError(f"{directory} still has room after filling")
    finally:
        os.close(fd)
    return filler
