"""Scheduled transitions, all driven by an injected clock.

``run_jobs(session_factory, now, settings)`` runs every step due at ``now`` in order —
close → lock → finalize → release (``billing.services.week_close``), then the
fixed-price step (auto-approval after 14 days, availability), then the shot retention
step (``billing.services.retention``) — each in its own transaction, and records the
run. Each step only moves rows from the state before it, so a second run at the same
instant changes nothing; on PostgreSQL the steps lock rows with ``SKIP LOCKED`` so
servers can run jobs side by side. ``workdiary-server run-jobs [--now]`` calls it once;
``serve`` runs a :class:`Scheduler` thread.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from billing.blob_config import blob_store_for
from billing.blobs import BlobStore
from billing.clock import Clock
from billing.config import Settings
from billing.db.models import JobRun
from billing.db.session import unit_of_work
from billing.db.slot_partitions import slot_partition_step
from billing.services import retention, week_close
from billing.services.accounts import AuthPolicy, prune_sign_in_throttle
from billing.services.fixed_price import run_due as run_fixed_price_due

log = logging.getLogger(__name__)


def run_jobs(
    session_factory: sessionmaker[Session],
    now: datetime,
    settings: Settings,
    *,
    blobs: BlobStore | None = None,
) -> dict[str, int]:
    """Run every transition due at ``now``; returns how many rows each step changed.

    ``blobs`` is the server's store; without it (``run-jobs``) the settings' store is
    built, and only once a shot is due for deletion.
    """
    report: dict[str, int] = {}
    fee = settings.platform_fee_basis_points
    report.update(slot_partition_step(session_factory, now, settings))
    with session_factory() as session:
        report["closed"] = week_close.close_due(session, now)
    with session_factory() as session:
        report["locked"] = week_close.lock_due(session, now)
    with session_factory() as session:
        finalized = week_close.finalize_due(session, now, fee_bps=fee)
    report["finalized"] = finalized.finalized
    report["voided"] = finalized.voided
    report["supplements"] = finalized.supplements
    with session_factory() as session:
        report["released"] = week_close.release_due(session, now, fee_bps=fee)
    with unit_of_work(session_factory) as session:
        report.update(run_fixed_price_due(session, now))
    with session_factory() as session:
        expired = retention.remove_expired_shots(
            session, _store(settings, blobs), now, settings.shot_retention
        )
    if expired:  # named only when shots went, like the partitions created
        report["shots_expired"] = expired
    with session_factory() as session:
        # housekeeping: reported only when it removed something, like the fixed-price step
        pruned = prune_sign_in_throttle(session, now, AuthPolicy.from_settings(settings))
    if pruned:
        report["sign_in_rows_pruned"] = pruned
    with unit_of_work(session_factory) as session:
        session.add(JobRun(run_for=now, started_at=now, finished_at=now, report=report))
    return report


def _store(settings: Settings, blobs: BlobStore | None) -> Callable[[], BlobStore]:
    if blobs is not None:
        return lambda: blobs
    return functools.cache(lambda: blob_store_for(settings))


class Scheduler:
    """A daemon thread running :func:`run_jobs` every ``settings.jobs_interval_seconds``."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        settings: Settings,
        *,
        blobs: BlobStore | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._blobs = blobs
        self._clock = clock
        self._settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="workdiary-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                report = run_jobs(
                    self._session_factory, self._clock.now(), self._settings, blobs=self._blobs
                )
                if any(report.values()):
                    log.info("jobs ran: %s", report)
            except Exception:  # keep the scheduler alive; the next run retries
                log.exception("job run failed")
            self._stop.wait(self._settings.jobs_interval_seconds)
