"""A client that drops the connection halfway through a shot upload (a laptop lid
closed, Wi-Fi lost): the real server logs one line saying so, no stack trace, keeps no
spool file, and the same upload sent again completes."""

from __future__ import annotations

import time
from pathlib import Path

from billing.db.session import sqlite_url
from tests.billing.api.test_server_limits import (
    IMAGE,
    NOW,
    _put_slot,
    _signed_in,
    _slot_path,
    _two_freelancers_on_contracts,
)
from tests.support.big_body import stalled_body
from tests.support.server import running_server


def test_an_upload_cut_off_midway_is_logged_as_such_and_can_be_sent_again(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "db")
    with running_server(tmp_path / "server", database_url=url, now=NOW) as server:
        contract, _ = _two_freelancers_on_contracts(url)
        http = _signed_in(server, "f0@w.test")
        assert _put_slot(server, http, contract, 0) == 201
        headers = {"Authorization": str(http.headers["Authorization"])}
        path = _slot_path(contract) + "/shot"
        cut = stalled_body(server.base_url, "PUT", path, headers, declared=len(IMAGE), sent=700)
        time.sleep(1.0)  # the server is reading the body now
        cut.close()
        deadline = time.monotonic() + 20
        log = server.data_dir / "server.log"
        while "cut off" not in log.read_text(errors="replace") and time.monotonic() < deadline:
            time.sleep(0.2)
        again = http.put(server.base_url + path, data=IMAGE, timeout=10)
        assert again.status_code == 201, again.text
        text = log.read_text(errors="replace")
    assert "cut off" in text
    assert "Traceback" not in text
    assert "ClientDisconnect" not in text
    assert not list((server.data_dir).rglob("upload-*"))
