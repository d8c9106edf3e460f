"""Test data for the companion-view tests, put in through the real JSON API and CLI.

Slots are uploaded exactly as the tracker would: ``PUT …/slots/{start}`` with the
per-minute counts and the shot's SHA-256, then ``PUT …/shot`` with the bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from PIL import Image, ImageDraw

from tests.support.server import RunningServer

DEMO_PASSWORD = "demo"
DEMO_CLIENT = "client@demo.test"
DEMO_FREELANCER = "freelancer@demo.test"


@dataclass(frozen=True)
class Demo:
    hourly_id: int
    fixed_id: int


def create_demo(server: RunningServer) -> Demo:
    """``workdiary-server demo``: the demo client, freelancer and their two contracts."""
    output = json.loads(server.cli("demo").stdout)
    ids = {contract["kind"]: contract["id"] for contract in output["contracts"]}
    return Demo(hourly_id=ids["hourly"], fixed_id=ids["fixed"])


def create_user(server: RunningServer, email: str, password: str, role: str, name: str) -> None:
    server.cli(
        "create-user", "--email", email, "--password", password, "--role", role, "--name", name
    )


def api_token(client: httpx.Client, email: str, password: str) -> str:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def synthetic_shot(rng: random.Random, label: str) -> bytes:
    """A small fake desktop: title bar, a few windows, some text lines (JPEG)."""
    width, height = 960, 600
    image = Image.new("RGB", (width, height), (36, 41, 56))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 28), fill=(24, 27, 38))
    for _ in range(3):
        left = rng.randrange(0, width // 2)
        top = rng.randrange(40, height // 2)
        right = left + rng.randrange(300, width // 2)
        bottom = top + rng.randrange(160, height // 2)
        shade = rng.randrange(200, 250)
        draw.rectangle((left, top, right, bottom), fill=(shade, shade, shade + 5))
        draw.rectangle((left, top, right, top + 22), fill=(70, 110, 190))
        for line in range(top + 34, bottom - 10, 16):
            draw.rectangle(
                (left + 12, line, left + 12 + rng.randrange(60, right - left - 24), line + 6),
                fill=(120, 125, 140),
            )
    draw.text((12, 8), label, fill=(230, 230, 230))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=75)
    return out.getvalue()


def slot_url(contract_id: int, slot_start: datetime) -> str:
    return f"/api/v1/contracts/{contract_id}/slots/{slot_start:%Y-%m-%dT%H:%M:%SZ}"


def upload_slot(
    client: httpx.Client,
    token: str,
    contract_id: int,
    slot_start: datetime,
    *,
    now: datetime,
    rng: random.Random,
    memo: str,
    minutes: int = 10,
    active: int | None = None,
    with_shot: bool = True,
    clock_jump: bool = False,
) -> dict[str, Any]:
    """One slot as the tracker syncs it (body, then shot bytes); returns the receipt."""
    active = minutes if active is None else active
    activity = [
        {"keyboard": rng.randrange(5, 90), "mouse": rng.randrange(10, 300)}
        if index < active
        else {"keyboard": 0, "mouse": 0}
        for index in range(minutes)
    ]
    rng.shuffle(activity)
    shot = synthetic_shot(rng, f"{slot_start:%H:%M} {memo}") if with_shot else None
    body: dict[str, Any] = {
        "minutes": minutes,
        "activity": activity,
        "memo": memo,
        "client_now": now.isoformat(),
        "clock_jump": clock_jump,
    }
    if shot is not None:
        taken = slot_start + timedelta(seconds=rng.randrange(0, minutes * 60))
        body["shot"] = {"taken_at": taken.isoformat(), "sha256": hashlib.sha256(shot).hexdigest()}
    else:
        body["shot_note"] = "stopped_before_shot"
    headers = {"Authorization": f"Bearer {token}"}
    response = client.put(slot_url(contract_id, slot_start), json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    if shot is not None:
        stored = client.put(
            slot_url(contract_id, slot_start) + "/shot",
            content=shot,
            headers={**headers, "Content-Type": "image/jpeg"},
        )
        assert stored.status_code in (200, 201), stored.text
    receipt: dict[str, Any] = response.json()
    return receipt
