"""Hourly contracts: slot ingest, shots, deletion, the weekly cap, ending, disputes.

Each public function is one unit of work on the caller's session: it loads what the
rule needs (locking the week's totals row it changes), lets ``billing.domain`` decide,
writes, audits and commits — the only place these changes are committed. ``now`` is
read once by the caller and passed in. Refusals raise ``billing.db.errors`` errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from billing.blobs import BlobStore, Upload
from billing.db import audit
from billing.db import contracts as contracts_db
from billing.db import disputes as disputes_db
from billing.db import invoices as invoices_db
from billing.db import slots as slots_db
from billing.db.contracts import cap_for_week, check_cap, schedule_cap
from billing.db.errors import Conflict, Forbidden, Invalid, NotFound
from billing.db.models import (
    Contract,
    ContractKind,
    Dispute,
    DisputeMessage,
    DisputeSlot,
    DisputeStatus,
    InvoiceStatus,
    Role,
    Slot,
    User,
)
from billing.db.slots import HeldSlot
from billing.domain.retention import RETENTION_SHOT_NOTE, RETENTION_SHOT_TEXT
from billing.domain.signed_slots import body_mismatch
from billing.domain.slots import ContractTerms, SlotBody, is_audited_shrink, refusal
from billing.domain.weeks import (
    FREELANCER_ANSWER_WINDOW,
    WEEK,
    WeekTimeline,
    as_utc,
    cap_change_effective_week,
    effective_cap_minutes,
    split_over_cap,
    week_start,
)
from billing.services.signed_diary import check_run
from billing.services.transaction import committed, in_transaction
from billing.services.week_totals import recompute_hours, refresh_draft, resplit_over_cap

DELETED_SLOT = "slot was deleted; a deleted slot cannot be synced again"
SETTINGS = ("screenshots_enabled", "blur_screenshots", "manual_time_allowed")

# --- ingest ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredSlot:
    """What ingest tells the caller about the slot it holds."""

    slot_start: datetime
    over_limit_minutes: int
    shot_sha256: str | None
    shot_blob_key: str | None
    shot_note: str | None = None

    @property
    def shot_expected(self) -> bool:
        """The slot announced a shot whose bytes have not arrived yet (and may: a shot
        removed after the retention period is not asked for again)."""
        return (self.shot_sha256 is not None and self.shot_blob_key is None
                and self.shot_note != RETENTION_SHOT_NOTE)


@dataclass(frozen=True)
class BatchItemOutcome:
    """One slot of a batch: its HTTP-like status (201, 200, 409, 422) and why."""

    slot_start: datetime
    status: int
    detail: str | None = None
    slot: StoredSlot | None = None
    week_logged_minutes: int = 0


@dataclass(frozen=True)
class SlotOutcome:
    slot: StoredSlot
    created: bool
    week_logged_minutes: int


@dataclass
class _Week:
    """A week touched by one ingest: its totals as locked and what this ingest adds."""

    logged_before: int
    billable: int
    closed: bool
    cap: int | None
    logged_added: int = 0


@dataclass
class _Ingest:
    """The work of one ingest call, filled in as the items are screened and stored."""

    contract: Contract
    now: datetime
    outcomes: dict[int, BatchItemOutcome] = field(default_factory=dict)
    valid: list[tuple[int, datetime, SlotBody]] = field(default_factory=list)
    weeks: dict[datetime, _Week] = field(default_factory=dict)
    rows: list[dict[str, object]] = field(default_factory=list)
    shrunk: dict[datetime, Slot] = field(default_factory=dict)
    # slots whose body came with a chain entry that verified: the entry's hash
    verified: dict[datetime, str] = field(default_factory=dict)


def put_slot(
    session: Session,
    contract: Contract,
    slot_start: datetime,
    body: SlotBody,
    *,
    now: datetime,
    future_skew: timedelta,
) -> SlotOutcome:
    """:func:`put_slots` with one item; a refusal is raised as its :class:`ServiceError`."""
    with committed(session):
        outcome = stage_slot(
            session, contract, slot_start, body, now=now, future_skew=future_skew
        )
    # raised after the commit: a refused slot wrote nothing but the chain entries that
    # verified, which the server keeps so the tracker's next entries still link
    return slot_answer(outcome)


def stage_slot(
    session: Session,
    contract: Contract,
    slot_start: datetime,
    body: SlotBody,
    *,
    now: datetime,
    future_skew: timedelta,
    cap_changes: list[tuple[datetime, int | None]] | None = None,
) -> BatchItemOutcome:
    """:func:`put_slot` left uncommitted and unanswered, for the one caller that commits
    the PUTs arriving together as one transaction (:mod:`billing.services.slot_ingest`):
    a refused slot's verified chain entries are kept like :func:`put_slot` keeps them.
    ``cap_changes``: the contract's cap history, if that caller read it in this
    transaction already (for the whole group at once)."""
    (outcome,) = _ingest(
        session, contract, [(slot_start, body)], now=now, future_skew=future_skew,
        cap_changes=cap_changes,
    )
    return outcome


def slot_answer(outcome: BatchItemOutcome) -> SlotOutcome:
    """A staged slot's answer: its outcome, or its refusal raised as a ServiceError."""
    if outcome.slot is None:
        assert outcome.detail is not None
        raise Conflict(outcome.detail) if outcome.status == 409 else Invalid(outcome.detail)
    return SlotOutcome(outcome.slot, outcome.status == 201, outcome.week_logged_minutes)


