"""What the app tells the freelancer outside its windows, and the buttons on it.

- the idle prompt, with **Keep** / **Discard** (the dialog opens too; whichever is
  answered first wins, and the other closes);
- "screenshot taken" (unless the freelancer turned it off in Settings), saying when it
  is uploaded, with **Delete** (DOMAIN.md, Preview) — carried out by
  :class:`ui.last_shot.LastShot`, as the timer window's Delete is;
- every notice of the controller (cap warnings, cap reached, sync problems …);
- "offline" / "back online" when the uploader loses or finds the server.

With a notification server on the session bus these go there. Without one they go to
the tray balloons (or the timer window's notice line), which carry no buttons.
"""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QObject, Signal

from tracker import events as ev
from tracker.slots import slot_end
from ui.controller import AppController
from ui.formatting import hours_minutes_long, local_time
from ui.notifications import DesktopNotifications, Notice
from ui.shell import Shell
from ui.view_state import SyncBadge, TimerStatus

IDLE_TAG, SHOT_TAG, SYNC_TAG, NOTICE_TAG = "idle", "shot", "sync", "notice"
KEEP, DISCARD, DELETE = "keep", "discard", "delete"
SHOT_NOTICE_MS = 8000


class DesktopNotices(QObject):
    """Routes the app's notices to the desktop (or the tray) and the answers back.

    Signals: ``shot_deleted(contract_id, slot_start)`` once a Delete was carried out.
    """

    shot_deleted = Signal(int, object)
    _session_event = Signal(object)

    def __init__(
        self, controller: AppController, shell: Shell, desktop: DesktopNotifications | None
    ) -> None:
        super().__init__()
        self.controller = controller
        self.shell = shell
        self.desktop = desktop
        self._last_shot: ev.ShotTaken | None = None
        controller.last_shot.deleted.connect(self.shot_deleted)
        self._sync_state = controller.status.sync.state
        shell.notice_router = self._route_controller_notice
        controller.status_changed.connect(self._on_controller_status_changed)
        controller.idle_prompt_requested.connect(self._on_controller_idle_prompt_requested)
        # session events come on the ticking thread: hop to ours by a queued signal
        self._session_event.connect(self._on_session_event)
        self._unsubscribe = controller.session.subscribe(self._session_event.emit)
        if desktop is not None:
            desktop.action_invoked.connect(self._on_desktop_action_invoked)
            desktop.failed.connect(self._on_desktop_failed)

    def close(self) -> None:
        self._unsubscribe()
        if self.desktop is not None:
            self.desktop.close()
            self.desktop = None

    # -- showing -----------------------------------------------------------------------
    def show(self, notice: Notice) -> None:
        if self.desktop is not None:
            self.desktop.show(notice)
        else:
            self.shell.show_notice(notice.title, notice.body, notice.urgent)

    def _route_controller_notice(self, title: str, text: str, critical: bool) -> bool:
        """The Shell asks first: True when the desktop took the notice."""
        if self.desktop is None:
            return False
        self.desktop.show(Notice(NOTICE_TAG, title, text, urgent=critical))
        return True

    def _on_controller_idle_prompt_requested(self, event: ev.IdlePromptRequired) -> None:
        since = local_time(event.idle_since)
        self.show(Notice(
            IDLE_TAG, f"Away for {hours_minutes_long(event.idle_minutes)}",
            f"No keyboard or mouse since {since}. Keep that time, or discard it?",
            actions=((KEEP, "Keep"), (DISCARD, "Discard")), urgent=True))

    def _on_controller_status_changed(self, status: TimerStatus) -> None:
        before, self._sync_state = self._sync_state, status.sync.state
        if status.sync.state is SyncBadge.OFFLINE and before is not SyncBadge.OFFLINE:
            self.show(Notice(SYNC_TAG, "Offline",
                             "The server cannot be reached. Tracking goes on; slots are "
                             "kept here and sent when it is back."))
        elif before is SyncBadge.OFFLINE and status.sync.state in (
                SyncBadge.UP_TO_DATE, SyncBadge.WAITING, SyncBadge.UPLOADING):
            self.show(Notice(SYNC_TAG, "Back online", "Slots kept here are being sent."))

    def _on_session_event(self, event: object) -> None:
        if isinstance(event, ev.ShotTaken) and self.controller.settings.shot_notices:
            self._last_shot = event
            self.show(Notice(SHOT_TAG, "Screenshot taken", shot_notice_text(
                event, timedelta(minutes=self.controller.settings.hold_window_minutes)),
                             actions=((DELETE, "Delete"),), expire_ms=SHOT_NOTICE_MS))

    # -- answers -----------------------------------------------------------------------
    def _on_desktop_action_invoked(self, tag: str, action_key: str) -> None:
        if tag == IDLE_TAG and action_key in (KEEP, DISCARD):
            if self.controller.status.idle_pending:
                self.controller.resolve_idle(action_key == KEEP)
        elif tag == SHOT_TAG and action_key == DELETE and self._last_shot is not None:
            shot, self._last_shot = self._last_shot, None
            # the same path as the timer window's Delete: queued while the slot is tracked
            self.controller.last_shot.delete(shot.contract_id, shot.slot_start)

    def _on_desktop_failed(self, reason: str) -> None:
        # the server went away: the rest goes to the tray
        if self.desktop is not None:
            self.desktop.close()
            self.desktop = None


def shot_notice_text(shot: ev.ShotTaken, hold: timedelta) -> str:
    """``At 09:04. Uploaded after 09:20 — Delete removes it and this slot's time.``"""
    upload_after = slot_end(shot.slot_start) + hold
    return (f"At {local_time(shot.taken_at)}. Uploaded after {local_time(upload_after)} — "
            "Delete removes it and this slot's time.")
