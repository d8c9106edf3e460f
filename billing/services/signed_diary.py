"""The signed diary on the server: device keys, and the check of the signed entries a
request carries (wire contract v2, DOMAIN.md "Tamper-evident diary").

:func:`check_run` is part of the ingest unit of work (``billing.services.hourly``); it
keeps the entries that verify even when the slot they carry is then refused, so the
tracker's next entries still link. :func:`register_device` and :func:`keep_entries`
are units of work of their own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from billing.db import audit
from billing.db import chain as chain_db
from billing.db.errors import Conflict, Invalid
from billing.db.models import Contract, Device, User
from billing.services.transaction import committed
from diarychain.ingest import SignedRun, new_entries

Refused = tuple[int, str]  # (HTTP status, reason)


def register_device(
    session: Session, user: User, public_key: str, *, now: datetime
) -> tuple[Device, bool]:
    """Register ``public_key`` (64 hex digits) as one of ``user``'s devices; the same key
    again is a no-op. A key another user registered is a 409."""
    with committed(session):
        device = chain_db.device_by_key(session, public_key)
        if device is not None:
            if device.user_id != user.id:
                raise Conflict("this device key is registered to another account")
            return device, False
        device = chain_db.add_device(session, user.id, public_key, now)
        audit.record(session, now, user, "device_registered", None, f"device {device.id}",
                     {"public_key": public_key})
        return device, True


def check_run(
    session: Session, contract: Contract, run: SignedRun, *, now: datetime
) -> tuple[str | None, Refused | None]:
    """Verify ``run`` for ``contract`` and keep its new entries with a receipt ``now``.

    Returns the hash of the run's last entry when the whole run verifies, else the
    refusal: 422 for an unknown device, a bad hash or signature, an entry of another
    contract; 409 for a link to an entry the server does not hold, or to one another entry
    already follows (a fork)."""
    device = chain_db.device_by_key(session, run.device_key)
    if device is None or device.user_id != contract.freelancer_id:
        return None, (422, "this device key is not registered to the contract's freelancer "
                           "(sign in again from the tracker to register it)")
    if not run.entries:
        return None, (422, "a signed slot carries at least its own chain entry")
    other = next((e for e in run.entries if e.record.contract_id != contract.id), None)
    if other is not None:
        return None, (422, f"a chain entry of contract {other.record.contract_id} was sent "
                           f"to contract {contract.id}")
    named = {e.hash for e in run.entries} | {e.prev_hash for e in run.entries}
    held = chain_db.held_hashes(session, device.id, named)
    followed = chain_db.followed_links(
        session, device.id, contract.id, {e.prev_hash for e in run.entries if e.hash not in held}
    )
    fresh, broken = new_entries(run.entries, device.public_key, held, followed)
    chain_db.insert_entries(session, device.id, contract.id, fresh, now)
    if broken is not None:
        status = 409 if broken.kind == "link" else 422
        return None, (status, f"chain entry {broken.index + 1} of {len(run.entries)} "
                              f"refused: {broken.detail}")
    return run.entries[-1].hash, None


def keep_entries(session: Session, contract: Contract, run: SignedRun, *,
                 now: datetime) -> int:
    """Entries sent on their own (a deletion, a declared gap): verified and kept, or
    refused whole. Returns how many were new."""
    with committed(session):
        named = {e.hash for e in run.entries}
        device = chain_db.device_by_key(session, run.device_key)
        before = 0 if device is None else len(chain_db.held_hashes(session, device.id, named))
        last, refused = check_run(session, contract, run, now=now)
    if refused is not None:
        raise Conflict(refused[1]) if refused[0] == 409 else Invalid(refused[1])
    assert last is not None
    return len(named) - before