def _ingest(
    session: Session,
    contract: Contract,
    items: Sequence[tuple[datetime, SlotBody]],
    *,
    now: datetime,
    future_skew: timedelta,
    cap_changes: list[tuple[datetime, int | None]] | None = None,
) -> list[BatchItemOutcome]:
    """Store many slots of one contract; a refused slot does not stop the others. The
    same body again changes nothing (200); a different one is a 409.

    Set-wise SQL: one lock per week touched, one look-up of held slots, one multi-row
    insert, one totals update per week — the per-slot cost is a small fraction of a PUT.
    """
    work = _Ingest(contract, now)
    _screen(session, work, items, future_skew)
    for week in sorted({week_start(start) for _, start, _ in work.valid}):  # lock in order
        totals = slots_db.touch_totals(session, contract.id, week)
        cap = (
            cap_for_week(session, contract.id, week)
            if cap_changes is None
            else effective_cap_minutes(cap_changes, week)
        )
        work.weeks[week] = _Week(totals.logged_minutes, totals.billable_minutes, totals.closed, cap)
    if len(work.valid) == 1:
        _store_one(session, work, *work.valid[0])
    else:
        held = slots_db.held_slots(session, contract.id, [start for _, start, _ in work.valid])
        for index, start, body in work.valid:
            row = held.get(start)
            if row is None:
                work.outcomes[index] = _plan_insert(work, start, body)
            else:
                work.outcomes[index] = _held_outcome(session, work, start, body, row)
        _write(session, work)
    _resplit_shrunk_weeks(session, work)
    return [_with_week_total(work, work.outcomes[index]) for index in range(len(items))]


put_slots = in_transaction(_ingest)
"""The sync client's batch: :func:`_ingest` as one committed unit of work."""


def _terms(contract: Contract) -> ContractTerms:
    return ContractTerms(
        is_hourly=contract.kind == ContractKind.HOURLY,
        screenshots_enabled=contract.screenshots_enabled,
        manual_time_allowed=contract.manual_time_allowed,
        ended_at=contract.ended_at,
        started_at=contract.created_at,
    )


def _screen(
    session: Session,
    work: _Ingest,
    items: Sequence[tuple[datetime, SlotBody]],
    future_skew: timedelta,
) -> None:
    """Apply the domain's refusal to each item; a refused resend of a slot already held
    with this very body is a 200 even once the week is locked or the contract ended
    (the tracker lost the first answer, not the slot)."""
    terms = _terms(work.contract)
    seen: set[datetime] = set()
    for index, (raw_start, body) in enumerate(items):
        start = as_utc(raw_start)
        unsigned = _chain_refusal(session, work, start, body)
        if unsigned is not None:
            work.outcomes[index] = unsigned
            continue
        refused = refusal(raw_start, body, terms, now=work.now, future_skew=future_skew)
        if refused is not None:
            replay = _replay(session, work.contract, start, body) if refused[0] == 409 else None
            work.outcomes[index] = replay or BatchItemOutcome(start, refused[0], refused[1])
        elif start in seen:
            work.outcomes[index] = BatchItemOutcome(
                start, 422, "slot_start sent twice in this batch"
            )
        else:
            seen.add(start)
            work.valid.append((index, start, body))


