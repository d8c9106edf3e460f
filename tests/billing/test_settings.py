"""Settings come from configuration, and servers that share it act as one.

Two real ``workdiary-server serve`` processes, each with its own data directory, are
given the same environment (PostgreSQL, web secret, S3 bucket): a sign-in form served
by one is accepted by the other, the session cookie one sets opens pages on the other,
and a shot uploaded through one is served by the other. A third server with another
secret refuses that cookie, which is what the shared setting prevents.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from pydantic import ValidationError

from billing.config import Settings
from tests.support.db import fresh_database_url
from tests.support.s3 import fresh_bucket, moto_endpoint, s3_env  # noqa: F401
from tests.support.server import RunningServer, running_server

DEMO_CLIENT = ("client@demo.test", "demo")
DEMO_FREELANCER = ("freelancer@demo.test", "demo")
SECRET = "s" * 48


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def _web_session(form_from: RunningServer, post_to: RunningServer) -> str:
    """Sign in with a form served by one server and posted to the other."""
    http = requests.Session()
    form = http.get(f"{form_from.base_url}/web/sign-in", timeout=10)
    assert form.status_code == 200
    email, password = DEMO_CLIENT
    signed_in = http.post(
        f"{post_to.base_url}/web/sign-in",
        data={"csrf_token": _csrf(form.text), "email": email, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 303, signed_in.text
    cookie = signed_in.cookies.get("wd_session")
    assert cookie is not None
    return cookie


def _home(server: RunningServer, session_cookie: str) -> requests.Response:
    return requests.get(
        f"{server.base_url}/web/",
        cookies={"wd_session": session_cookie},
        allow_redirects=False,
        timeout=10,
    )


def _shot_through(one: RunningServer, other: RunningServer, contract_id: int) -> bytes:
    """A slot and its shot uploaded through ``one``; the image read back through ``other``."""
    tokens = {}
    for name, (email, password) in {"f": DEMO_FREELANCER, "c": DEMO_CLIENT}.items():
        response = requests.post(
            f"{one.base_url}/api/v1/auth/token",
            json={"email": email, "password": password},
            timeout=10,
        )
        tokens[name] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    now = datetime.now(UTC)
    start = now.replace(minute=now.minute - now.minute % 10, second=0, microsecond=0)
    start -= timedelta(minutes=20)
    image = b"\xff\xd8\xff" + b"shared shot" * 50
    path = f"/api/v1/contracts/{contract_id}/slots/{start:%Y-%m-%dT%H:%M:%SZ}"
    body: dict[str, Any] = {
        "minutes": 10,
        "activity": [{"keyboard": 1, "mouse": 1}] * 10,
        "memo": "shared",
        "client_now": now.isoformat(),
        "shot": {"taken_at": start.isoformat(), "sha256": hashlib.sha256(image).hexdigest()},
    }
    put = requests.put(one.base_url + path, json=body, headers=tokens["f"], timeout=10)
    assert put.status_code == 201, put.text
    shot = requests.put(f"{one.base_url}{path}/shot", data=image, headers=tokens["f"], timeout=10)
    assert shot.status_code == 201, shot.text
    seen = requests.get(f"{other.base_url}{path}/shot", headers=tokens["c"], timeout=10)
    assert seen.status_code == 200 and seen.headers["content-type"] == "image/jpeg"
    assert seen.content == image
    return image


@pytest.mark.postgres
@pytest.mark.slow
def test_two_servers_from_one_configuration_accept_each_others_sessions(
    tmp_path: Path,
    moto_endpoint: str,  # noqa: F811
) -> None:
    shared = {"WORKDIARY_WEB_SECRET": SECRET, **s3_env(moto_endpoint, fresh_bucket(moto_endpoint))}
    with (
        fresh_database_url("postgresql", tmp_path) as url,
        running_server(tmp_path / "a", url, extra_env=shared) as a,
        running_server(tmp_path / "b", url, extra_env=shared) as b,
        running_server(
            tmp_path / "c", url, extra_env={**shared, "WORKDIARY_WEB_SECRET": "t" * 48}
        ) as stranger,
    ):
        a.set_now(datetime.now(UTC) - timedelta(hours=1))  # the contract predates the slot
        demo = json.loads(a.cli("demo").stdout)
        a.set_now(datetime.now(UTC))
        cookie = _web_session(form_from=a, post_to=b)
        for server in (a, b):
            home = _home(server, cookie)
            assert home.status_code == 200 and "Demo hourly contract" in home.text
        refused = _home(stranger, cookie)
        assert refused.status_code == 303 and "/web/sign-in" in refused.headers["location"]
        _shot_through(a, b, demo["contracts"][0]["id"])
        assert not (a.data_dir / "web-secret").exists()  # the key came from the setting


def test_every_setting_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "DATABASE_URL": "postgresql+psycopg://db.internal/wd",
        "WORKDIARY_DATA_DIR": str(tmp_path),
        "WORKDIARY_WEB_SECRET": SECRET,
        "WORKDIARY_BLOB_STORE": "s3",
        "WORKDIARY_S3_BUCKET": "shots",
        "WORKDIARY_S3_SECRET_ACCESS_KEY": "k" * 20,
        "WORKDIARY_MAX_SHOT_BYTES": "1000",
        "WORKDIARY_FUTURE_SKEW": "PT2M",
        "WORKDIARY_JOBS_INTERVAL": "5",
        "WORKDIARY_SQLITE_SYNCHRONOUS": "normal",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env(argon2_time_cost=1)
    assert settings.database_url == "postgresql+psycopg://db.internal/wd"
    assert settings.data_dir == tmp_path and settings.blob_store == "s3"
    assert settings.web_secret is not None and settings.web_secret.get_secret_value() == SECRET
    assert (settings.max_shot_bytes, settings.future_skew) == (1000, timedelta(minutes=2))
    assert (settings.jobs_interval_seconds, settings.sqlite_synchronous) == (5.0, "NORMAL")
    assert settings.argon2_time_cost == 1  # an explicit value wins over the environment
    assert "k" * 20 not in repr(settings) and SECRET not in repr(settings)  # secrets hidden


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("WORKDIARY_BLOB_STORE", "ftp", "blob_store"),
        ("WORKDIARY_MAX_SHOT_BYTES", "lots", "max_shot_bytes"),
        ("WORKDIARY_WEB_SECRET", "short", "web_secret"),
        ("WORKDIARY_SQLITE_SYNCHRONOUS", "sometimes", "sqlite_synchronous"),
    ],
)
def test_a_bad_setting_stops_the_server_with_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, complaint: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=complaint):
        Settings.from_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "billing.cli", "migrate", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and complaint in result.stderr
    assert "Traceback" not in result.stderr
