"""SIGKILL a tracking process at random moments: every slot it reported finished must be
in the store, intact and exactly once, and the store must open cleanly."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

from tests.tracker.conftest import MONDAY
from tracker.slots import parse_slot_key
from tracker.store import Store

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20


def run_and_kill(data_dir: Path, start_day: int, rng: random.Random) -> list[tuple[str, int, str]]:
    start = MONDAY + timedelta(days=start_day, hours=8, minutes=rng.randrange(60))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.tracker.crash_worker",
            str(data_dir),
            start.isoformat(),
            str(start_day),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    reported = []
    for _ in range(rng.randrange(1, 6)):  # let a few slots finish first
        line = process.stdout.readline().split()
        reported.append((line[1], int(line[2]), line[3]))
    # then a random moment inside the next slot's life (which includes its write)
    threading.Event().wait(rng.uniform(0, 0.04))
    process.send_signal(signal.SIGKILL)
    rest, _ = process.communicate(timeout=20)
    assert process.returncode == -signal.SIGKILL
    for line in rest.splitlines():  # written and reported before the kill landed
        parts = line.split()
        reported.append((parts[1], int(parts[2]), parts[3]))
    return reported


def test_killed_tracker_loses_no_finished_slot(tmp_path: Path) -> None:
    rng = random.Random(97)
    data_dir = tmp_path / "data"
    finished: dict[str, tuple[int, str]] = {}
    for day in range(KILLS):
        for key, minutes, sha in run_and_kill(data_dir, day, rng):
            assert key not in finished, f"slot {key} reported twice"
            finished[key] = (minutes, sha)
        with Store(data_dir) as store:  # opens cleanly after every kill
            assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            stored = store.slots_between(MONDAY, MONDAY + timedelta(days=KILLS + 1))
            keys = [slot.key for slot in stored]
            assert len(keys) == len(set(keys))
            by_key = {slot.key: slot for slot in stored}
            for key, (minutes, sha) in finished.items():
                slot = by_key.get(key)
                assert slot is not None, f"finished slot {key} lost after kill {day}"
                assert slot.minute_count == minutes
                assert slot.slot_start == parse_slot_key(key)
                if sha == "-":
                    assert slot.shot is None
                else:
                    assert slot.shot is not None and slot.shot.sha256 == sha
                    assert hashlib.sha256(slot.shot.path.read_bytes()).hexdigest() == sha
                    assert slot.shot.thumbnail_path.stat().st_size > 0
    assert len(finished) >= KILLS
    # the raw file agrees: one row per slot, minutes only for rows that exist
    conn = sqlite3.connect(data_dir / "tracker.sqlite3")
    orphans = conn.execute(
        "SELECT COUNT(*) FROM slot_minutes m LEFT JOIN slots s "
        "USING (contract_id, slot_start) WHERE s.slot_start IS NULL"
    ).fetchone()[0]
    conn.close()
    assert orphans == 0
