"""The last screenshot and what the freelancer may still do with it: Delete, Blur.

DOMAIN.md (Preview, Delete): each shot is shown when taken, with Delete — the slot's
time goes with it — and Blur where the contract allows it, while the slot is in its
hold window. The session deletes only finished slots, so an action asked for while the
shot's slot is still tracked is queued and carried out as soon as that slot is stored.
Blur re-encodes the stored picture on the store's worker (never on the GUI thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from tracker import events as ev
from tracker.session import SessionError, TrackingSession
from tracker.slots import slot_end
from tracker.store import SlotNotFound, Store, StoreError
from ui.background import BackgroundTasks
from ui.shot_pictures import read_for_display
from ui.view_state import LastShotView

log = logging.getLogger(__name__)

DELETE, BLUR = "delete", "blur"
Key = tuple[int, datetime]


class LastShot(QObject):
    """Remembers the last ShotTaken and carries out Delete / Blur on it.

    Signals: ``changed()`` when what the preview shows changed (a refresh is due),
    ``deleted(contract_id, slot_start)`` once a Delete was carried out.
    """

    changed = Signal()
    deleted = Signal(int, object)

    def __init__(
        self,
        session: TrackingSession,
        store: Store,
        tasks: BackgroundTasks,
        hold: Callable[[], timedelta],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._store = store
        self._tasks = tasks
        self._hold = hold
        self._shot: ev.ShotTaken | None = None
        self._queued: dict[Key, str] = {}
        self._blurred: set[Key] = set()
        self._problem = ""
        # the thumbnail shown, decrypted once per file (the view is asked every second)
        self._thumbnail: tuple[Path, bytes, str] | None = None
        session.subscribe(self._on_session_event)

    # -- what the preview shows ------------------------------------------------------
    def view(self, blur_allowed: Callable[[int], bool]) -> LastShotView | None:
        shot = self._shot
        if shot is None:
            return None
        key = (shot.contract_id, shot.slot_start)
        status = self._session.status()
        open_now = status.contract_id == shot.contract_id and status.slot_start == shot.slot_start
        stored = self._store.get_slot(*key)
        in_memory = any((s.contract_id, s.slot_start) == key
                        for s in self._session.unsaved_slots())
        if stored is None and not open_now and not in_memory:
            return None  # deleted (or its slot held no minute)
        if stored is not None and (stored.deleted_at is not None or stored.shot is None):
            return None
        sent = stored is not None and (stored.server_may_hold or stored.sync_state == "synced")
        held_by_idle = (stored is not None and stored.idle_hold) or status.idle_prompt is not None
        thumbnail = stored.shot.thumbnail_path if stored is not None and stored.shot else (
            shot.thumbnail_path)
        picture, unreadable = self._thumbnail_picture(shot.contract_id, shot.slot_start, thumbnail)
        return LastShotView(
            contract_id=shot.contract_id, slot_start=shot.slot_start, taken_at=shot.taken_at,
            thumbnail_path=thumbnail, thumbnail=picture, thumbnail_problem=unreadable,
            in_progress=open_now or stored is None,
            upload_after=None if held_by_idle else slot_end(shot.slot_start) + self._hold(),
            sent=sent, blur_allowed=blur_allowed(shot.contract_id),
            blurred=key in self._blurred, queued=self._queued.get(key, ""),
            problem=self._problem,
        )

    def _thumbnail_picture(self, contract_id: int, slot_start: datetime,
                           path: Path) -> tuple[bytes, str]:
        cached = self._thumbnail
        if cached is None or cached[0] != path:
            picture, unreadable = read_for_display(self._store, contract_id, slot_start, path,
                                                   "thumbnail")
            cached = self._thumbnail = (path, picture, unreadable)
        return cached[1], cached[2]

    # -- intents -----------------------------------------------------------------------
    def delete(self, contract_id: int, slot_start: datetime) -> None:
        self._act((contract_id, slot_start), DELETE)

    def blur(self, contract_id: int, slot_start: datetime) -> None:
        self._act((contract_id, slot_start), BLUR)

    def _act(self, key: Key, action: str) -> None:
        self._problem = ""
        if self._store.get_slot(*key) is None:  # still tracked (or kept in memory)
            self._queued[key] = action
            self.changed.emit()
            return
        self._carry_out(key, action)

    def _carry_out(self, key: Key, action: str) -> None:
        if action == DELETE:
            try:
                self._session.delete_slot(*key)
            except (SessionError, SlotNotFound, StoreError) as error:
                self._fail(f"Not deleted: {error}")
                return
            self._queued.pop(key, None)
            self.deleted.emit(*key)
            self.changed.emit()
            return
        stored = self._store.get_slot(*key)
        if stored is None or stored.shot is None:
            self._fail("Not blurred: the screenshot is gone")
            return
        taken_at = stored.shot.taken_at

        def work() -> None:
            # Pillow and the encoder load only when a shot is blurred: the tray app does
            # not carry them while it tracks (issue 13, lean app)
            from tracker.capture import blur_stored_shot

            # decrypted in memory here, sealed again by the store: no plain file on the way
            picture = self._store.read_shot(stored)
            self._store.replace_shot(key[0], key[1], blur_stored_shot(picture, taken_at))

        self._tasks.submit("blur shot", work, on_done=lambda _none: self._on_blurred(key),
                           on_error=lambda error: self._fail(f"Not blurred: {error}"))

    def _on_blurred(self, key: Key) -> None:
        self._queued.pop(key, None)
        self._blurred.add(key)
        self.changed.emit()

    def _fail(self, problem: str) -> None:
        log.warning("%s", problem)
        self._problem = problem
        self.changed.emit()

    # -- events ------------------------------------------------------------------------
    def _on_session_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.ShotTaken):
            self._shot = event
            self._problem = ""
            self.changed.emit()
        elif isinstance(event, ev.SlotClosed):
            key = (event.contract_id, event.slot_start)
            action = self._queued.pop(key, "")
            if action:
                # not inside the session's own event delivery
                QTimer.singleShot(0, lambda: self._carry_out(key, action))