def _chain_refusal(
    session: Session, work: _Ingest, start: datetime, body: SlotBody
) -> BatchItemOutcome | None:
    """Wire v2: the body must be its signed entry's record, and the entries must verify
    (:func:`check_run`). A v1 body (no chain) passes, to be stored unverified."""
    if body.chain is None or not body.chain.entries:
        return None
    mismatch = body_mismatch(body.chain.entries[-1].record, work.contract.id, start, body)
    if mismatch is not None:
        return BatchItemOutcome(start, 422, mismatch)
    last, refused = check_run(session, work.contract, body.chain, now=work.now)
    if refused is not None:
        return BatchItemOutcome(start, refused[0], refused[1])
    assert last is not None
    work.verified[start] = last
    return None


def _keep_verification(session: Session, work: _Ingest, start: datetime, row: HeldSlot) -> None:
    """A held slot sent again with an entry that verified (its first signed copy, or the
    entry of its shrunk body) is verified from now on; a v1 resend changes nothing."""
    chain_hash = work.verified.get(start)
    if chain_hash is None:
        return
    held = session.get(Slot, row.id)
    assert held is not None
    held.verified, held.chain_hash = True, chain_hash


def _stored(start: datetime, row: HeldSlot) -> StoredSlot:
    return StoredSlot(
        start, row.over_limit_minutes, row.shot_sha256, row.shot_blob_key, row.shot_note
    )


def _replay(
    session: Session, contract: Contract, start: datetime, body: SlotBody
) -> BatchItemOutcome | None:
    row = slots_db.held_slots(session, contract.id, [start]).get(start)
    if row is None or row.deleted_at is not None or row.body_sha256 != body.fingerprint():
        return None
    totals = contracts_db.week_totals(session, contract.id, week_start(start))
    logged = 0 if totals is None else totals.logged_minutes
    return BatchItemOutcome(start, 200, None, _stored(start, row), logged)


def _held_outcome(
    session: Session, work: _Ingest, start: datetime, body: SlotBody, row: HeldSlot
) -> BatchItemOutcome:
    if row.deleted_at is not None:
        return BatchItemOutcome(start, 409, DELETED_SLOT)
    if row.body_sha256 != body.fingerprint():
        existing = session.get(Slot, row.id)
        assert existing is not None
        if not is_audited_shrink(held_body(existing), body):
            return BatchItemOutcome(start, 409, _difference(existing, body))
        _shrink(session, work, existing, body)
    if body.clock_jump:
        _keep_clock_jump(session, row)
    if body.capture_source is not None or body.activity_source is not None:
        _keep_provenance(session, row, body)
    _keep_verification(session, work, start, row)
    return BatchItemOutcome(start, 200, None, _stored(start, row))


def _keep_clock_jump(session: Session, row: HeldSlot) -> None:
    """A resend that reports a jump the server had not heard of flags the held slot.
    The flag is outside the fingerprint, so this is still the same body; a resend
    without the flag leaves it as it is (an old tracker never clears it)."""
    held = session.get(Slot, row.id)
    assert held is not None
    held.clock_jump = True


def _keep_provenance(session: Session, row: HeldSlot, body: SlotBody) -> None:
    """A resend that reports the provenance the server had not heard of records it; a
    known provenance is never changed by a resend (like the clock-jump flag)."""
    held = session.get(Slot, row.id)
    assert held is not None
    if held.capture_source is None:
        held.capture_source = body.capture_source
    if held.activity_source is None:
        held.activity_source = body.activity_source


def held_body(held: Slot) -> SlotBody:
    """The body the server holds for ``held``, as the domain compares bodies."""
    return SlotBody(
        minutes=held.minutes,
        activity=tuple((int(pair[0]), int(pair[1])) for pair in held.activity),
        memo=held.memo,
        manual=held.manual,
        shot_taken_at=held.shot_taken_at,
        shot_sha256=held.shot_sha256,
        shot_note=held.shot_note,
        client_now=held.received_at,
        clock_jump=held.clock_jump,
        capture_source=held.capture_source,
        activity_source=held.activity_source,
    )


