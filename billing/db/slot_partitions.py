"""Weekly partitions of the slot table on PostgreSQL (SQLite stays one plain table).

Migration 0004 makes ``slots`` a table partitioned by range on ``slot_start``, one
partition per UTC week (``slots_wYYYYMMDD``, Monday 00:00 to the next Monday) plus
``slots_default`` for a slot of a week that has no partition yet. The plain-SQL function
:data:`ENSURE_FUNCTION` creates missing week partitions; the jobs call it on every run
through :func:`ensure_slot_partitions`, so the coming weeks always exist before their
first slot arrives, on every server and after any downtime.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, text
from sqlalchemy.orm import Session, sessionmaker

from billing.config import Settings
from billing.db.models import Slot
from billing.db.session import is_postgres, unit_of_work
from billing.domain.weeks import week_start

# Creates the partitions of ``weeks`` consecutive weeks from the week holding
# ``first_week``; returns how many it created. A new week's rows already in the default
# partition are moved into it (only the current and later weeks are ever created ahead,
# and no slot of those is under dispute, so no foreign key points at a moved row).
ENSURE_FUNCTION = """
CREATE OR REPLACE FUNCTION wd_ensure_slot_partitions(first_week timestamptz, weeks integer)
RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
    monday timestamptz := date_trunc('week', first_week AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    part text;
    created integer := 0;
BEGIN
    -- every server's scheduler calls this: one at a time
    PERFORM pg_advisory_xact_lock(hashtext('wd_ensure_slot_partitions'));
    FOR i IN 1 .. weeks LOOP
        part := 'slots_w' || to_char(monday AT TIME ZONE 'UTC', 'YYYYMMDD');
        IF to_regclass(part) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I (LIKE slots INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
            EXECUTE format(
                'WITH moved AS (DELETE FROM slots_default WHERE slot_start >= %L '
                'AND slot_start < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
                monday, monday + interval '7 days', part);
            EXECUTE format(
                'ALTER TABLE slots ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                part, monday, monday + interval '7 days');
            created := created + 1;
        END IF;
        monday := monday + interval '7 days';
    END LOOP;
    RETURN created;
END
$fn$
"""


def partition_name(week: datetime) -> str:
    """``slots_w20261102`` for the week starting Monday 2026-11-02 (UTC)."""
    return f"slots_w{week_start(week):%Y%m%d}"


def ensure_slot_partitions(session: Session, now: datetime, weeks_ahead: int) -> int:
    """Create the partitions of the week holding ``now`` and ``weeks_ahead`` after it."""
    if not is_postgres(session):
        return 0
    created = session.scalar(
        text("SELECT wd_ensure_slot_partitions(:first_week, :weeks)"),
        {"first_week": week_start(now), "weeks": weeks_ahead + 1},
    )
    return int(created or 0)


def slot_partition_step(
    session_factory: sessionmaker[Session], now: datetime, settings: Settings
) -> dict[str, int]:
    """The jobs' step: its report names the partitions only when some were created."""
    with unit_of_work(session_factory) as session:
        created = ensure_slot_partitions(session, now, settings.slot_partitions_ahead)
    return {"slot_partitions_created": created} if created else {}


def in_week(week: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """``slot_start`` within ``week``: a week's query says so to read one partition.

    (``Slot.week_start`` says the same, but PostgreSQL prunes on the partition column.)
    """
    start = week_start(week)
    return Slot.slot_start >= start, Slot.slot_start < start + timedelta(days=7)
