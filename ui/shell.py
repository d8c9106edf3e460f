"""Wires the controller to the tray, the windows and the dialogs (all on the GUI thread)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QInputDialog,
    QVBoxLayout,
    QWidget,
)

from tracker import events as ev
from tracker.cap import WEEK, week_start
from tracker.contract import Contract
from ui import autostart
from ui.confirmations import Confirm, add_window_shortcuts, ask, stop_question
from ui.controller import AppController
from ui.lock_banner import LockBanner, current_warning, warning_text
from ui.paths import xdg_autostart_dir
from ui.sent_window import SentWindow
from ui.session_clock import tray_tooltip
from ui.settings import AppSettings
from ui.ticker import SecondTicker
from ui.timer_window import TimerWindow
from ui.timesheet import TimesheetWeek, build_week
from ui.tray import TrayMenu
from ui.tray_watch import TrayHostWatch
from ui.view_state import TimerStatus
from ui.window_chrome import FallbackBar

if TYPE_CHECKING:  # the windows and dialogs shown on demand are imported then (lean start)
    from ui.consent_dialog import ConsentDialog
    from ui.diary_window import DiaryWindow
    from ui.idle_dialog import IdlePromptDialog
    from ui.settings_dialog import SettingsDialog
    from ui.timesheet_window import TimesheetWindow

log = logging.getLogger(__name__)


class Shell(QObject):
    """The app's visible parts. Without a system tray the timer window is the main
    window: it carries a bar with Quit, and closing it quits. A tray host that appears
    later (a panel started after us, or restarted) gets the icon then, whenever that is.

    Signals: ``quit_requested()``, ``notice_shown(title, text)``.
    """

    quit_requested = Signal()
    notice_shown = Signal(str, str)

    def __init__(
        self,
        controller: AppController,
        ticker: SecondTicker,
        data_dir: Path,
        use_tray: bool | None = None,
        autostart_dir: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.ticker = ticker
        self.data_dir = data_dir
        self.autostart_dir = autostart_dir or xdg_autostart_dir()
        self.timer_window = TimerWindow()
        # built when first shown (their modules imported then): the tray app tracks all
        # day without them (issue 13, lean app)
        self._diary_window: DiaryWindow | None = None
        self._diary_place: tuple[QPoint, QSize] | None = None  # where the closed one was
        self._timesheet_window: TimesheetWindow | None = None
        self.idle_dialog: IdlePromptDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.tray: TrayMenu | None = None
        # asked first for each controller notice; True: shown elsewhere (ui.desktop_notices)
        self.notice_router: Callable[[str, str, bool], bool] | None = None
        self._want_tray = use_tray
        self.tray_watch = TrayHostWatch(parent=self)
        self.tray_watch.appeared.connect(self._on_tray_watch_appeared)
        self.tray_watch.vanished.connect(self._on_tray_watch_vanished)
        self.consent_dialog: ConsentDialog | None = None
        self.sent_window: SentWindow | None = None
        # asked before quit / sign out stop tracking; replaceable so tests need no modal loop
        self.confirm: Confirm = ask
        self._add_window_parts()
        ticker.ticked.connect(self._on_ticker_ticked)
        self._connect_controller()
        self._connect_windows()
        add_window_shortcuts(self.timer_window, self.request_quit)

    @property
    def diary_window(self) -> DiaryWindow:
        if self._diary_window is None:
            from ui.diary_window import DiaryWindow

            diary = DiaryWindow(self.controller.store)
            diary.day_requested.connect(self._on_diary_day_requested)
            diary.week_requested.connect(self.show_timesheet)
            diary.delete_requested.connect(self.controller.delete_slot)
            diary.manual_time_requested.connect(self.controller.add_manual_time)
            diary.ask_manual_time = self._ask_manual_time
            diary.closed.connect(self._on_diary_closed)
            add_window_shortcuts(diary, self.request_quit)
            if self._diary_place is not None:
                position, size = self._diary_place
                diary.resize(size)
                diary.move(position)
            self._diary_window = diary
        return self._diary_window

    def _on_diary_closed(self) -> None:
        """A closed diary goes altogether (its window's backing store and widgets: about
        4 MiB measured beyond the cells it drops itself); the next one opens where it was."""
        diary = self._diary_window
        if diary is None:
            return
        self._diary_place = (diary.pos(), diary.size())
        self._diary_window = None
        from ui.memory import give_back_memory

        diary.destroyed.connect(lambda: QTimer.singleShot(0, give_back_memory))
        diary.deleteLater()

    @property
    def timesheet_window(self) -> TimesheetWindow:
        if self._timesheet_window is None:
            from ui.timesheet_window import TimesheetWindow

            self._timesheet_window = TimesheetWindow()
            self._timesheet_window.week_requested.connect(self.show_timesheet)
        return self._timesheet_window

    def _connect_controller(self) -> None:
        controller = self.controller
        controller.ticked.connect(self._on_controller_ticked)
        controller.status_changed.connect(self._on_controller_status_changed)
        controller.diary_changed.connect(self._on_controller_diary_changed)
        controller.idle_prompt_requested.connect(self._on_controller_idle_prompt_requested)
        controller.idle_prompt_closed.connect(self._on_controller_idle_prompt_closed)
        controller.notice_posted.connect(self._on_controller_notice_posted)
        controller.sign_in_failed.connect(self._on_controller_sign_in_failed)
        controller.consent_required.connect(self._on_controller_consent_required)
        controller.signed_in.connect(lambda _account: self.timer_window.sign_in.set_busy(False))
        controller.signed_out.connect(self._on_controller_signed_out)

    def _connect_windows(self) -> None:
        controller = self.controller
        sign_in = self.timer_window.sign_in
        sign_in.sign_in_requested.connect(self._on_sign_in_requested)
        page = self.timer_window.tracking
        page.start_requested.connect(controller.start)
        page.stop_requested.connect(controller.stop)
        page.memo_changed.connect(controller.set_memo)
        page.contract_selected.connect(controller.select_contract)
        page.diary_requested.connect(self.show_diary)
        page.settings_requested.connect(self.show_settings)
        page.sign_out_requested.connect(self.request_sign_out)
        page.sent_requested.connect(self.show_sent)
        page.last_shot.delete_requested.connect(controller.last_shot.delete)
        page.last_shot.blur_requested.connect(controller.last_shot.blur)

    def _add_window_parts(self) -> None:
        """The no-tray bar and the lock banner in the timer window."""
        self.fallback_bar = FallbackBar()
        self.fallback_bar.quit_clicked.connect(self.quit_requested)
        self.fallback_bar.hide()
        layout = self.timer_window.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(0, self.fallback_bar)
        self.timer_window.closed.connect(self.quit_requested)  # only while it is the app
        self.lock_banner = LockBanner()
        self.lock_banner.sync_now_clicked.connect(self.controller.sync_now)
        page_layout = self.timer_window.tracking.layout()
        assert isinstance(page_layout, QVBoxLayout)
        page_layout.insertWidget(0, self.lock_banner)
        self._lock_noticed_for: datetime | None = None  # the week already told about

    def start(self, restore_account: bool = True) -> None:
        """Show the tray (or the window), restore the account, start the heartbeat."""
        if self._want_tray is True or (self._want_tray is None and self.tray_watch.available):
            self._install_tray()
        else:
            self._use_window_as_app()
        if self._want_tray is None:
            self.tray_watch.start()
        self.controller.refresh()
        if restore_account:
            self.controller.restore_account()
        self.ticker.start()

    def _use_window_as_app(self) -> None:
        self.timer_window.quit_on_close = True
        self.fallback_bar.show()
        self._fit_timer_window()
        self.timer_window.show_status(self.controller.status, self.controller.clock.now())
        self.timer_window.show()  # shown, not raised: nothing to raise it above at start

    def _on_tray_watch_appeared(self) -> None:
        log.info("a system tray appeared: the app lives in it, closing the window hides it")
        if self.tray is None:
            self._install_tray()
        self.timer_window.quit_on_close = False
        self.fallback_bar.hide()

    def _on_tray_watch_vanished(self) -> None:
        # the panel went away: the icon is gone with it, so the window becomes the app
        log.info("the system tray went away: the window is the app again")
        if self.tray is not None:
            self.tray.hide()
            self.tray.deleteLater()
            self.tray = None
        self._use_window_as_app()

    def _install_tray(self) -> None:
        tray = TrayMenu(self)
        tray.start_stop_triggered.connect(self.controller.toggle)
        tray.contract_chosen.connect(self.controller.select_contract)
        tray.memo_triggered.connect(self._on_tray_memo_triggered)
        tray.timer_triggered.connect(self.show_timer)
        tray.diary_triggered.connect(self.show_diary)
        tray.timesheet_triggered.connect(self.show_timesheet)
        tray.settings_triggered.connect(self.show_settings)
        tray.sign_out_triggered.connect(self.request_sign_out)
        tray.quit_triggered.connect(self.request_quit)
        tray.sync_now_triggered.connect(self.controller.sync_now)
        tray.show_status(self.controller.status)
        tray.show()
        self.tray = tray

    # -- showing windows -------------------------------------------------------------
    def show_timer(self) -> None:
        self.timer_window.show_status(self.controller.status, self.controller.clock.now())
        self.timer_window.show()
        self.timer_window.raise_()
        self.timer_window.activateWindow()

    def show_diary(self, day_start: datetime | None = None) -> None:
        start = day_start or self.controller.clock.now().astimezone()
        self.diary_window.show_day(self.controller.diary_day(start))
        self.diary_window.show()
        self.diary_window.raise_()

    def show_sent(self) -> None:
        """What was sent, for the contract the timer window shows."""
        contract = self.controller.status.contract
        if contract is None:
            return
        if self.sent_window is not None:
            self.sent_window.close()
        self.sent_window = SentWindow(contract.title, self.controller.sent_slots(contract.id),
                                      self.timer_window)
        self.sent_window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.sent_window.destroyed.connect(self._on_sent_window_destroyed)
        self.sent_window.show()

    def _on_sent_window_destroyed(self) -> None:
        self.sent_window = None
    def show_timesheet(self, week: datetime | None = None) -> None:
        self.timesheet_window.show_week(self._timesheet(week or week_start(
            self.controller.clock.now())))
        self.timesheet_window.show()
        self.timesheet_window.raise_()

    def _timesheet(self, week: datetime) -> TimesheetWeek:
        contract = self.controller.status.contract
        session = self.controller.session.status()
        slots = [] if contract is None else self.controller.store.slots_between(
            week, week + WEEK, contract.id)
        open_slot = None
        if contract is not None and session.contract_id == contract.id and session.slot_start:
            open_slot = (session.slot_start, session.slot_minutes)
        return build_week(week, contract.title if contract else "No contract",
                          contract.weekly_cap_minutes if contract else None, slots,
                          self.controller.clock.now(),
                          timedelta(minutes=self.controller.settings.hold_window_minutes),
                          open_slot)

    def show_settings(self) -> None:
        if self.settings_dialog is not None:
            self.settings_dialog.raise_()
            return
        from ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.controller.settings, self.data_dir, self.timer_window)
        dialog.saved.connect(self._on_settings_saved)
        dialog.finished.connect(self._on_settings_dialog_finished)
        self.settings_dialog = dialog
        dialog.show()

    # -- handlers --------------------------------------------------------------------
    def _on_ticker_ticked(self, now: datetime) -> None:
        self.controller.tick(now)

    def _on_controller_ticked(self, now: datetime) -> None:
        """Every second: the running clocks (the rest follows status_changed)."""
        if self.timer_window.isVisible():
            self.timer_window.tracking.show_clock(now)
        if self.tray is not None:
            self.tray.icon.setToolTip(tray_tooltip(self.controller.status, now))

    def _on_controller_status_changed(self, status: TimerStatus) -> None:
        if self.timer_window.isVisible() or not status.signed_in:
            self.timer_window.show_status(status, self.controller.clock.now())
        if self.tray is not None:
            self.tray.show_status(status, self.controller.clock.now())
        # the slot in progress grows every minute: an open diary follows it
        try:
            self._refresh_diary()
            self._refresh_timesheet()
            self._show_lock_warning(status)
        except Exception:  # a store that cannot be read: the status line says so already
            log.exception("views not refreshed")

    def _show_lock_warning(self, status: TimerStatus) -> None:
        now = self.controller.clock.now()
        warning = current_warning(self.controller.store, now) if status.signed_in else None
        was_shown = self.lock_banner.isVisibleTo(self.timer_window)
        self.lock_banner.show_warning(warning, now)
        if self.lock_banner.isVisibleTo(self.timer_window) != was_shown:
            self._fit_timer_window()  # room for the banner, not squeezed cards
        if warning is not None and warning.last_week_start != self._lock_noticed_for:
            self._lock_noticed_for = warning.last_week_start  # once per week, not per minute
            title, text = "Last week is not fully synced", warning_text(warning, now)
            routed = self.notice_router is not None and self.notice_router(title, text, True)
            if not routed and self.tray is not None and self.tray.icon.isVisible():
                self.tray.notify(title, text, True)  # the window has the banner itself

    def _fit_timer_window(self) -> None:
        window = self.timer_window
        layout = window.layout()
        if layout is not None:
            layout.activate()
        window.resize(window.width(), max(window.minimumHeight(), window.sizeHint().height()))

    def _on_controller_diary_changed(self) -> None:
        try:
            self._refresh_diary()
            self._refresh_timesheet()
        except Exception:  # never out of a Qt slot: the tick's own alert names the cause
            log.exception("views not refreshed")

    def _refresh_timesheet(self) -> None:
        sheet = self._timesheet_window
        if sheet is None or not sheet.isVisible() or sheet.week is None:
            return
        week = self._timesheet(sheet.week.week_start)
        if week != sheet.week:
            sheet.show_week(week)

    def _refresh_diary(self) -> None:
        diary = self._diary_window
        if diary is None or not diary.isVisible():
            return
        day = self.controller.diary_day(diary.day.day_start)
        if day != diary.day:  # rebuilt only when something shown changed
            diary.show_day(day)

    def _on_diary_day_requested(self, day_start: datetime) -> None:
        self.diary_window.show_day(self.controller.diary_day(day_start))

    def _on_controller_idle_prompt_requested(self, prompt: ev.IdlePromptRequired) -> None:
        if self.idle_dialog is not None:
            self.idle_dialog.close()
        from ui.idle_dialog import IdlePromptDialog

        dialog = IdlePromptDialog(prompt.idle_since, prompt.returned_at, prompt.idle_minutes)
        dialog.answered.connect(self.controller.resolve_idle)
        self.idle_dialog = dialog
        dialog.show()
        dialog.raise_()

    def _on_controller_consent_required(self, contract: Contract) -> None:
        if self.consent_dialog is not None:
            self.consent_dialog.close()
        from ui.consent_dialog import ConsentDialog

        dialog = ConsentDialog(contract, self.timer_window)
        dialog.accepted_terms.connect(self.controller.accept_consent)
        dialog.rejected.connect(self.controller.decline_consent)
        dialog.finished.connect(self._on_consent_dialog_finished)
        self.consent_dialog = dialog
        dialog.show()
        dialog.raise_()

    def _on_consent_dialog_finished(self, _result: int) -> None:
        if self.consent_dialog is not None:
            self.consent_dialog.deleteLater()
        self.consent_dialog = None

    def _on_controller_idle_prompt_closed(self) -> None:
        if self.idle_dialog is not None:
            self.idle_dialog.hide()
            self.idle_dialog.deleteLater()
            self.idle_dialog = None

    def _on_controller_notice_posted(self, title: str, text: str, critical: bool) -> None:
        self.notice_shown.emit(title, text)
        if self.notice_router is not None and self.notice_router(title, text, critical):
            return
        self.show_notice(title, text, critical)

    def show_notice(self, title: str, text: str, critical: bool) -> None:
        """A tray balloon, or the timer window's notice line when there is no tray."""
        if self.tray is not None and self.tray.icon.isVisible():
            self.tray.notify(title, text, critical)
        else:
            self.timer_window.tracking.notice.setText(f"{title}: {text}")
            self.timer_window.tracking.notice.show()

    def _on_controller_sign_in_failed(self, message: str) -> None:
        self.timer_window.sign_in.set_busy(False)
        self.timer_window.sign_in.show_error(message)

    def _on_controller_signed_out(self) -> None:
        # The page was filled at start, maybe with the address of an earlier run (./dev
        # run picks a new port each time); after sign-out it shows the account just used.
        page = self.timer_window.sign_in
        status = self.controller.status
        if status.server_url:
            page.server_url.setText(status.server_url)
        if status.account_email:
            page.email.setText(status.account_email)
        page.password.clear()
        page.show_error("")

    def _on_sign_in_requested(self, server_url: str, email: str, password: str) -> None:
        self.timer_window.sign_in.set_busy(True)
        self.controller.sign_in(server_url, email, password)

    def request_quit(self) -> None:
        """Quit — after asking, when tracking (Ctrl+Q, the tray's Quit)."""
        if self._confirm_stop("quit"):
            self.quit_requested.emit()

    def request_sign_out(self) -> None:
        if self._confirm_stop("sign out"):
            self.controller.sign_out()

    def _confirm_stop(self, action: str) -> bool:
        question = stop_question(action, self.controller.status, self.controller.clock.now())
        if question is None:
            return True
        title, text, yes_label = question
        parent = self.timer_window if self.timer_window.isVisible() else None
        return self.confirm(parent, title, text, yes_label)

    def _ask_manual_time(
        self, parent: QWidget, day: date
    ) -> tuple[datetime, datetime, str] | None:
        """The manual-time dialog, checked by the session before it closes."""
        from ui.manual_time_dialog import ask_manual_time

        contract = self.diary_window.day.contract
        if contract is None:
            return None
        return ask_manual_time(parent, day, partial(self.controller.check_manual_time,
                                                    contract.id))

    def _on_tray_memo_triggered(self) -> None:
        memo, accepted = QInputDialog.getText(
            None, "Memo — Workdiary", "What are you working on?",
            text=self.controller.status.memo)
        if accepted:
            self.controller.set_memo(memo.strip())

    def _on_settings_saved(self, settings: AppSettings) -> None:
        if settings.start_at_login != self.controller.settings.start_at_login:
            autostart.set_enabled(self.autostart_dir, settings.start_at_login)
        self.controller.apply_settings(settings)

    def _on_settings_dialog_finished(self, _result: int) -> None:
        if self.settings_dialog is not None:
            self.settings_dialog.deleteLater()
        self.settings_dialog = None

    def close_all(self) -> None:
        self.ticker.stop()
        self.tray_watch.stop()
        for window in (self.timer_window, self._diary_window, self._timesheet_window):
            if window is None:
                continue
            window.quit_on_close = False
            window.close()
        if self.tray is not None:
            self.tray.hide()
        QApplication.processEvents()
