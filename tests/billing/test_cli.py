"""The ``workdiary-server`` commands: migrate, create-user, create-contract, demo, run-jobs."""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Protocol

import pytest

from billing.cli import app_from_env, main
from tests.support.server import server_env
from tracker.clock import utc

CLI = [sys.executable, "-m", "billing.cli"]


DEMO_AT = utc(2026, 11, 2, 8)
CONTRACT_AT = utc(2026, 11, 3, 14, 30)


class Run(Protocol):
    def __call__(
        self, data_dir: Path, *args: str, check: bool = True, at: datetime | None = None
    ) -> subprocess.CompletedProcess[str]: ...


def _env(data_dir: Path, at: datetime | None) -> dict[str, str]:
    """A command's environment; ``at`` gives it the server's clock file, else the system
    clock."""
    clock_file = data_dir.parent / "clock.txt"
    env = server_env(None, clock_file)
    if at is None:
        env.pop("WORKDIARY_CLOCK_FILE")
    else:
        clock_file.write_text(at.isoformat(), encoding="utf-8")
    return env


def _run(
    data_dir: Path, *args: str, check: bool = True, at: datetime | None = None
) -> subprocess.CompletedProcess[str]:
    """The command as a process (``python -m billing.cli``)."""
    return subprocess.run(
        [*CLI, *args, "--data-dir", str(data_dir)],
        env=_env(data_dir, at),
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


@pytest.fixture
def run_here(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """The command through ``billing.cli.main`` in this process, with the environment a
    process would get: the same exit code, stdout and stderr, without a Python start and
    the backend's import per command."""

    def run(
        data_dir: Path, *args: str, check: bool = True, at: datetime | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = _env(data_dir, at)
        with monkeypatch.context() as patch:
            for name in set(os.environ) - set(env):
                patch.delenv(name)
            for name, value in env.items():
                patch.setenv(name, value)
            capsys.readouterr()
            code = main([*args, "--data-dir", str(data_dir)])
            out, err = capsys.readouterr()
        if check and code != 0:
            raise subprocess.CalledProcessError(code, args, out, err)
        return subprocess.CompletedProcess(list(args), code, out, err)

    yield run


def _migrate_and_seed_the_demo_twice(data: Path, run: Run) -> None:
    # migrate as a real process: the entry point itself
    assert "latest revision" in _run(data, "migrate").stdout
    assert (data / "billing.sqlite3").is_file()
    demo = json.loads(run(data, "demo", at=DEMO_AT).stdout)
    again = json.loads(run(data, "demo").stdout)
    assert demo == again  # idempotent
    assert [u["email"] for u in demo["users"]] == ["client@demo.test", "freelancer@demo.test"]
    hourly, fixed = demo["contracts"]
    assert (hourly["kind"], hourly["rate_cents"], hourly["weekly_cap_hours"]) == (
        "hourly",
        4000,
        40,
    )
    assert hourly["screenshots_enabled"] is True and fixed["kind"] == "fixed"


def _create_a_user_then_refuse_the_same_email(data: Path, run: Run) -> None:
    made = json.loads(
        run(
            data,
            *("create-user", "--email", "New@X.test", "--password", "pw", "--role", "client"),
            at=CONTRACT_AT,
        ).stdout
    )
    assert made["email"] == "new@x.test"
    # a refusal as a real process: exit code 2 and the message on stderr
    dup = _run(
        data,
        "create-user",
        "--email",
        "new@x.test",
        "--password",
        "pw",
        "--role",
        "client",
        check=False,
    )
    assert dup.returncode == 2 and "already exists" in dup.stderr


def _create_a_contract_then_refuse_a_rate_with_three_decimals(data: Path, run: Run) -> None:
    contract = json.loads(
        run(
            data,
            "create-contract",
            "--client",
            "new@x.test",
            "--freelancer",
            "freelancer@demo.test",
            "--title",
            "Logo",
            "--rate",
            "55.50",
            "--cap-hours",
            "10",
        ).stdout
    )
    assert contract["rate_cents"] == 5550
    bad_rate = run(
        data,
        "create-contract",
        "--client",
        "new@x.test",
        "--freelancer",
        "freelancer@demo.test",
        "--title",
        "x",
        "--rate",
        "1.234",
        check=False,
    )
    assert bad_rate.returncode == 2 and "2 decimals" in bad_rate.stderr


def _create_a_yen_contract_by_the_servers_clock(data: Path, run: Run) -> None:
    yen = json.loads(
        run(
            data,
            *("create-contract", "--client", "new@x.test", "--freelancer", "freelancer@demo.test"),
            *("--title", "Yen", "--currency", "JPY", "--rate", "1,000"),
            at=CONTRACT_AT,
        ).stdout
    )
    assert (yen["currency"], yen["rate_cents"]) == ("JPY", 1000)  # ¥1,000, not 100000


def _made_at(data: Path) -> set[tuple[str, str]]:
    """When each user and contract was made, as stored (naive UTC)."""
    with sqlite3.connect(data / "billing.sqlite3") as db:
        rows = db.execute(
            "SELECT email, created_at FROM users UNION ALL SELECT title, created_at FROM contracts"
        ).fetchall()
    return {(name, stamp[:19]) for name, stamp in rows}


def test_commands_on_a_fresh_data_dir(tmp_path: Path, run_here: Run) -> None:
    data = tmp_path / "data"
    _migrate_and_seed_the_demo_twice(data, run_here)
    _create_a_user_then_refuse_the_same_email(data, run_here)
    _create_a_contract_then_refuse_a_rate_with_three_decimals(data, run_here)
    _create_a_yen_contract_by_the_servers_clock(data, run_here)
    made = _made_at(data)
    demo_at, contract_at = (at.strftime("%Y-%m-%d %H:%M:%S") for at in (DEMO_AT, CONTRACT_AT))
    assert {
        ("client@demo.test", demo_at),
        ("freelancer@demo.test", demo_at),
        ("Demo hourly contract", demo_at),
        ("Demo fixed-price contract", demo_at),
        ("new@x.test", contract_at),
        ("Yen", contract_at),
    } <= made
    report = json.loads(run_here(data, "run-jobs", "--now", "2026-11-30T00:00:00Z").stdout)
    assert report["now"] == "2026-11-30T00:00:00+00:00" and report["closed"] == 0


def test_the_served_app_keeps_its_startup_objects_out_of_collections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DATABASE_URL", "WORKDIARY_DATABASE_URL", "WORKDIARY_CLOCK_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKDIARY_DATA_DIR", str(tmp_path / "data"))
    gc.unfreeze()
    app = app_from_env(migrate=True)
    try:
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # this process is the tests': theirs are collected as before
        app.state.engine.dispose()
