"""Import PySide6 without it keeping the source of every later module in memory.

PySide6 replaces ``__import__`` and, after each import, asks whether the module's source
mentions "PySide6" (its ``__feature__`` switching, PYSIDE-2029:
https://bugreports.qt.io/browse/PYSIDE-2029). It reads the source with
``inspect.getsource``, which leaves every line in ``linecache`` for the life of the
process: in the tray app 365 files, 137,000 lines, about 11 MiB of a process that
tracks in the background all day. :func:`read_sources_once` keeps the question and its
answer (a file that says "PySide6") and reads the file without caching it.

A frozen build carries no sources, so there both ways answer "no" and cache nothing.
"""

from __future__ import annotations

import sys
from types import ModuleType

import PySide6.QtCore  # noqa: F401 - loads the feature hook this module adjusts

FEATURE_MODULE = "PySide6.support.feature"
_ASKED = "_mod_uses_pyside"  # the hook's question, looked up on every import


def _source_mentions_pyside(module: ModuleType) -> bool:
    """What ``_mod_uses_pyside`` answers: False where there is no ``.py`` source."""
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return False
    try:
        with open(path, "rb") as source:
            return b"PySide6" in source.read()
    except OSError:
        return False


def read_sources_once() -> bool:
    """Make the hook read each source once and keep none; False where this PySide6 has
    no such hook (a later release may drop it), and nothing is changed."""
    feature = sys.modules.get(FEATURE_MODULE)
    if feature is None or not callable(getattr(feature, _ASKED, None)):
        return False
    setattr(feature, _ASKED, _source_mentions_pyside)
    return True
