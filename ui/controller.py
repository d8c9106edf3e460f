"""Glue between the widgets and the tracker: forwards intents, turns events into state.

No business rule lives here: the session decides what is logged, the store what is
kept, the sync client what is sent. The controller only calls them on the right
thread and builds the snapshots the windows show.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QObject, Signal

from tracker import events as ev
from tracker.clock import Clock
from tracker.consent import CollectionTerms
from tracker.contract import Contract
from tracker.model import MinuteActivity
from tracker.session import SessionError, TrackingSession
from tracker.slots import SLOT_MINUTES, slot_end
from tracker.store import Slot, SlotNotFound, Store
from ui.activity_marks import minute_marks
from ui.background import BackgroundTasks
from ui.formatting import hours_minutes_long, plural
from ui.last_shot import LastShot
from ui.ports import Account, AccountPort, SignInError
from ui.sent_window import SentSlot
from ui.settings import AppSettings, SettingsFile
from ui.view_state import (
    DiaryDay,
    DiarySlot,
    SlotSyncState,
    SyncBadge,
    SyncStatus,
    TimerStatus,
)

log = logging.getLogger(__name__)


class AppController(QObject):
    """Holds the session, store and account; every call comes from the GUI thread.

    Calls into the account port that may block (sign-in, contracts, starting and
    stopping the uploader) run on the network worker (``network``), one at a time so
    they never race each other, and never on the store's worker (``tasks``) where the
    session's captures and slot writes run.

    Signals: ``status_changed(TimerStatus)``, ``diary_changed()``,
    ``idle_prompt_requested(IdlePromptRequired)``, ``idle_prompt_closed()``,
    ``notice_posted(title, text, critical)``, ``sign_in_failed(message)``,
    ``signed_in(Account)``, ``signed_out()``, ``ticked(now)`` after every tick,
    ``consent_required(Contract)`` when a start waits for the freelancer's consent.
    """

    status_changed = Signal(object)
    consent_required = Signal(object)
    ticked = Signal(object)
    diary_changed = Signal()
    idle_prompt_requested = Signal(object)
    idle_prompt_closed = Signal()
    notice_posted = Signal(str, str, bool)
    sign_in_failed = Signal(str)
    signed_in = Signal(object)
    signed_out = Signal()
    # the uploader's thread → GUI thread
    _sync_status_arrived = Signal(object)

    def __init__(
        self,
        *,
        clock: Clock,
        session: TrackingSession,
        store: Store,
        tasks: BackgroundTasks,
        account: AccountPort | None,
        settings_file: SettingsFile,
        settings: AppSettings,
        network: BackgroundTasks | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self.session = session
        self.store = store
        self.tasks = tasks
        self.network = network or BackgroundTasks(self, thread_name="workdiary-network")
        self.account_port = account
        self.settings_file = settings_file
        self.settings = settings
        self.account: Account | None = None
        self.sync = SyncStatus()
        self.capture_problem = ""
        self.tick_problem = ""
        self.selected_contract_id = settings.last_contract_id
        self.status = TimerStatus(server_url=settings.server_url, account_email=settings.last_email)
        self._dirty = True
        self._last_minute: datetime | None = None
        self._memos: dict[int, str] = {}  # the last memo per contract, as remembered
        self._start_after_consent: tuple[int, str] | None = None
        # ``--accept-terms``: the freelancer accepted on the command line (scripted runs)
        self.accept_terms_without_asking = False
        self._sync_status_arrived.connect(self._on_uploader_status)
        session.subscribe(self._on_session_event)
        self.last_shot = LastShot(session, store, tasks,
                                  lambda: timedelta(minutes=self.settings.hold_window_minutes),
                                  self)
        self.last_shot.changed.connect(self._on_last_shot_changed)

    # -- the heartbeat -----------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> None:
        """Drive the session one step and refresh what the windows show when it changed."""
        now = self.clock.now() if now is None else now
        try:
            self.session.tick(now)
            minute = now.replace(second=0, microsecond=0)
            if self._dirty or minute != self._last_minute:
                self._last_minute = minute
                self.refresh(now)
        except Exception as error:  # a failed tick must never stop tracking unseen
            self._on_tick_failed(error)
        else:
            if self.tick_problem:
                self.tick_problem = ""
                self._dirty = True
        self.ticked.emit(now)  # the running clocks (session time, upload countdown)

    def _on_tick_failed(self, error: Exception) -> None:
        log.exception("tick failed")
        problem = f"Tracking problem: {error}"
        if problem != self.tick_problem:
            self.tick_problem = problem
            self._notify("Tracking problem", f"{error}. Workdiary keeps trying every second.",
                         True)
        self._dirty = True
        self.status = replace(self.status, alert=self.tick_problem)
        self.status_changed.emit(self.status)

    def refresh(self, now: datetime | None = None) -> TimerStatus:
        now = self.clock.now() if now is None else now
        self._dirty = False
        self.status = self._build_status(now)
        self.status_changed.emit(self.status)
        return self.status

    def _build_status(self, now: datetime) -> TimerStatus:
        contracts = tuple(self.store.contracts()) if self.account is not None else ()
        session_status = self.session.status()
        contract_id = session_status.contract_id
        if contract_id is None:
            ids = [c.id for c in contracts]
            contract_id = self.selected_contract_id if self.selected_contract_id in ids else (
                ids[0] if ids else None)
        contract = next((c for c in contracts if c.id == contract_id), None)
        unsaved = self.session.unsaved_slots()
        today = week = 0
        cap = None
        if contract is not None:
            cap_status = self.session.cap_status(contract, now)
            week, cap = cap_status.used_minutes, cap_status.cap_minutes
            local_today = now.astimezone().date()
            today = sum(s.minute_count for s in self._stored_day(local_today, contract.id))
            today += sum(s.minute_count for s in unsaved if s.contract_id == contract.id
                         and s.slot_start.astimezone().date() == local_today)
            open_start = session_status.slot_start
            if open_start is not None and open_start.astimezone().date() == local_today:
                today += session_status.slot_minutes
        today_all = self._today_all_minutes(now) if self.account is not None else 0
        if session_status.memo is not None:
            memo = session_status.memo
        else:  # stopped: the contract's last memo, kept across restarts
            memo = self.last_memo(contract_id)
        return TimerStatus(
            signed_in=self.account is not None,
            account_email=self.account.email if self.account else self.settings.last_email,
            server_url=self.account.server_url if self.account else self.settings.server_url,
            contracts=contracts,
            contract_id=contract_id,
            tracking=session_status.tracking,
            memo=session_status.next_memo or memo or "",
            tracking_since=self.status.tracking_since if session_status.tracking else None,
            today_minutes=today,
            week_minutes=week,
            cap_minutes=cap,
            idle_pending=session_status.idle_prompt is not None,
            capture_problem=self.capture_problem,
            alert=self.tick_problem or _store_alert(self.session),
            sync=self.sync,
            today_all_minutes=today_all,
            slot_activity=_minute_marks(session_status.slot_activity),
            last_shot=self.last_shot.view(self._blur_allowed),
        )

    def _today_all_minutes(self, now: datetime) -> int:
        """Today (local) across every contract: stored, kept in memory, in progress."""
        local_today = now.astimezone().date()
        local_zone = now.astimezone().tzinfo
        assert local_zone is not None
        total = sum(s.minute_count for s in self.store.diary_day(local_today, local_zone))
        total += sum(s.minute_count for s in self.session.unsaved_slots()
                     if s.slot_start.astimezone().date() == local_today)
        session_status = self.session.status()
        if (session_status.slot_start is not None
                and session_status.slot_start.astimezone().date() == local_today):
            total += session_status.slot_minutes
        return total

    def _blur_allowed(self, contract_id: int) -> bool:
        contract = self.store.contract(contract_id)
        return contract is not None and contract.blur_shots

    def _on_last_shot_changed(self) -> None:
        self._dirty = True
        self.refresh()
        self.diary_changed.emit()

    def _stored_day(self, day: date, contract_id: int) -> list[Slot]:
        # the user's zone as the OS says now (it may change while the app runs)
        local_zone = self.clock.now().astimezone().tzinfo
        assert local_zone is not None
        return self.store.diary_day(day, local_zone, contract_id)

    # -- intents from the windows and the tray -----------------------------------------------
    def current_contract(self) -> Contract | None:
        return self.status.contract

    def select_contract(self, contract_id: int) -> None:
        self.selected_contract_id = contract_id
        self._save_settings(replace(self.settings, last_contract_id=contract_id))
        self.refresh()
        self.diary_changed.emit()

    def start(self, contract_id: int | None = None, memo: str | None = None) -> None:
        if contract_id is not None:
            self.selected_contract_id = contract_id
        contract = next(
            (c for c in self.store.contracts() if c.id == (contract_id or self.status.contract_id)),
            None,
        )
        if contract is None:
            self._notify("Cannot start", "Choose a contract first.", True)
            return
        memo = self.last_memo(contract.id) if memo is None else memo
        if self.needs_consent(contract):
            if not self.accept_terms_without_asking:
                self._start_after_consent = (contract.id, memo)
                self.consent_required.emit(contract)
                return
            self._record_consent(contract)
        try:
            self.session.start(contract, memo)
        except SessionError as error:
            self._notify("Cannot start", str(error), True)
        else:
            self._remember_memo(contract.id, memo)
        self.refresh()

    def needs_consent(self, contract: Contract) -> bool:
        """True until the freelancer accepted this contract's terms as they are now."""
        return self.store.consented_terms(contract.id) != CollectionTerms.of(contract).as_json()

    def accept_consent(self, contract_id: int) -> None:
        """The freelancer accepted: kept in the store, then the start asked for goes on."""
        contract = self.store.contract(contract_id)
        if contract is None:
            return
        self._record_consent(contract)
        pending, self._start_after_consent = self._start_after_consent, None
        if pending is not None and pending[0] == contract_id:
            self.start(contract_id, pending[1])

    def decline_consent(self) -> None:
        self._start_after_consent = None

    def _record_consent(self, contract: Contract) -> None:
        # on the GUI thread: once per contract, and the start that follows needs it stored
        self.store.record_consent(contract.id, CollectionTerms.of(contract).as_json(),
                                  self.clock.now())

    def stop(self) -> None:
        self.session.stop()
        self.refresh()
        self.diary_changed.emit()

    def toggle(self) -> None:
        if self.session.tracking:
            self.stop()
        else:
            self.start()

    def set_memo(self, memo: str) -> None:
        self.session.set_memo(memo)
        contract_id = self.session.status().contract_id or self.status.contract_id
        if contract_id is not None:
            self._remember_memo(contract_id, memo)
        self.status = replace(self.status, memo=memo)
        self.refresh()

    def last_memo(self, contract_id: int | None) -> str:
        """The memo last used on ``contract_id`` (this run, else the store's)."""
        if contract_id is None:
            return ""
        if contract_id not in self._memos:
            self._memos[contract_id] = self.store.last_memo(contract_id) or ""
        return self._memos[contract_id]

    def _remember_memo(self, contract_id: int, memo: str) -> None:
        self._memos[contract_id] = memo
        now = self.clock.now()
        # written on the store's worker, behind the slot writes, never on the GUI thread
        self.tasks.submit("remember memo", lambda: self.store.remember_memo(contract_id, memo, now),
                          on_error=lambda error: log.warning("memo not kept: %s", error))

    def resolve_idle(self, keep: bool) -> None:
        try:
            self.session.resolve_idle(keep)
        except SessionError as error:  # tracking stopped meanwhile: already discarded
            log.info("idle answer ignored: %s", error)
        self.refresh()
        self.diary_changed.emit()

    def sync_now(self) -> None:
        """The user's "Sync now": the uploader wakes at once; while offline its first
        request is the health probe, and the queue follows as soon as it answers."""
        if self.account_port is not None:
            self.account_port.nudge()

    def delete_slot(self, slot: DiarySlot) -> None:
        try:
            self.session.delete_slot(slot.contract_id, slot.slot_start)
        except (SessionError, SlotNotFound) as error:
            self._notify("Cannot delete the slot", str(error), True)
            return
        if self.account_port is not None:
            self.account_port.nudge()
        self.refresh()
        self.diary_changed.emit()

    def add_manual_time(self, contract_id: int, start: datetime, end: datetime, memo: str) -> None:
        contract = self.store.contract(contract_id)
        if contract is None:
            return
        try:
            self.session.add_manual_time(contract, start, end, memo)
        except SessionError as error:
            self._notify("Manual time not added", str(error), True)
            return
        self.refresh()
        self.diary_changed.emit()

    def sent_slots(self, contract_id: int, days: int = 7) -> list[SentSlot]:
        """The slots of ``contract_id`` uploaded in the last ``days`` days."""
        now = self.clock.now()
        return [SentSlot.of(slot) for slot in self.store.slots_between(
                    now - timedelta(days=days), now, contract_id)
                if slot.sync_state == "synced"]

    def check_manual_time(self, contract_id: int, start: datetime, end: datetime,
                          _memo: str = "") -> str:
        """Why adding this manual time would be refused ("" if it would not)."""
        contract = self.store.contract(contract_id)
        if contract is None:
            return "this contract is not known here any more"
        try:
            self.session.check_manual_time(contract, start, end)
        except SessionError as error:
            return str(error)
        return ""

    def apply_settings(self, settings: AppSettings) -> None:
        """Settings apply at once: the idle threshold to the session now, the hold window
        at the uploader's next pass (it reads the setting every pass; nudged here)."""
        self.session.set_idle_threshold(timedelta(minutes=settings.idle_threshold_minutes))
        self._save_settings(settings)
        if self.account_port is not None and self.account is not None:
            self.account_port.nudge()
        self.refresh()
        self.diary_changed.emit()  # held/pending marks follow the new hold window

    def _save_settings(self, settings: AppSettings) -> None:
        self.settings = settings
        self.settings_file.save(settings)

    def diary_day(self, day_start: datetime, contract_id: int | None = None) -> DiaryDay:
        """The local diary of ``day_start``'s local day, with the slot in progress."""
        now = self.clock.now()
        contract_id = self.status.contract_id if contract_id is None else contract_id
        contract = None if contract_id is None else self.store.contract(contract_id)
        day = day_start.astimezone().date()
        slots = [] if contract_id is None else self._stored_day(day, contract_id)
        hold = timedelta(minutes=self.settings.hold_window_minutes)
        shown = [_diary_slot(slot, now, hold) for slot in slots]
        fault = self.session.write_fault
        shown += [
            replace(_diary_slot(slot, now, hold), sync_state=SlotSyncState.HELD, unsaved=True,
                    reason=f"kept in memory: {fault.cause if fault else 'being saved'}")
            for slot in self.session.unsaved_slots()
            if slot.contract_id == contract_id and slot.slot_start.astimezone().date() == day
        ]
        shown.sort(key=lambda shown_slot: shown_slot.slot_start)
        session_status = self.session.status()
        open_start = session_status.slot_start
        if (
            open_start is not None
            and contract_id is not None
            and session_status.contract_id == contract_id
            and open_start.astimezone().date() == day
            and session_status.slot_minutes > 0
        ):
            activity = session_status.slot_activity
            shot = session_status.slot_shot
            shown.append(DiarySlot(
                contract_id=contract_id, slot_start=open_start,
                minutes=session_status.slot_minutes,
                active_minutes=sum(1 for minute in activity if minute.active),
                memo=session_status.memo or "", sync_state=SlotSyncState.HELD, in_progress=True,
                thumbnail_path=None if shot is None else shot.thumbnail_path,
                shot_path=None if shot is None else shot.path,
                minute_marks=minute_marks(activity),
            ))
        local_midnight = datetime.combine(day, time()).astimezone()
        return DiaryDay(local_midnight, contract, tuple(shown))

    # -- account -----------------------------------------------------------------------
    def restore_account(self) -> None:
        port = self.account_port
        if port is None:
            return
        def work() -> Account | None:
            account = port.restore()
            if account is not None:
                port.start_uploading(self._sync_status_arrived.emit)
            return account

        self.network.submit("restore account", work, on_done=self._on_account_restored,
                          on_error=lambda error: log.warning("no stored sign-in: %s", error))

    def sign_in(self, server_url: str, email: str, password: str) -> None:
        port = self.account_port
        if port is None:
            self.sign_in_failed.emit("This build has no sync client; sign-in is unavailable.")
            return

        def work() -> tuple[Account, list[Contract]]:
            account = port.sign_in(server_url, email, password)
            contracts = port.refresh_contracts(self.clock.now())
            port.start_uploading(self._sync_status_arrived.emit)
            return account, contracts

        self.network.submit("sign in", work, on_done=self._on_signed_in,
                          on_error=self._on_sign_in_error)

    def sign_out(self) -> None:
        if self.session.tracking:
            self.stop()
        port = self.account_port
        self.account = None
        self.sync = SyncStatus()
        if port is not None:
            def work() -> None:
                port.stop_uploading()
                port.sign_out()
            self.network.submit("sign out", work,
                              on_error=lambda error: log.warning("sign-out: %s", error))
        self.refresh()
        self.signed_out.emit()

    def _on_account_restored(self, account: Account | None) -> None:
        if account is None:
            self.refresh()
            return
        self._become_signed_in(account)
        port = self.account_port
        assert port is not None
        # offline start is fine: the store keeps the last contract list
        self.network.submit("refresh contracts", lambda: port.refresh_contracts(self.clock.now()),
                          on_done=self._on_contracts_refreshed,
                          on_error=lambda error: log.warning("contracts not refreshed: %s", error))

    def _on_contracts_refreshed(self, _contracts: object) -> None:
        self.refresh()

    def _on_signed_in(self, result: tuple[Account, list[Contract]]) -> None:
        account, _contracts = result
        self._save_settings(replace(self.settings, server_url=account.server_url,
                                    last_email=account.email))
        self._become_signed_in(account)

    def _become_signed_in(self, account: Account) -> None:
        self.account = account
        self.refresh()
        self.signed_in.emit(account)
        self.diary_changed.emit()

    def _on_sign_in_error(self, error: BaseException) -> None:
        message = str(error) if isinstance(error, SignInError) else (
            f"Sign-in failed: {error}")
        self.sign_in_failed.emit(message)

    def _on_uploader_status(self, status: SyncStatus) -> None:
        previous, self.sync = self.sync, status
        if status.state is SyncBadge.ERROR and previous.state is not SyncBadge.ERROR:
            self._notify("Sync problem", status.message, True)
        elif (status.state is SyncBadge.SIGNED_OUT and status.message
              and previous.message != status.message):
            # the server signed us out (e.g. "Signed out: session expired"): say so once
            self._notify(status.message, "Sign in again to sync; tracked time is kept on "
                         "this computer until then.", True)
        self.refresh()
        if status.last_synced != previous.last_synced:
            self.diary_changed.emit()

    # -- events from the session (GUI thread: the session runs on it) -------------------------
    def _on_session_event(self, event: ev.Event) -> None:
        self._dirty = True
        if isinstance(event, ev.TrackingStarted | ev.TrackingStopped | ev.SlotClosed):
            log.info("%s", event)
        if isinstance(event, ev.TrackingStarted):
            self.status = replace(self.status, tracking_since=event.at)
        elif isinstance(event, ev.TrackingStopped):
            self.idle_prompt_closed.emit()
            if event.reason == "cap":
                self._notify(
                    "Weekly cap reached",
                    "Tracking stopped: this contract's weekly limit is used up.", True)
            elif event.reason != "user":
                self._notify("Tracking stopped", f"Reason: {event.reason}", True)
            self.diary_changed.emit()
        elif isinstance(event, ev.IdlePromptRequired):
            self.idle_prompt_requested.emit(event)
        elif isinstance(event, ev.IdleResolved):
            self.idle_prompt_closed.emit()
        elif isinstance(event, ev.CaptureUnavailable):
            message = f"Screenshot not taken: {event.reason}"
            if message != self.capture_problem:
                self._notify("Screen capture unavailable", event.reason, True)
            self.capture_problem = message
        elif isinstance(event, ev.ShotTaken):
            self.capture_problem = ""
        else:
            self._notify_about(event)
        # IdleResolved: discarded minutes may have shortened slots the server holds
        if isinstance(event, ev.SlotClosed | ev.SlotDeleted | ev.ManualTimeAdded | ev.IdleResolved):
            if self.account_port is not None and self.account is not None:
                self.account_port.nudge()
            self.diary_changed.emit()

    def _notify_about(self, event: ev.Event) -> None:
        """Events that only tell the user something. The persistent store alert itself
        is built from the session's state in _build_status."""
        if isinstance(event, ev.CapWarning):
            self._notify(
                f"{hours_minutes_long(event.minutes_left)} left this week",
                f"You have used {hours_minutes_long(event.used_minutes)} of the "
                f"{hours_minutes_long(event.cap_minutes)} weekly cap. Tracking stops at the cap.",
                event.minutes_left <= 10)
        elif isinstance(event, ev.SlotDropped):
            self._notify("Slot not saved", event.reason, True)
        elif isinstance(event, ev.ClockJumped):
            self._notify(
                "System clock changed",
                "The time between the two clock readings was not logged.", False)
        elif isinstance(event, ev.StoreWriteFailed):
            self._notify(
                f"Cannot save tracked time: {event.cause}",
                f"{event.unsaved_minutes} min are kept in memory and saved as soon as the "
                f"disk can be written; Workdiary retries every minute. ({event.detail})", True)
        elif isinstance(event, ev.StoreWriteRecovered):
            self._notify("Tracked time saved",
                         f"Saving works again: {plural(event.saved_slots, 'slot')} kept in memory "
                         "now saved.", False)
            self.diary_changed.emit()

    def _notify(self, title: str, text: str, critical: bool) -> None:
        log.log(logging.WARNING if critical else logging.INFO, "%s: %s", title, text)
        self.notice_posted.emit(title, text, critical)

    def shutdown(self) -> None:
        """Stop tracking (writes the slot in progress) and the uploader; called at quit."""
        self.session.stop()
        port = self.account_port
        if port is not None:
            # queued behind any sign-in still running; the shutdown below waits for it
            self.network.submit("stop uploading", port.stop_uploading,
                                on_error=lambda error: log.warning("uploader stop: %s", error))
        self.network.shutdown()


