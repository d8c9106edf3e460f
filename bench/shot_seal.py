"""Benchmark: what sealing shot files at rest adds per shot (AES-256-GCM, one core).

Seals and opens a shot of 60, 100 and 150 KiB (the sizes of 1080p AVIF/WebP shots) and
its 5 KiB thumbnail with :mod:`tracker.shot_seal`, the calls the store makes when it
saves a shot and when the diary or the upload reads it. AES-GCM's cost does not depend
on what the bytes show, so the payload is random. Median of ``--runs`` rounds. Prints
each figure beside its target, then one JSON line.

    .venv/bin/python bench/shot_seal.py [--runs 400]

Target: encrypt + decrypt of a shot and its thumbnail within 1 ms — under 0.1 % of the
~1.1 s of one core that encoding the shot already costs (tracker/capture.py).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker.clock import utc
from tracker.shot_seal import ShotKeys, seal, unseal

TARGET_US = 1000.0
SLOT = utc(2026, 11, 23, 9, 0)
THUMBNAIL_BYTES = 5 * 1024


def _median_us(work: object, runs: int) -> float:
    assert callable(work)
    timings = []
    for _ in range(runs):
        began = time.perf_counter_ns()
        work()
        timings.append((time.perf_counter_ns() - began) / 1000)
    return statistics.median(timings)


def measure(size: int, keys: ShotKeys, rng: random.Random, runs: int) -> dict[str, float]:
    picture, thumbnail = rng.randbytes(size), rng.randbytes(THUMBNAIL_BYTES)
    key, where = keys.sealing, Path("shot")
    sealed = seal(picture, key, 7, SLOT, "shot")
    sealed_thumbnail = seal(thumbnail, key, 7, SLOT, "thumbnail")
    assert unseal(sealed, keys, 7, SLOT, "shot", where) == picture

    def seal_both() -> None:
        seal(picture, key, 7, SLOT, "shot")
        seal(thumbnail, key, 7, SLOT, "thumbnail")

    def open_both() -> None:
        unseal(sealed, keys, 7, SLOT, "shot", where)
        unseal(sealed_thumbnail, keys, 7, SLOT, "thumbnail", where)

    encrypt_us, decrypt_us = _median_us(seal_both, runs), _median_us(open_both, runs)
    return {"encrypt_us": round(encrypt_us, 1), "decrypt_us": round(decrypt_us, 1),
            "total_us": round(encrypt_us + decrypt_us, 1),
            "overhead_bytes": len(sealed) - size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=400)
    args = parser.parse_args()
    rng = random.Random(7)
    keys = ShotKeys(rng.randbytes(32))
    results = {f"{kib}KiB": measure(kib * 1024, keys, rng, args.runs) for kib in (60, 100, 150)}
    for name, figures in results.items():
        total = figures["total_us"]
        print(f"shot {name:>6} + 5 KiB thumbnail: encrypt {figures['encrypt_us']:6.1f} µs"
              f"  decrypt {figures['decrypt_us']:6.1f} µs  total {total:6.1f} µs"
              f"  target <= {TARGET_US:.0f} µs  {'met' if total <= TARGET_US else 'NOT met'}"
              f"  (+{figures['overhead_bytes']:.0f} bytes per file)")
    print(json.dumps({"bench": "shot_seal", "runs": args.runs, "target_us": TARGET_US,
                      **results}))


if __name__ == "__main__":
    main()