def _shrink(session: Session, work: _Ingest, held: Slot, body: SlotBody) -> None:
    """Idle minutes discarded after sync (the wire contract's "audited shrink"): the slot
    keeps its kept minutes, the rest leave the bill, and the change is audited. The
    week is re-split over the cap once the whole batch is written."""
    minutes_before = held.minutes
    held.minutes, held.active_minutes = body.minutes, body.active_minutes
    held.activity = [list(pair) for pair in body.activity]
    held.body_sha256 = body.fingerprint()
    audit.record_by_id(
        session,
        work.now,
        work.contract.freelancer_id,
        "slot_shrunk",
        work.contract.id,
        f"slot {as_utc(held.slot_start).isoformat()}",
        {"minutes_before": minutes_before, "minutes_after": body.minutes},
    )
    work.weeks[week_start(as_utc(held.slot_start))].logged_added -= minutes_before - body.minutes
    work.shrunk[as_utc(held.slot_start)] = held


def _resplit_shrunk_weeks(session: Session, work: _Ingest) -> None:
    """A shrink may free cap for minutes held over the limit: re-split those weeks, and
    answer each shrunk slot with its new split."""
    if not work.shrunk:
        return
    session.flush()
    for week in sorted({week_start(start) for start in work.shrunk}):
        resplit_over_cap(session, work.contract, week)
        if work.weeks[week].closed:
            refresh_draft(session, work.contract, week, now=work.now)
    for index, outcome in work.outcomes.items():
        held = work.shrunk.get(outcome.slot_start)
        if held is not None and outcome.status == 200:
            slot = StoredSlot(
                outcome.slot_start, held.over_limit_minutes, held.shot_sha256, held.shot_blob_key,
                held.shot_note,
            )
            work.outcomes[index] = BatchItemOutcome(outcome.slot_start, 200, None, slot)


def _plan_insert(work: _Ingest, start: datetime, body: SlotBody) -> BatchItemOutcome:
    """Split the new slot's minutes over the week's cap and queue its row."""
    week = work.weeks[week_start(start)]
    billable, over_limit = split_over_cap(body.minutes, week.billable, week.cap)
    week.billable += billable
    week.logged_added += body.minutes
    work.rows.append(
        {
            "contract_id": work.contract.id,
            "slot_start": start,
            "week_start": week_start(start),
            "minutes": body.minutes,
            "active_minutes": body.active_minutes,
            "activity": [list(pair) for pair in body.activity],
            "memo": body.memo,
            "manual": body.manual,
            "shot_taken_at": body.shot_taken_at,
            "shot_sha256": body.shot_sha256,
            "shot_note": body.shot_note,
            "clock_jump": body.clock_jump,
            "capture_source": body.capture_source,
            "activity_source": body.activity_source,
            "shot_blob_key": None,
            "over_limit_minutes": over_limit,
            "body_sha256": body.fingerprint(),
            "received_at": work.now,
            "verified": start in work.verified,
            "chain_hash": work.verified.get(start),
        }
    )
    return BatchItemOutcome(start, 201, None, StoredSlot(start, over_limit, body.shot_sha256, None))


def _store_one(
    session: Session, work: _Ingest, index: int, start: datetime, body: SlotBody
) -> None:
    """One slot (a single PUT): inserted unless one is held at its start, so a new slot
    takes no look-up first; a held one is answered as :func:`_ingest` answers it."""
    week = work.weeks[week_start(start)]
    planned = week.billable, week.logged_added
    outcome = _plan_insert(work, start, body)
    if slots_db.insert_new_slot(session, work.rows[0]):
        work.outcomes[index] = outcome
        _add_to_weeks(session, work)
        return
    week.billable, week.logged_added = planned  # not new: nothing of it was added
    work.rows.clear()
    row = slots_db.held_slots(session, work.contract.id, [start])[start]
    work.outcomes[index] = _held_outcome(session, work, start, body, row)


def _write(session: Session, work: _Ingest) -> None:
    """Insert the new rows, add them to their weeks; a closed week's draft follows."""
    if not work.rows:
        return
    slots_db.insert_slots(session, work.rows)
    _add_to_weeks(session, work)


def _add_to_weeks(session: Session, work: _Ingest) -> None:
    for start, week in work.weeks.items():
        if week.logged_added:
            slots_db.add_to_totals(
                session,
                work.contract.id,
                start,
                logged_added=week.logged_added,
                billable=week.billable,
            )
            if week.closed:
                refresh_draft(session, work.contract, start, now=work.now)


