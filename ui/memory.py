"""Give freed heap back to the system after a big window closes.

glibc keeps freed memory in its arenas for reuse, so a closed 60-slot diary would stay
in the app's RSS for the rest of the day; ``malloc_trim(0)`` returns the free pages.
Elsewhere (musl, macOS, Windows) there is no such call and this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging

log = logging.getLogger(__name__)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim  # noqa: B018 - only glibc has it
    except (OSError, AttributeError):
        return None
    return libc


def give_back_memory() -> bool:
    """Return free heap pages to the system; True where the platform can."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
