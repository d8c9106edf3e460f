"""The tray icon and its menu; the icon's picture says the state."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ui.formatting import hours_minutes
from ui.icons import TrayState, state_icon
from ui.sync_line import describe_sync
from ui.view_state import SyncBadge, TimerStatus


def tray_state_for(status: TimerStatus) -> TrayState:
    """Which picture: the most urgent condition wins."""
    if status.alert:
        return TrayState.STORE_ALERT
    if status.idle_pending:
        return TrayState.IDLE_PENDING
    if status.over_cap:
        return TrayState.OVER_CAP
    if status.signed_in and status.sync.state in (SyncBadge.OFFLINE, SyncBadge.ERROR):
        return TrayState.OFFLINE
    return TrayState.TRACKING if status.tracking else TrayState.STOPPED


class TrayMenu(QObject):
    """Owns the QSystemTrayIcon and its menu; forwards choices as signals.

    Signals: ``start_stop_triggered()``, ``contract_chosen(contract_id)``,
    ``memo_triggered()``, ``timer_triggered()``, ``diary_triggered()``,
    ``timesheet_triggered()``,
    ``settings_triggered()``, ``sign_out_triggered()``, ``quit_triggered()``,
    ``sync_now_triggered()``.
    """

    start_stop_triggered = Signal()
    contract_chosen = Signal(int)
    memo_triggered = Signal()
    timer_triggered = Signal()
    diary_triggered = Signal()
    timesheet_triggered = Signal()
    settings_triggered = Signal()
    sign_out_triggered = Signal()
    quit_triggered = Signal()
    sync_now_triggered = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = TrayState.STOPPED
        self.icon = QSystemTrayIcon(state_icon(self.state), self)
        self.menu = QMenu()
        self.status_action = self.menu.addAction("Stopped")
        self.status_action.setEnabled(False)
        # what sync holds, waits for and has sent; says "Offline" while it is
        self.sync_action = self.menu.addAction("")
        self.sync_action.setEnabled(False)
        self.sync_now_action = self.menu.addAction("Sync now")
        self.sync_now_action.triggered.connect(self.sync_now_triggered)
        self.menu.addSeparator()
        self.start_stop_action = self.menu.addAction("Start tracking")
        self.start_stop_action.triggered.connect(self.start_stop_triggered)
        self.contract_menu = self.menu.addMenu("Contract")
        self._contract_group = QActionGroup(self)
        self._contract_group.setExclusive(True)
        self.memo_action = self.menu.addAction("Memo…")
        self.memo_action.triggered.connect(self.memo_triggered)
        self.menu.addSeparator()
        self.menu.addAction("Open timer").triggered.connect(self.timer_triggered)
        self.menu.addAction("Open work diary").triggered.connect(self.diary_triggered)
        self.menu.addAction("Open timesheet").triggered.connect(self.timesheet_triggered)
        self.menu.addAction("Settings…").triggered.connect(self.settings_triggered)
        self.sign_out_action = self.menu.addAction("Sign out")
        self.sign_out_action.triggered.connect(self.sign_out_triggered)
        self.menu.addSeparator()
        self.menu.addAction("Quit Workdiary").triggered.connect(self.quit_triggered)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_icon_activated)
        self._contract_ids: list[tuple[int, str]] = []

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def show_status(self, status: TimerStatus, now: datetime | None = None) -> None:
        state = tray_state_for(status)
        if state is not self.state:
            self.state = state
            self.icon.setIcon(state_icon(state))
        contract = status.contract
        where = f" · {contract.title}" if contract else ""
        today = f"{hours_minutes(status.today_minutes)} today"
        if status.alert:
            line = f"{status.alert} · {today}"
        elif status.idle_pending:
            line = f"Idle — waiting for your answer · {today}"
        elif status.tracking:
            line = f"Tracking{where} · {today}"
        else:
            line = f"Stopped · {today}"
        self.status_action.setText(line)
        sync_line = describe_sync(status.sync, now or datetime.now(UTC))
        self.sync_action.setText(sync_line)
        self.sync_action.setVisible(status.signed_in)
        self.sync_now_action.setVisible(status.signed_in)
        self.sync_now_action.setText(
            "Sync now — try the server again" if status.sync.offline else "Sync now"
        )
        tip = f"Workdiary — {line}"
        self.icon.setToolTip(f"{tip}\n{sync_line}" if status.signed_in else tip)
        self.start_stop_action.setText("Stop tracking" if status.tracking else "Start tracking")
        can_start = contract is not None and contract.active and not status.over_cap
        self.start_stop_action.setEnabled(status.tracking or (status.signed_in and can_start))
        memo = status.memo or "none"
        self.memo_action.setText(f"Memo: {memo[:40]}…" if len(memo) > 40 else f"Memo: {memo}")
        self.memo_action.setEnabled(status.signed_in)
        self.sign_out_action.setEnabled(status.signed_in)
        self._show_contracts(status)

    def _show_contracts(self, status: TimerStatus) -> None:
        wanted = [(c.id, c.title) for c in status.contracts]
        if wanted != self._contract_ids:
            self._contract_ids = wanted
            self.contract_menu.clear()
            for action in self._contract_group.actions():
                self._contract_group.removeAction(action)
            for contract_id, title in wanted:
                action = QAction(title, self.contract_menu)
                action.setCheckable(True)
                action.setData(contract_id)
                action.triggered.connect(
                    lambda _checked=False, chosen=contract_id: self.contract_chosen.emit(chosen)
                )
                self._contract_group.addAction(action)
                self.contract_menu.addAction(action)
        for action in self._contract_group.actions():
            action.setChecked(action.data() == status.contract_id)
        self.contract_menu.setEnabled(bool(wanted) and not status.tracking)

    def notify(self, title: str, text: str, critical: bool = False) -> None:
        kind = (QSystemTrayIcon.MessageIcon.Warning if critical
                else QSystemTrayIcon.MessageIcon.Information)
        self.icon.showMessage(title, text, kind, 8000)

    def _on_icon_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.timer_triggered.emit()
