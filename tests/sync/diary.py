"""Building local diaries for sync tests: real slots in a real tracker store."""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

from PIL import Image

from tracker.shot import EncodedShot
from tracker.slots import SLOT_LENGTH
from tracker.store import MinuteActivity, Slot, Store


def tiny_jpeg(rng: random.Random) -> bytes:
    """A small real JPEG whose bytes differ from slot to slot."""
    colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    image = Image.new("RGB", (32, 18), colour)
    image.putpixel((rng.randrange(32), rng.randrange(18)), (255 - colour[0], 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def write_slot(
    store: Store,
    contract_id: int,
    start: datetime,
    rng: random.Random,
    *,
    minutes: int = 10,
    with_shot: bool = True,
    manual: bool = False,
    memo: str = "",
) -> Slot:
    """Write one finished slot as the tracking session would (shot file first)."""
    first = 10 - minutes
    activity = tuple(
        MinuteActivity(
            index,
            0 if manual else rng.randrange(0, 200),
            0 if manual else rng.randrange(0, 2000),
        )
        for index in range(first, 10)
    )
    shot = None
    if with_shot and not manual:
        taken_at = start + timedelta(seconds=rng.uniform(first * 60, 599))
        image = tiny_jpeg(rng)
        shot = store.save_shot(
            contract_id,
            start,
            EncodedShot(image, "image/jpeg", 32, 18, image[:64], "image/jpeg", taken_at),
        )
    return store.write_slot(
        Slot(
            contract_id=contract_id,
            slot_start=start,
            memo=memo or f"task {start:%a %H:%M}",
            minutes=activity,
            manual=manual,
            shot=shot,
            shot_state="manual" if manual else ("taken" if shot else "none"),
        )
    )


def write_workday(
    store: Store, contract_id: int, day_start: datetime, hours: int, rng: random.Random
) -> list[Slot]:
    """``hours`` of slots from ``day_start``: mostly full with shots, some partial,
    some without a shot."""
    slots = []
    for n in range(hours * 6):
        start = day_start + n * SLOT_LENGTH
        roll = rng.random()
        slots.append(
            write_slot(
                store,
                contract_id,
                start,
                rng,
                minutes=10 if roll < 0.8 else rng.randrange(1, 10),
                with_shot=roll < 0.9,
            )
        )
    return slots
