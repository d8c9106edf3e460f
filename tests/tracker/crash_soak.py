"""SIGKILL a tracking process at many random moments and count what the store kept.

Shared by the CI test (tests/tracker/test_crash_safety.py, a few hundred kill points)
and the soak (bench/crash_soak.py, a thousand and more). Every kill point is a fresh
tracker forked by one :mod:`tests.tracker.crash_worker` server; after each kill the
store is opened again (its own integrity check runs) and the slots reported finished
in that round are looked up; at the end every slot ever reported is checked again.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from tests.support.shot_keys import TEST_SHOT_KEYS
from tracker.slots import parse_slot_key
from tracker.store import Slot, Store

ROOT = Path(__file__).resolve().parents[2]
MONDAY = datetime.fromisoformat("2026-11-23T00:00:00+00:00")


@dataclass
class SoakResult:
    """What the kills cost: ``lost`` finished slots missing or wrong, ``doubled`` slots
    reported or stored twice; ``problems`` says which and why."""

    kill_points: int = 0
    finished_slots: int = 0
    lost: int = 0
    doubled: int = 0
    orphan_minute_rows: int = 0
    integrity: str = "ok"
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Finished:
    minutes: int
    sha256: str  # "-" for a slot without a shot


def _check_slot(store: Store, key: str, want: Finished, slot: Slot | None) -> str | None:
    """Why the stored slot is not the one reported finished (None: it is)."""
    if slot is None:
        return f"finished slot {key} lost"
    if slot.minute_count != want.minutes or slot.slot_start != parse_slot_key(key):
        return f"slot {key}: {slot.minute_count} minutes stored, {want.minutes} reported"
    if want.sha256 == "-":
        return None if slot.shot is None else f"slot {key}: a shot nobody reported"
    if slot.shot is None or slot.shot.sha256 != want.sha256:
        return f"slot {key}: shot missing or another one"
    # the file is sealed: its sha256 is of the picture the store decrypts from it
    if hashlib.sha256(store.read_shot(slot)).hexdigest() != want.sha256:
        return f"slot {key}: shot file does not match its sha256"
    if slot.shot.thumbnail_path.stat().st_size == 0:
        return f"slot {key}: empty thumbnail"
    return None


class CrashSoak:
    """Runs kill points against one data dir through one worker server."""

    def __init__(self, data_dir: Path, seed: int = 97) -> None:
        self.data_dir = data_dir
        self.rng = random.Random(seed)
        self.finished: dict[str, Finished] = {}
        self.result = SoakResult()
        self._server = subprocess.Popen(
            [sys.executable, "-m", "tests.tracker.crash_worker"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )

    def close(self) -> None:
        assert self._server.stdin is not None and self._server.stdout is not None
        self._server.stdin.close()
        self._server.wait(timeout=30)
        self._server.stdout.close()

    def _kill_once(self, day: int) -> list[tuple[str, Finished]]:
        server_in, server_out = self._server.stdin, self._server.stdout
        assert server_in is not None and server_out is not None
        start = MONDAY + timedelta(days=day, hours=8, minutes=self.rng.randrange(60))
        server_in.write(f"run {self.data_dir} {start.isoformat()} {day}\n")
        server_in.flush()
        ready = server_out.readline().split()
        assert ready[:1] == ["ready"], f"worker did not start: {ready}"
        pid = int(ready[1])
        reported = []
        for _ in range(self.rng.randrange(1, 4)):  # let a slot or three finish first
            line = server_out.readline().split()
            assert line[:1] == ["closed"], f"unexpected worker output {line}"
            reported.append((line[1], Finished(int(line[2]), line[3])))
        # then a random moment inside the next slot's life (which includes its write)
        threading.Event().wait(self.rng.uniform(0, 0.04))
        os.kill(pid, signal.SIGKILL)
        while True:  # lines written before the kill landed come before "exited"
            line = server_out.readline().split()
            if line[:1] == ["exited"]:
                assert line == ["exited", str(pid), str(int(signal.SIGKILL))], line
                return reported
            # a garbled line would swallow the "exited" after it and hang the soak
            assert line[:1] == ["closed"] and len(line) == 4, f"unexpected worker output {line}"
            reported.append((line[1], Finished(int(line[2]), line[3])))

    def run(self, kill_points: int) -> SoakResult:
        began = time.monotonic()
        for day in range(self.result.kill_points, self.result.kill_points + kill_points):
            reported = self._kill_once(day)
            self.result.kill_points += 1
            # opening runs its integrity check
            with Store(self.data_dir, TEST_SHOT_KEYS) as store:
                for key, want in reported:
                    if key in self.finished:
                        self._problem(f"slot {key} reported twice", doubled=True)
                    self.finished[key] = want
                    problem = _check_slot(store, key, want, store.get_slot(7, parse_slot_key(key)))
                    if problem is not None:
                        self._problem(f"after kill {day}: {problem}", lost=True)
        self.result.seconds += time.monotonic() - began
        return self.result

    def final_check(self) -> SoakResult:
        """Every slot ever reported, the raw file's integrity, rows without a slot."""
        result = self.result
        result.finished_slots = len(self.finished)
        with Store(self.data_dir, TEST_SHOT_KEYS) as store:
            stored = store.slots_between(MONDAY, MONDAY + timedelta(days=result.kill_points + 1))
            keys = [slot.key for slot in stored]
            result.doubled += len(keys) - len(set(keys))
            by_key = {slot.key: slot for slot in stored}
            for key, want in self.finished.items():
                problem = _check_slot(store, key, want, by_key.get(key))
                if problem is not None:
                    self._problem(f"at the end: {problem}", lost=True)
        conn = sqlite3.connect(self.data_dir / "tracker.sqlite3")
        result.integrity = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
        result.orphan_minute_rows = int(
            conn.execute(
                "SELECT COUNT(*) FROM slot_minutes m LEFT JOIN slots s "
                "USING (contract_id, slot_start) WHERE s.slot_start IS NULL"
            ).fetchone()[0]
        )
        conn.close()
        return result

    def _problem(self, text: str, lost: bool = False, doubled: bool = False) -> None:
        self.result.problems.append(text)
        self.result.lost += lost
        self.result.doubled += doubled