def _with_week_total(work: _Ingest, outcome: BatchItemOutcome) -> BatchItemOutcome:
    week = work.weeks.get(week_start(outcome.slot_start))
    if week is None or outcome.slot is None:
        return outcome
    total = week.logged_before + week.logged_added
    return BatchItemOutcome(outcome.slot_start, outcome.status, outcome.detail, outcome.slot, total)


def _difference(held: Slot, body: SlotBody) -> str:
    """Say what differs between the stored slot and a conflicting upload."""
    differences = []
    if held.minutes != body.minutes:
        differences.append(f"minutes {held.minutes} held, {body.minutes} sent")
    if held.memo != body.memo:
        differences.append("memo differs")
    if held.manual != body.manual:
        differences.append("manual flag differs")
    if held.shot_sha256 != body.shot_sha256:
        differences.append("shot sha256 differs")
    if [list(pair) for pair in body.activity] != held.activity:
        differences.append("activity counts differ")
    detail = "; ".join(differences) or "shot taken_at or note differs"
    return f"slot already held with a different body ({detail})"


# --- shots and deletion -------------------------------------------------------------------


def shot_key(slot: Slot) -> str:
    assert slot.shot_sha256 is not None
    return f"{slot.contract_id}/{slot.slot_start:%Y%m%dT%H%M}Z-{slot.shot_sha256[:16]}"


def put_shot(
    session: Session,
    blobs: BlobStore,
    contract_id: int,
    slot_start: datetime,
    upload: Upload,
    *,
    reading: Session | None = None,
) -> tuple[Slot, bool]:
    """Store the slot's shot from a spooled ``upload``; it must hash to the slot's sha256.

    Check the slot (in ``reading`` when given: a session that only reads, so on SQLite
    the check takes no write lock), put the blob with no transaction open (the store may
    be remote), then name it on the slot in one write transaction: one UPDATE that
    holds only if the slot still takes this shot (it may have been deleted, or its shot
    expired, since; then the row is read under its lock to say why). A delete takes
    the same row lock, so a slot deleted meanwhile never names the blob: it is removed
    again and the caller gets 404. A crash, or a commit that fails,
    between the put and the commit leaves an orphan for ``billing.blob_sweep`` (never
    removed here: the same shot sent twice has one key, the other upload may name it).
    """
    checks = session if reading is None else reading
    with committed(checks):
        slot = slots_db.live_slot(checks, contract_id, slot_start)
        _check_shot(slot, upload)
        if slot.shot_blob_key is not None and blobs.exists(slot.shot_blob_key):
            return slot, False
        key = shot_key(slot)
    blobs.put_file(key, upload)
    try:
        with committed(session):
            if slots_db.name_shot(session, slot, key, expired_note=RETENTION_SHOT_NOTE):
                set_committed_value(slot, "shot_blob_key", key)  # as written (not dirty)
                return slot, True
            # named already, or the slot changed since the check: read it under the lock
            slot = slots_db.live_slot(session, contract_id, slot_start, for_update=True)
            _check_shot(slot, upload)
            created = slot.shot_blob_key != key
            slot.shot_blob_key = key
    except (NotFound, Conflict, Invalid):
        blobs.delete(key)
        raise
    return slot, created


def _refuse_expired_shot(slot: Slot) -> None:
    if slot.shot_note == RETENTION_SHOT_NOTE:
        raise Conflict(f"{RETENTION_SHOT_TEXT}: the server keeps no image for this slot")


def _check_shot(slot: Slot, upload: Upload) -> None:
    if slot.shot_sha256 is None:
        raise Conflict("this slot was synced without a shot")
    _refuse_expired_shot(slot)
    if upload.size == 0:
        raise Invalid("empty body: send the image bytes")
    if upload.sha256 != slot.shot_sha256:
        raise Invalid(
            f"sha256 mismatch: the slot announced {slot.shot_sha256}, got {upload.sha256}"
        )


def delete_slots(
    session: Session,
    blobs: BlobStore,
    contract: Contract,
    slot_starts: Sequence[datetime],
    *,
    actor: User,
    now: datetime,
) -> None:
    """Unbill synced slots before their week locks, in one transaction (audited).

    The rows stay, marked deleted; their shot blobs are removed once the deletion is
    committed (a rollback keeps the shot).
    """
    with committed(session):
        blob_keys = [_delete(session, contract, start, actor, now) for start in slot_starts]
    for key in blob_keys:
        if key is not None:
            blobs.delete(key)


