"""The shot retention job step: delete the shots of weeks past their retention period.

A contract-week whose retention period after finalization is over (``billing.domain.
retention``) has every shot it still holds cleared: the slot forgets its blob and its
shot note says the retention deleted it, which the API and the companion view show in
place of the image. One audit record per contract-week names the slots. The blobs are
removed from the store once that is committed, as a slot deletion does (a crash in
between leaves an orphan for ``sweep-blobs``, never a slot naming a missing blob).

A week that an open dispute concerns keeps its shots — they are the dispute's evidence —
and the step looks at it again on every run, so the first run after the dispute closes
deletes them. A week done is flagged (``contract_weeks.shots_expired``) and never read
again. Minutes, invoices and the ledger are not touched. The weeks are taken ``FOR
UPDATE SKIP LOCKED``, so servers running the jobs side by side each take other weeks.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from billing.blobs import BlobStore, BlobStoreUnavailable
from billing.db import retention as retention_db
from billing.db.models import ContractWeek, Slot
from billing.db.retention import WeekKey
from billing.domain.retention import RETENTION_SHOT_NOTE, ShotRetention
from billing.domain.weeks import WeekTimeline, as_utc
from billing.services.transaction import committed

BATCH = 500
AUDIT_ACTION = "shots_deleted_by_retention"

log = logging.getLogger(__name__)


@dataclass
class _Batch:
    """What one batch of contract-weeks cleared: blob keys to remove after the commit."""

    blob_keys: list[str] = field(default_factory=list)
    last: WeekKey | None = None
    taken: int = 0


def remove_expired_shots(
    session: Session,
    blobs: Callable[[], BlobStore],
    now: datetime,
    retention: ShotRetention,
    *,
    batch: int = BATCH,
) -> int:
    """Delete every shot past its retention at ``now``; returns how many blobs went.

    ``blobs`` builds the store on first use, so a run with nothing due never opens it.
    """
    bound = retention.expired_weeks_bound(now)
    removed = 0
    after: WeekKey | None = None
    while True:
        with committed(session):
            done = _clear_batch(session, bound, after, now, retention, batch)
        if done.blob_keys:
            removed += _remove_blobs(blobs(), done.blob_keys)
        if done.taken < batch:
            return removed
        after = done.last


def _clear_batch(
    session: Session,
    bound: datetime,
    after: WeekKey | None,
    now: datetime,
    retention: ShotRetention,
    batch: int,
) -> _Batch:
    weeks = retention_db.weeks_past_retention(session, bound, after, batch)
    done = _Batch(taken=len(weeks))
    if not weeks:
        return done
    done.last = (weeks[-1].week_start, weeks[-1].contract_id)
    disputed = retention_db.weeks_under_open_dispute(session, weeks)
    due: dict[datetime, list[ContractWeek]] = defaultdict(list)
    for week in weeks:
        finalized_at = WeekTimeline(week.week_start).finalize_at
        under_dispute = (week.week_start, week.contract_id) in disputed
        if retention.is_due(finalized_at, now, under_open_dispute=under_dispute):
            due[week.week_start].append(week)
    for week_start, contract_weeks in due.items():
        slots = retention_db.shots_held(
            session, week_start, [week.contract_id for week in contract_weeks]
        )
        done.blob_keys += _clear_shots(session, slots, now, retention)
        for week in contract_weeks:
            week.shots_expired = True
    session.flush()
    return done


def _clear_shots(
    session: Session, slots: Sequence[Slot], now: datetime, retention: ShotRetention
) -> list[str]:
    """Mark the slots' shots deleted by retention and audit it per contract-week."""
    by_contract: dict[int, list[Slot]] = defaultdict(list)
    keys: list[str] = []
    for slot in slots:
        if slot.shot_blob_key is not None:
            keys.append(slot.shot_blob_key)
        slot.shot_blob_key = None
        slot.shot_note = RETENTION_SHOT_NOTE
        by_contract[slot.contract_id].append(slot)
    for contract_id, cleared in by_contract.items():
        week = as_utc(cleared[0].week_start)
        retention_db.record_system_action(
            session,
            now,
            AUDIT_ACTION,
            contract_id,
            f"week {week:%Y-%m-%d}",
            {
                "slot_starts": [as_utc(slot.slot_start).isoformat() for slot in cleared],
                "retention_days": retention.period.days,
                "expired_at": retention.week_expires_at(week).isoformat(),
            },
        )
    return keys


def _remove_blobs(blobs: BlobStore, keys: Sequence[str]) -> int:
    """Remove the cleared blobs; one the store cannot remove now is left to the orphan
    sweep (no row names it any more), not retried here."""
    removed = 0
    for key in keys:
        try:
            blobs.delete(key)
        except BlobStoreUnavailable:
            log.warning("blob store unavailable: shot %s is left for sweep-blobs", key)
            continue
        removed += 1
    return removed
