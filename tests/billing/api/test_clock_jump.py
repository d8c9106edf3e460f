"""The clock-jump flag on the wire, against the real ``workdiary-server serve`` on SQLite
and PostgreSQL: a slot sent with ``clock_jump`` is stored flagged and shown so in the
API diary, billed exactly as without it; the flag is no part of the body's identity, so
a resend with or without it is a replay (200), and a flag once held is never cleared.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from tests.billing.api.test_audited_shrink import MONDAY, NINE, Shrinking, shrinking


def _body(minutes: int, clock_jump: bool | None, now: datetime) -> dict[str, Any]:
    body: dict[str, Any] = {
        "minutes": minutes,
        "activity": [{"keyboard": 3, "mouse": 40}] * minutes,
        "memo": "release notes",
        "shot_note": "stopped_before_shot",
        "client_now": now.isoformat(),
    }
    if clock_jump is not None:  # None: an old tracker, which knows no such field
        body["clock_jump"] = clock_jump
    return body


def _put(case: Shrinking, start: datetime, body: dict[str, Any]) -> requests.Response:
    return requests.put(
        f"{case.server.base_url}/api/v1/contracts/{case.contract_id}/slots/{start.isoformat()}",
        json=body,
        headers={"Authorization": f"Bearer {case.token}"},
        timeout=10,
    )


def _flags(case: Shrinking) -> dict[datetime, tuple[int, bool]]:
    answer = requests.get(
        f"{case.server.base_url}/api/v1/contracts/{case.contract_id}/diary",
        params={"week": MONDAY.date().isoformat()},
        headers={"Authorization": f"Bearer {case.token}"},
        timeout=10,
    )
    answer.raise_for_status()
    return {
        datetime.fromisoformat(slot["slot_start"]): (slot["minutes"], slot["clock_jump"])
        for slot in answer.json()["slots"]
    }


def test_a_flagged_slot_is_stored_flagged_and_a_resend_without_the_flag_keeps_it(
    database_url: str, tmp_path: Path
) -> None:
    with shrinking(database_url, tmp_path) as case:
        now = case.clock.now()
        jumped, plain = NINE, NINE + timedelta(minutes=10)
        assert _put(case, jumped, _body(10, True, now)).status_code == 201
        assert _put(case, plain, _body(10, None, now)).status_code == 201
        assert _flags(case) == {jumped: (10, True), plain: (10, False)}
        # a signal, never a penalty: both slots are billed in full
        contract = case.contract()
        assert (contract["week_logged_minutes"], contract["week_billable_minutes"]) == (20, 20)

        # an old tracker resends the flagged slot without the field: the same body
        replay = _put(case, jumped, _body(10, None, now))
        assert replay.status_code == 200 and replay.json()["created"] is False
        # a tracker that learnt of the jump later resends with it: the flag is recorded
        late = _put(case, plain, _body(10, True, now))
        assert late.status_code == 200 and late.json()["created"] is False
        assert _flags(case) == {jumped: (10, True), plain: (10, True)}
        assert case.contract()["week_logged_minutes"] == 20


def test_idle_discarded_from_a_flagged_slot_is_a_shrink_and_the_slot_stays_flagged(
    database_url: str, tmp_path: Path
) -> None:
    with shrinking(database_url, tmp_path) as case:
        now = case.clock.now()
        assert _put(case, NINE, _body(10, True, now)).status_code == 201
        # an old tracker's shorter body (no flag) is still the held one with minutes out
        shrunk = _put(case, NINE, _body(7, None, now))
        assert shrunk.status_code == 200, shrunk.text
        assert _flags(case) == {NINE: (7, True)}
        assert case.audit() == [("slot_shrunk", {"minutes_before": 10, "minutes_after": 7})]
        # a different memo is still a conflict, flag or not
        changed = {**_body(7, True, now), "memo": "something else"}
        assert _put(case, NINE, changed).status_code == 409