def _delete(
    session: Session, contract: Contract, slot_start: datetime, actor: User, now: datetime
) -> str | None:
    slot_start = as_utc(slot_start)
    week = week_start(slot_start)
    week_closed = WeekTimeline(week).slot_change_refusal(now)
    if week_closed is not None:
        raise Conflict(week_closed)
    totals = slots_db.lock_week_totals(session, contract.id, week)
    # the row lock orders this against put_shot naming a blob on the slot
    slot = slots_db.slot_at(session, contract.id, slot_start, for_update=True)
    if slot is None:
        raise NotFound("no such slot on this contract")
    if slot.deleted_at is not None:
        return None
    blob_key = slot.shot_blob_key
    slot.deleted_at = now
    slot.deleted_by_id = actor.id
    slot.shot_blob_key = None
    detail = {"minutes": slot.minutes, "had_shot": blob_key is not None}
    subject = f"slot {slot_start.isoformat()}"
    audit.record(session, now, actor, "slot_deleted", contract.id, subject, detail)
    session.flush()
    resplit_over_cap(session, contract, week, totals=totals)
    if totals.closed:
        refresh_draft(session, contract, week, now=now)
    return blob_key


# --- the contract's terms -----------------------------------------------------------------


create_hourly_contract = in_transaction(contracts_db.create_hourly_contract)
"""A new hourly contract; its cap is in force from the current week."""


@dataclass(frozen=True)
class TermsChange:
    """What the client changes: ``cap_minutes`` only when ``cap_given`` (``None`` = no cap)."""

    cap_given: bool = False
    cap_minutes: int | None = None
    settings: Mapping[str, bool] = field(default_factory=dict)


def change_terms(
    session: Session, contract: Contract, change: TermsChange, *, actor: User, now: datetime
) -> datetime | None:
    """Client: change the weekly cap and settings. Returns the week a cap change takes
    effect (``None`` when the cap is left as it is, this week and next)."""
    with committed(session):
        effective = None
        this_week = week_start(now)
        unchanged = change.cap_minutes == cap_for_week(
            session, contract.id, this_week
        ) and change.cap_minutes == cap_for_week(session, contract.id, this_week + WEEK)
        if change.cap_given and not unchanged:
            effective = _change_cap(session, contract, change.cap_minutes, actor, now)
        for name, value in change.settings.items():
            if name not in SETTINGS:
                raise Invalid(f"no such setting: {name}")
            setattr(contract, name, value)
        return effective


def change_cap(
    session: Session, contract: Contract, new_cap_minutes: int | None, *, actor: User, now: datetime
) -> datetime:
    """Change the weekly cap: a raise applies to this week, a cut from next week.

    A new change replaces any change still scheduled. Returns the week it takes effect.
    """
    with committed(session):
        return _change_cap(session, contract, new_cap_minutes, actor, now)


def _change_cap(
    session: Session, contract: Contract, new_cap: int | None, actor: User, now: datetime
) -> datetime:
    if contract.kind != ContractKind.HOURLY:
        raise Conflict("only hourly contracts have a weekly cap")
    check_cap(new_cap)
    this_week = week_start(now)
    current = cap_for_week(session, contract.id, this_week)
    effective = cap_change_effective_week(current, new_cap, now)
    schedule_cap(session, contract.id, effective, new_cap, now)
    detail = {
        "from_minutes": current,
        "to_minutes": new_cap,
        "effective_week_start": effective.isoformat(),
    }
    audit.record(session, now, actor, "cap_changed", contract.id, f"contract {contract.id}", detail)
    session.flush()
    if effective == this_week:
        # a raise: minutes already marked over-limit become billable up to the new cap
        resplit_over_cap(session, contract, this_week)
    return effective



# --- disputes on slots --------------------------------------------------------------------


