"""Why the local store could not be written, in words the user can act on.

SQLite reports the same condition in several ways: the extended error name
(``sqlite_errorname``, Python 3.11+) when the library raised it, only the message when
the error was raised some other way; the OS reports ``errno``. Both are mapped here
to one short cause ("disk full", "database is locked", "read-only" …).
"""

from __future__ import annotations

import errno
import os
import sqlite3
from dataclasses import dataclass

DISK_FULL = "disk full"
LOCKED = "database is locked"
READ_ONLY = "read-only"
IO_ERROR = "disk I/O error"
CANNOT_OPEN = "cannot open the database"
NO_PERMISSION = "no permission"


@dataclass(frozen=True)
class WriteFault:
    """``cause``: one of the short causes above (or the error's own words);
    ``detail``: the error as raised, for the log and the alert's second line."""

    cause: str
    detail: str


_SQLITE_NAMES = (
    ("SQLITE_FULL", DISK_FULL),
    ("SQLITE_BUSY", LOCKED),
    ("SQLITE_LOCKED", LOCKED),
    ("SQLITE_READONLY", READ_ONLY),
    ("SQLITE_IOERR", IO_ERROR),
    ("SQLITE_CANTOPEN", CANNOT_OPEN),
    ("SQLITE_PERM", NO_PERMISSION),
)
# the messages sqlite3_errstr() gives for the same codes
_SQLITE_MESSAGES = (
    ("disk is full", DISK_FULL),
    ("is locked", LOCKED),
    ("readonly database", READ_ONLY),
    ("read-only", READ_ONLY),
    ("disk i/o error", IO_ERROR),
    ("unable to open", CANNOT_OPEN),
)
_ERRNOS = {
    errno.ENOSPC: DISK_FULL,
    errno.EDQUOT: DISK_FULL,
    errno.EROFS: READ_ONLY,
    errno.EIO: IO_ERROR,
    errno.EACCES: NO_PERMISSION,
    errno.EPERM: NO_PERMISSION,
}


def write_fault(error: BaseException) -> WriteFault:
    """The cause of a failed store or shot-file write."""
    detail = f"{type(error).__name__}: {error}"
    if isinstance(error, sqlite3.Error):
        name = getattr(error, "sqlite_errorname", None) or ""
        for prefix, cause in _SQLITE_NAMES:
            if name.startswith(prefix):
                return WriteFault(cause, detail)
        message = str(error).lower()
        for fragment, cause in _SQLITE_MESSAGES:
            if fragment in message:
                return WriteFault(cause, detail)
        return WriteFault(str(error) or type(error).__name__, detail)
    if isinstance(error, OSError) and error.errno is not None:
        return WriteFault(_ERRNOS.get(error.errno, os.strerror(error.errno).lower()), detail)
    return WriteFault(str(error) or type(error).__name__, detail)
