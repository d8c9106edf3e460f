"""The ``workdiary-server`` commands: migrate, create-user, create-contract, demo, run-jobs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.server import server_env

CLI = [sys.executable, "-m", "billing.cli"]


def _run(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = server_env(None, data_dir / "no-clock-file")
    env.pop("WORKDIARY_CLOCK_FILE")
    return subprocess.run(
        [*CLI, *args, "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def _migrate_and_seed_the_demo_twice(data: Path) -> None:
    assert "latest revision" in _run(data, "migrate").stdout
    assert (data / "billing.sqlite3").is_file()
    demo = json.loads(_run(data, "demo").stdout)
    again = json.loads(_run(data, "demo").stdout)
    assert demo == again  # idempotent
    assert [u["email"] for u in demo["users"]] == ["client@demo.test", "freelancer@demo.test"]
    hourly, fixed = demo["contracts"]
    assert (hourly["kind"], hourly["rate_cents"], hourly["weekly_cap_hours"]) == (
        "hourly",
        4000,
        40,
    )
    assert hourly["screenshots_enabled"] is True and fixed["kind"] == "fixed"


def _create_a_user_then_refuse_the_same_email(data: Path) -> None:
    made = json.loads(
        _run(
            data, "create-user", "--email", "New@X.test", "--password", "pw", "--role", "client"
        ).stdout
    )
    assert made["email"] == "new@x.test"
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


def _create_a_contract_then_refuse_a_rate_with_three_decimals(data: Path) -> None:
    contract = json.loads(
        _run(
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
    bad_rate = _run(
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


def test_commands_on_a_fresh_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _migrate_and_seed_the_demo_twice(data)
    _create_a_user_then_refuse_the_same_email(data)
    _create_a_contract_then_refuse_a_rate_with_three_decimals(data)
    report = json.loads(_run(data, "run-jobs", "--now", "2026-11-30T00:00:00Z").stdout)
    assert report["now"] == "2026-11-30T00:00:00+00:00" and report["closed"] == 0