def open_dispute(
    session: Session,
    contract: Contract,
    client: User,
    slot_starts: Sequence[datetime],
    reason: str,
    *,
    now: datetime,
) -> Dispute:
    """Dispute slots of one week in review; they leave the invoice until resolved."""
    with committed(session):
        starts = sorted({as_utc(start) for start in slot_starts})
        weeks = {week_start(start) for start in starts}
        if len(weeks) != 1:
            raise Invalid("a dispute covers slots of one week")
        week = weeks.pop()
        timeline = WeekTimeline(week)
        if not timeline.in_review(now):
            if now < timeline.lock_at:
                raise Conflict(f"review of this week opens at {timeline.lock_at.isoformat()}")
            raise Conflict(f"review of this week ended at {timeline.finalize_at.isoformat()}")
        slots_db.lock_week_totals(session, contract.id, week)  # serialise with other disputes
        invoice = invoices_db.week_invoice(session, contract.id, week)
        if invoice is None or invoice.status != InvoiceStatus.ISSUED:
            raise Conflict("this week has no invoice in review")
        slots = [s for s in slots_db.slots_at(session, contract.id, starts) if s.deleted_at is None]
        missing = sorted(set(starts) - {slot.slot_start for slot in slots})
        if missing:
            raise Invalid(f"no slot at {', '.join(m.isoformat() for m in missing[:5])}")
        if disputes_db.disputed_among(session, [slot.id for slot in slots]):
            raise Conflict("some of these slots are already disputed")
        dispute = Dispute(
            contract_id=contract.id,
            invoice_id=invoice.id,
            week_start=week,
            opened_by_id=client.id,
            reason=reason,
            status=DisputeStatus.OPEN.value,
            disputed_minutes=sum(slot.minutes for slot in slots),
            opened_at=now,
            answer_due_at=now + FREELANCER_ANSWER_WINDOW,
        )
        session.add(dispute)
        session.flush()
        session.add_all(
            DisputeSlot(slot_id=slot.id, slot_start=slot.slot_start, dispute_id=dispute.id)
            for slot in slots
        )
        session.flush()
        recompute_hours(session, invoice, contract)
        return dispute


def add_message(
    session: Session,
    contract: Contract,
    dispute_id: int,
    author: User,
    role: Role,
    body: str,
    *,
    now: datetime,
) -> Dispute:
    """Both sides (and the assigned admin) add to the record while it is open."""
    with committed(session):
        dispute = disputes_db.dispute_on(session, contract, dispute_id)
        disputes_db.check_admin_may_see(dispute, author, role)
        if dispute.status != DisputeStatus.OPEN:
            raise Conflict("dispute is resolved; the record is closed")
        session.add(
            DisputeMessage(dispute_id=dispute.id, author_id=author.id, body=body, created_at=now)
        )
        return dispute


def assign_dispute(session: Session, dispute_id: int, admin: User, *, now: datetime) -> Dispute:
    """An admin takes an open dispute; taking one held by another admin is a 409."""
    with committed(session):
        dispute = disputes_db.dispute_for_update(session, dispute_id)
        if dispute is None or dispute.status != DisputeStatus.OPEN:
            raise NotFound("no such open dispute")
        if dispute.assigned_admin_id not in (None, admin.id):
            raise Conflict("another admin handles this dispute")
        dispute.assigned_admin_id = admin.id
        subject = f"dispute {dispute.id}"
        audit.record(session, now, admin, "dispute_assigned", dispute.contract_id, subject)
        return dispute


def resolve_dispute(
    session: Session,
    contract: Contract,
    dispute_id: int,
    admin: User,
    *,
    paid: bool,
    note: str,
    now: datetime,
) -> Dispute:
    """Record the admin's decision; a paid dispute is billed at the next finalization.

    The freelancer has three days to answer: before that, the admin may decide only
    once the freelancer has written in the record.
    """
    with committed(session):
        dispute = disputes_db.dispute_on(session, contract, dispute_id)
        if dispute.assigned_admin_id != admin.id:
            raise Forbidden("only the admin assigned to this dispute may resolve it")
        if dispute.status != DisputeStatus.OPEN:
            raise Conflict("dispute already resolved")
        answered = disputes_db.has_message_from(session, dispute, contract.freelancer_id)
        if not answered and now < dispute.answer_due_at:
            raise Conflict(
                f"the freelancer has until {dispute.answer_due_at.isoformat()} to answer"
            )
        dispute.status = (DisputeStatus.PAID if paid else DisputeStatus.NOT_PAID).value
        dispute.resolved_at = now
        dispute.resolved_by_id = admin.id
        dispute.resolution_note = note
        detail = {"outcome": dispute.status, "minutes": dispute.disputed_minutes}
        audit.record(
            session, now, admin, "dispute_resolved", contract.id, f"dispute {dispute.id}", detail
        )
        return dispute
