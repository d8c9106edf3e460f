"""Shot retention in storage, on SQLite and PostgreSQL: job runners side by side delete
each shot once (one audit record per contract-week), and revision 0011 gives existing
weeks the flag unset, so the first run after the upgrade deletes what is already due."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from billing.blob_s3 import S3BlobStore, S3Location, make_s3_client
from billing.blob_sweep import sweep_orphan_blobs
from billing.blobs import BlobStore, LocalBlobStore
from billing.config import Settings
from billing.db.accounts import create_user
from billing.db.contracts import create_hourly_contract
from billing.db.migrate import alembic_config, upgrade
from billing.db.models import AuditRecord, Contract, ContractWeek, Slot
from billing.db.session import make_engine, make_session_factory, unit_of_work
from billing.domain.retention import RETENTION_SHOT_NOTE
from billing.domain.slots import SlotBody
from billing.domain.weeks import WeekTimeline
from billing.jobs import run_jobs
from billing.passwords import Passwords
from billing.services.hourly import put_slot, shot_key
from billing.services.retention import AUDIT_ACTION
from tests.support.db import migrated_engine
from tests.support.s3 import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    fresh_bucket,
    moto_endpoint,  # noqa: F401
    s3_client,
)
from tests.support.server import free_port
from tracker.clock import utc

MONDAY = utc(2026, 11, 2)
FINALIZED = WeekTimeline(MONDAY).finalize_at
IMAGE = b"\xff\xd8\xff" + b"evidence" * 64
SHA = hashlib.sha256(IMAGE).hexdigest()


def _hourly_contract(session: Session, passwords: Passwords, tag: str) -> Contract:
    """A client and a freelancer (e-mails ``client<tag>@r.test`` …) on an hourly contract."""
    client, freelancer = (
        create_user(session, passwords, email=f"{role}{tag}@r.test", password="p", role=role,
                    now=MONDAY)
        for role in ("client", "freelancer")
    )
    return create_hourly_contract(session, client=client, freelancer=freelancer, title="t",
                                  currency="USD", rate_cents=4000, now=MONDAY)


def _contracts_with_a_shot_each(url: str, blobs: BlobStore, contracts: int) -> list[str]:
    """``contracts`` hourly contracts, each with one slot on Tuesday and its shot stored."""
    engine = migrated_engine(url)
    factory = make_session_factory(engine)
    passwords = Passwords.with_cost(1, 1024, 1)
    now = utc(2026, 11, 3, 18)
    keys = []
    try:
        for index in range(contracts):
            with unit_of_work(factory) as session:
                contract = _hourly_contract(session, passwords, str(index))
            with factory() as session:
                start = utc(2026, 11, 3, 9)
                body = SlotBody(10, ((1, 1),) * 10, "m", False, start, SHA, None, now)
                put_slot(session, contract, start, body, now=now, future_skew=timedelta(0))
            with unit_of_work(factory) as session:
                slot = session.scalars(select(Slot).where(Slot.contract_id == contract.id)).one()
                slot.shot_blob_key = shot_key(slot)
                blobs.put(slot.shot_blob_key, IMAGE)
                keys.append(slot.shot_blob_key)
    finally:
        engine.dispose()
    return keys


def test_job_runners_side_by_side_delete_each_shot_once(database_url: str, tmp_path: Path) -> None:
    contracts = 12
    blobs = LocalBlobStore(tmp_path / "blobs")
    keys = _contracts_with_a_shot_each(database_url, blobs, contracts)
    engine = migrated_engine(database_url)
    factory = make_session_factory(engine)
    settings = Settings(database_url=database_url, data_dir=tmp_path / "unused")
    try:
        assert run_jobs(factory, FINALIZED, settings, blobs=blobs)["finalized"] == contracts
        start = threading.Barrier(3)

        def runner(_: int) -> dict[str, int]:
            start.wait()
            return run_jobs(factory, FINALIZED + timedelta(days=366), settings, blobs=blobs)

        with ThreadPoolExecutor(3) as pool:
            reports = list(pool.map(runner, range(3)))
        assert sum(report.get("shots_expired", 0) for report in reports) == contracts
        assert not any(blobs.exists(key) for key in keys)
        with unit_of_work(factory) as session:
            audits = session.scalar(select(func.count()).where(AuditRecord.action == AUDIT_ACTION))
            assert audits == contracts
            notes = set(session.scalars(select(Slot.shot_note)))
            assert notes == {RETENTION_SHOT_NOTE}
            assert set(session.scalars(select(ContractWeek.shots_expired))) == {True}
        assert not (tmp_path / "unused").exists()  # the store given was used, no other
    finally:
        engine.dispose()


def test_a_store_out_of_reach_leaves_the_blob_to_the_sweep(
    tmp_path: Path,
    moto_endpoint: str,  # noqa: F811
) -> None:
    url = f"sqlite:///{tmp_path / 'billing.sqlite3'}"
    bucket = fresh_bucket(moto_endpoint)
    store = S3BlobStore(s3_client(moto_endpoint), bucket)
    [key] = _contracts_with_a_shot_each(url, store, 1)
    nobody = S3Location(bucket, f"http://127.0.0.1:{free_port()}", REGION, ACCESS_KEY, SECRET_KEY)
    out_of_reach = S3BlobStore(make_s3_client(nobody, max_attempts=1), bucket)
    engine = migrated_engine(url)
    factory = make_session_factory(engine)
    settings = Settings(database_url=url, data_dir=tmp_path / "unused")
    expiry = FINALIZED + timedelta(days=366)
    try:
        run_jobs(factory, FINALIZED, settings, blobs=store)
        report = run_jobs(factory, expiry, settings, blobs=out_of_reach)
        assert "shots_expired" not in report  # the run goes on; nothing was removed
        with unit_of_work(factory) as session:
            slot = session.scalars(select(Slot)).one()
            assert (slot.shot_note, slot.shot_blob_key) == (RETENTION_SHOT_NOTE, None)
        assert store.exists(key)  # no row names it any more: the sweep's to remove
        assert sweep_orphan_blobs(factory, store, expiry + timedelta(hours=2)) == [key]
        assert not store.exists(key)
    finally:
        engine.dispose()


def _revision_before(engine_url: str) -> str:
    engine = make_engine(engine_url, sqlite_synchronous="NORMAL")
    try:
        before = (
            ScriptDirectory.from_config(alembic_config(engine))
            .get_revision("0011_shot_retention")
            .down_revision
        )
    finally:
        engine.dispose()
    assert isinstance(before, str)
    return before


def test_the_migration_leaves_existing_weeks_to_the_first_run(database_url: str) -> None:
    before = _revision_before(database_url)
    engine = make_engine(database_url, sqlite_synchronous="NORMAL")
    try:
        upgrade(engine, before)
        with make_session_factory(engine)() as session:
            contract = _hourly_contract(session, Passwords.with_cost(1, 1024, 1), "")
            session.commit()
        insert = (
            "INSERT INTO contract_weeks (contract_id, week_start, logged_minutes, "
            "billable_minutes, closed) VALUES (:id, :week, 10, 10, :closed)"
        )
        with engine.begin() as connection:
            connection.execute(text(insert), {"id": contract.id, "week": MONDAY, "closed": True})
        upgrade(engine)
        with engine.connect() as connection:
            flags = connection.execute(text("SELECT shots_expired FROM contract_weeks")).all()
        assert [bool(flag) for (flag,) in flags] == [False]
        command.downgrade(alembic_config(engine), before)  # and back down: the column goes
        with engine.connect() as connection:
            columns = connection.execute(text("SELECT * FROM contract_weeks")).keys()
        assert "shots_expired" not in columns
        upgrade(engine)
    finally:
        engine.dispose()
