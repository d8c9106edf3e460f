"""Shot retention end to end: the real ``workdiary-server`` on the S3 store (moto on
loopback), the jobs run by ``workdiary-server run-jobs --now``, and the client's diary
in the system Chromium.

A year and a day after the week's finalization the run removes the shot from the bucket,
a second run does nothing more, the JSON API says why the image is gone, and the
companion view shows "shot deleted after the retention period" in place of the image.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from billing.domain.retention import RETENTION_SHOT_NOTE, RETENTION_SHOT_TEXT
from billing.domain.weeks import WeekTimeline
from tests.billing.test_server_week import _login, _people_and_contract
from tests.e2e.conftest import sign_in
from tests.support.browser import save_screenshot
from tests.support.s3 import fresh_bucket, moto_endpoint, s3_client, s3_env  # noqa: F401
from tests.support.server import running_server
from tracker.clock import utc

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLOT_START = utc(2026, 11, 3, 9)
FINALIZED = WeekTimeline.containing(SLOT_START).finalize_at
IMAGE = b"\xff\xd8\xff" + bytes(range(256)) * 4


def _objects(endpoint: str, bucket: str) -> list[str]:
    listed = s3_client(endpoint).list_objects_v2(Bucket=bucket).get("Contents", [])
    return [str(item["Key"]) for item in listed]


def test_a_shot_past_retention_leaves_the_bucket_and_the_diary_says_so(
    tmp_path: Path,
    moto_endpoint: str,  # noqa: F811
    context: BrowserContext,
) -> None:
    url = f"sqlite:///{tmp_path / 'billing.sqlite3'}"
    bucket = fresh_bucket(moto_endpoint)
    with running_server(
        tmp_path / "server", url, now=SLOT_START, extra_env=s3_env(moto_endpoint, bucket)
    ) as server:
        api = f"{server.base_url}/api/v1"
        contract = _people_and_contract(url)
        server.set_now(SLOT_START + timedelta(hours=9))
        freelancer = _login(server, "f@w.test")
        path = f"{api}/contracts/{contract}/slots/{SLOT_START:%Y-%m-%dT%H:%M:%SZ}"
        body = {
            "minutes": 10,
            "activity": [{"keyboard": 2, "mouse": 4}] * 10,
            "memo": "retained",
            "client_now": (SLOT_START + timedelta(hours=9)).isoformat(),
            "shot": {
                "taken_at": SLOT_START.isoformat(),
                "sha256": hashlib.sha256(IMAGE).hexdigest(),
            },
        }
        assert freelancer.put(path, json=body, timeout=10).status_code == 201
        assert freelancer.put(f"{path}/shot", data=IMAGE, timeout=10).status_code == 201
        assert len(_objects(moto_endpoint, bucket)) == 1

        finalized = server.run_jobs(FINALIZED)  # close, lock and finalize in one catch-up
        assert finalized["finalized"] == 1 and "shots_expired" not in finalized
        expiry = FINALIZED + timedelta(days=366)
        assert server.run_jobs(expiry)["shots_expired"] == 1
        assert _objects(moto_endpoint, bucket) == []
        assert "shots_expired" not in server.run_jobs(expiry)  # a second run: nothing more

        server.set_now(expiry)
        client = _login(server, "c@w.test")
        diary = client.get(f"{api}/contracts/{contract}/diary?week=2026-11-03", timeout=10)
        [slot] = diary.json()["slots"]
        assert (slot["shot_note"], slot["shot"]["url"], slot["minutes"]) == (
            RETENTION_SHOT_NOTE,
            None,
            10,
        )
        assert client.get(f"{path}/shot", timeout=10).status_code == 404

        page = sign_in(context, server.base_url, "c@w.test", "pw")
        page.goto(f"{server.base_url}/web/contracts/{contract}/diary?day=2026-11-03")
        cell = page.locator(".slot[data-slot-id]")
        expect(cell).to_have_count(1)
        expect(cell.locator(".thumb.none")).to_have_text(RETENTION_SHOT_TEXT)
        expect(page.locator(".slot img")).to_have_count(0)
        save_screenshot(page, "retention")
