"""The running session's time, for the timer window and the tray tooltip (every second)."""

from __future__ import annotations

from datetime import datetime

from ui.formatting import clock_duration, hours_minutes
from ui.view_state import TimerStatus


def session_seconds(status: TimerStatus, now: datetime) -> int:
    """Seconds since tracking started (0 when stopped)."""
    if not status.tracking or status.tracking_since is None:
        return 0
    return max(int((now - status.tracking_since).total_seconds()), 0)


def tray_tooltip(status: TimerStatus, now: datetime) -> str:
    """``Workdiary — Tracking Acme · 0:42:13 · today 3:20 (all contracts)``."""
    today = f"today {hours_minutes(status.today_all_minutes)} (all contracts)"
    if status.alert:
        return f"Workdiary — {status.alert} · {today}"
    if status.idle_pending:
        return f"Workdiary — Idle, waiting for your answer · {today}"
    if status.tracking:
        contract = status.contract
        where = f" {contract.title}" if contract else ""
        running = clock_duration(session_seconds(status, now))
        return f"Workdiary — Tracking{where} · {running} · {today}"
    if not status.signed_in:
        return "Workdiary — Not signed in"
    return f"Workdiary — Stopped · {today}"
