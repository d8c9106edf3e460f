"""Slot provenance on the wire (SQLite and PostgreSQL): how the shot was taken (x11 /
portal / none:<reason>) and where the activity came from (input-counts / idle-watch) is
stored and shown in the API diary and the companion view; an old tracker that sends no
provenance is still accepted; a resend may add it, never change it; a malformed one is a
422 with the reason."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import requests

from tests.billing.support import START, Backend, iso, slot_body

NOON = START + timedelta(hours=3)


def _put(backend: Backend, who: Any, contract_id: int, start: datetime,
         provenance: dict[str, Any] | None) -> Any:
    body = slot_body(10, client_now=NOON)
    if provenance is not None:  # None: a tracker from before provenance
        body["provenance"] = provenance
    return backend.request("PUT", f"/contracts/{contract_id}/slots/{iso(start)}", who, json=body)


def _sources(backend: Backend, who: Any, contract_id: int) -> list[tuple[Any, Any]]:
    answer = backend.request("GET", f"/contracts/{contract_id}/diary", who,
                             params={"week": START.date().isoformat()})
    assert answer.status_code == 200, answer.text
    return [(slot["capture_source"], slot["activity_source"]) for slot in answer.json()["slots"]]


def test_provenance_is_stored_shown_added_by_a_resend_and_checked(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract_id = backend.hourly(client, freelancer, screenshots=False)
    backend.clock.set(NOON)
    wayland, old = START, START + timedelta(minutes=10)
    blocked = {"capture": "none:no-screenshot-portal", "activity": "idle-watch"}
    assert _put(backend, freelancer, contract_id, wayland, blocked).status_code == 201
    assert _put(backend, freelancer, contract_id, old, None).status_code == 201
    assert _sources(backend, client, contract_id) == [
        ("none:no-screenshot-portal", "idle-watch"), (None, None)]
    # a resend that adds it is the same body (200) and records it; one that names
    # another source changes nothing already known
    late = _put(backend, freelancer, contract_id, old, {"capture": "portal",
                                                         "activity": "idle-watch"})
    assert late.status_code == 200 and late.json()["created"] is False
    other = _put(backend, freelancer, contract_id, wayland, {"capture": "x11"})
    assert other.status_code == 200
    assert _sources(backend, client, contract_id) == [
        ("none:no-screenshot-portal", "idle-watch"), ("portal", "idle-watch")]
    for bad in ({"capture": "evdev"}, {"activity": "keylogger"},
                {"capture": "none:Has Spaces"}, {"capture": "x11", "extra": 1}):
        refused = _put(backend, freelancer, contract_id, START + timedelta(minutes=20), bad)
        assert refused.status_code == 422, bad
        assert "provenance" in refused.text



def _signed_in(backend: Backend, email: str) -> requests.Session:
    http = requests.Session()
    form = http.get(f"{backend.client.base_url}/web/sign-in", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    signed_in = http.post(f"{backend.client.base_url}/web/sign-in", allow_redirects=False,
                          data={"csrf_token": token.group(1), "email": email,
                                "password": "secret"}, timeout=30)
    assert signed_in.status_code == 303, signed_in.text
    return http


def test_the_companion_diary_labels_each_slot_with_its_sources(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract_id = backend.hourly(client, freelancer, screenshots=False)
    backend.clock.set(NOON)
    sent = [{"capture": "portal", "activity": "idle-watch"},
            {"capture": "none:no-screenshot-portal"}, None]
    for index, provenance in enumerate(sent):
        start = START + timedelta(minutes=10 * index)
        assert _put(backend, freelancer, contract_id, start, provenance).status_code == 201
    page = _signed_in(backend, client.email).get(
        f"{backend.client.base_url}/web/contracts/{contract_id}/diary",
        params={"day": START.date().isoformat()}, timeout=30)
    assert page.status_code == 200, page.text
    labels = re.findall(r'data-testid="slot-source"[^>]*>([^<]*)<', page.text)
    # provenance without an activity field reads as input counts (the wire's default)
    assert labels == ["Wayland portal · desktop idle time",
                      "no capture (no screenshot portal) · input counts"]
