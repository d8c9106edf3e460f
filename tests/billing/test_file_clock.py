"""The end-to-end tests' server clock (``FileClock``) follows every replacement of its
file at once, however quickly they come, though it reads the file only when it changed."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from billing.clock import FileClock
from tracker.clock import utc

START = utc(2026, 11, 2, 9)


def _replace(path: Path, text: str) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def test_each_replacement_is_read_even_within_one_clock_tick(tmp_path: Path) -> None:
    path = tmp_path / "clock.txt"
    _replace(path, START.isoformat())
    clock = FileClock(path)
    assert clock.now() == START
    for minutes in range(1, 50):  # same length each time, faster than mtime's resolution
        moved = START + timedelta(minutes=minutes)
        _replace(path, moved.isoformat())
        assert clock.now() == moved
        assert clock.now() == moved


def test_a_rewrite_in_place_of_another_length_is_read(tmp_path: Path) -> None:
    path = tmp_path / "clock.txt"
    path.write_text(START.isoformat(), encoding="utf-8")
    clock = FileClock(path)
    assert clock.now() == START
    path.write_text("2026-11-03T09:00:00Z", encoding="utf-8")
    assert clock.now() == utc(2026, 11, 3, 9)