def _minute_marks(minutes: tuple[MinuteActivity, ...]) -> tuple[bool | None, ...]:
    """The slot in progress minute by minute for the meter: None not tracked (yet)."""
    active = {minute.index: minute.active for minute in minutes}
    return tuple(active.get(index) for index in range(SLOT_MINUTES))


def _diary_slot(slot: Slot, now: datetime, hold: timedelta) -> DiarySlot:
    if slot.sync_state == "synced":
        state = SlotSyncState.SYNCED
    elif slot.sync_state == "rejected":
        state = SlotSyncState.REJECTED
    elif slot.idle_hold or slot_end(slot.slot_start) + hold > now:
        state = SlotSyncState.HELD
    else:
        state = SlotSyncState.PENDING
    shot = slot.shot
    return DiarySlot(
        contract_id=slot.contract_id,
        slot_start=slot.slot_start,
        minutes=slot.minute_count,
        active_minutes=slot.active_minutes,
        memo=slot.memo,
        sync_state=state,
        manual=slot.manual,
        thumbnail_path=None if shot is None else shot.thumbnail_path,
        shot_path=None if shot is None else shot.path,
        capture_unavailable=slot.shot_state == "unavailable",
        reason=slot.sync_reason or slot.capture_note or "",
        clock_jump=slot.clock_jump,
        minute_marks=minute_marks(slot.minutes),
        capture_source=slot.capture_source,
        activity_source=slot.activity_source,
    )


def _store_alert(session: TrackingSession) -> str:
    """The persistent alert while finished slots wait in memory for the store."""
    fault = session.write_fault
    if fault is None:
        return ""
    minutes = sum(slot.minute_count for slot in session.unsaved_slots())
    return (f"Not saved: {fault.cause} — {minutes} min kept in memory, "
            "retrying every minute")
