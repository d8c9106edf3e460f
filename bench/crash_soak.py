"""SIGKILL soak of the tracker: kill a tracking process at many random moments and count
finished slots lost or doubled (the answer must be 0 and 0).

    .venv/bin/python bench/crash_soak.py [--kills 1000] [--seed 97] [--data-dir DIR]

Each kill point is a tracker forked by one worker server (tests/tracker/crash_worker.py)
that tracks with a fast manual clock, reports every slot it has committed, and is
killed with SIGKILL a random 0–40 ms after one to three slots finished — inside the
next slot's life, which includes its write. After each kill the store is opened again
(its integrity check runs) and the slots reported in that round are checked; at the end
every reported slot is checked again, and the raw file's integrity. Prints figures and
ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.tracker.crash_soak import CrashSoak  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=97)
    parser.add_argument("--data-dir", type=Path, help="default: a fresh temporary dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = args.data_dir or Path(scratch) / "data"
        soak = CrashSoak(data_dir, seed=args.seed)
        try:
            step = 100
            while soak.result.kill_points < args.kills:
                result = soak.run(min(step, args.kills - soak.result.kill_points))
                print(f"{result.kill_points:5d} kills  {len(soak.finished):6d} finished slots  "
                      f"lost {result.lost}  doubled {result.doubled}  {result.seconds:6.1f} s",
                      flush=True)
        finally:
            soak.close()
        result = soak.final_check()
    for problem in result.problems[:20]:
        print("problem:", problem)
    print(f"kill points {result.kill_points}, finished slots {result.finished_slots}, "
          f"lost {result.lost}, doubled {result.doubled}, "
          f"minute rows without a slot {result.orphan_minute_rows}, "
          f"integrity {result.integrity}, {result.seconds:.1f} s "
          f"({1000 * result.seconds / max(result.kill_points, 1):.0f} ms per kill point, "
          f"load average {os.getloadavg()[0]:.1f})")
    print(json.dumps({
        "bench": "crash_soak",
        "kill_points": result.kill_points,
        "finished_slots": result.finished_slots,
        "lost": result.lost,
        "doubled": result.doubled,
        "orphan_minute_rows": result.orphan_minute_rows,
        "integrity": result.integrity,
        "seconds": round(result.seconds, 1),
    }))
    return 0 if (result.lost, result.doubled, result.integrity) == (0, 0, "ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
