"""The sync status line: what is held here, what is waiting, what is synced.

One sentence for the timer window's footer and the tray (menu line and tooltip). It
never says "synced" while a slot is still only on this computer: slots in the hold
window are *held* (on purpose, until the time shown), slots past it and not yet on the
server are *waiting*, and the week's slots the server holds are *synced*.
"""

from __future__ import annotations

from datetime import datetime

from ui.formatting import local_time
from ui.view_state import SyncBadge, SyncStatus


def _slots(count: int) -> str:
    return f"{count} slot{'' if count == 1 else 's'}"


def _in(seconds: int) -> str:
    return f"in {seconds // 60 + 1} min" if seconds >= 60 else f"in {seconds} s"


def sync_counts(sync: SyncStatus) -> str:
    """ "2 slots held here until 14:30 · 1 waiting · 14 synced this week"."""
    parts = []
    if sync.held_slots:
        until = f" until {local_time(sync.held_until)}" if sync.held_until else ""
        parts.append(f"{_slots(sync.held_slots)} held here{until}")
    if sync.pending_slots:
        parts.append(f"{sync.pending_slots} waiting")
    parts.append(f"{sync.synced_slots} synced this week")
    return " · ".join(parts)


def _until_next(sync: SyncStatus, now: datetime, lead: str, unplanned: str) -> str:
    """``lead`` and how soon the next attempt is, or ``unplanned`` when none is set."""
    if sync.next_attempt is None:
        return unplanned
    seconds = max(int((sync.next_attempt - now).total_seconds()), 0)
    return f"{lead} {_in(seconds)}"


def _head(sync: SyncStatus, now: datetime) -> str:
    if sync.state is SyncBadge.SIGNED_OUT:
        # the server's reason when it signed us out ("Signed out: session expired")
        return f"{sync.message or 'Not signed in'} — time is kept on this computer"
    if sync.state is SyncBadge.UPLOADING:
        return "Uploading…"
    if sync.state is SyncBadge.OFFLINE:
        return _until_next(sync, now, "Offline — next try", "Offline")
    if sync.state is SyncBadge.ERROR:
        return f"Sync problem: {sync.message}"
    if sync.state is SyncBadge.WAITING:
        return _until_next(sync, now, "Next sync", "Waiting to sync")
    # up to date: all sent that may be sent; "✓" only if nothing is held either
    if sync.held_slots or sync.pending_slots:
        return "Sent all that is due"
    last = f" · last {local_time(sync.last_synced)}" if sync.last_synced else ""
    return f"✓ All synced{last}"


def describe_sync(sync: SyncStatus, now: datetime) -> str:
    """The whole line, e.g. "Offline — next try in 20 s · 1 slot held here until 14:30 ·
    0 synced this week"."""
    head = _head(sync, now)
    if sync.state is SyncBadge.SIGNED_OUT and not (sync.held_slots or sync.pending_slots):
        return head
    return f"{head} · {sync_counts(sync)}"
