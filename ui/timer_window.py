"""The timer window: sign in, pick a contract, say what you work on, start and stop."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui.activity_meter import ActivityMeter, activity_text
from ui.dialog_parts import label
from ui.formatting import clock_duration, hours_minutes, local_time, money
from ui.icons import app_icon
from ui.last_shot_panel import LastShotPanel
from ui.session_clock import session_seconds
from ui.sync_line import describe_sync
from ui.view_state import TimerStatus


def _card() -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(16, 14, 16, 14)
    layout.setSpacing(6)
    return frame, layout


class SignInPage(QWidget):
    """Server URL, email and password; errors appear in the page, not in a popup.

    Signals: ``sign_in_requested(server_url, email, password)``.
    """

    sign_in_requested = Signal(str, str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.setSpacing(14)

        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(48, 48))
        logo.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        outer.addWidget(logo)
        title = label("Sign in to Workdiary", "title")
        title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        outer.addWidget(title)
        subtitle = label("Track time on your hourly contracts.", "subtitle")
        subtitle.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        outer.addWidget(subtitle)

        card, card_layout = _card()
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setVerticalSpacing(10)
        self.server_url = QLineEdit()
        self.server_url.setObjectName("server_url")
        self.server_url.setPlaceholderText("https://workdiary.example.com")
        self.email = QLineEdit()
        self.email.setObjectName("email")
        self.email.setPlaceholderText("you@example.com")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Server", self.server_url)
        form.addRow("Email", self.email)
        form.addRow("Password", self.password)
        card_layout.addLayout(form)

        self.error = label("", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        card_layout.addWidget(self.error)

        self.sign_in_button = QPushButton("Sign in")
        self.sign_in_button.setObjectName("primary")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.clicked.connect(self._on_sign_in_button_clicked)
        self.password.returnPressed.connect(self._on_sign_in_button_clicked)
        card_layout.addWidget(self.sign_in_button)
        outer.addWidget(card)
        outer.addStretch(1)

    def set_busy(self, busy: bool) -> None:
        self.sign_in_button.setEnabled(not busy)
        self.sign_in_button.setText("Signing in…" if busy else "Sign in")

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _on_sign_in_button_clicked(self) -> None:
        url = self.server_url.text().strip()
        email = self.email.text().strip()
        password = self.password.text()
        if not url or not email or not password:
            self.show_error("Enter the server address, your email and your password.")
            return
        self.show_error("")
        self.sign_in_requested.emit(url, email, password)


class TrackingPage(QWidget):
    """Contract, memo, start/stop, today's and this week's time, cap bar, sync state.

    Signals: ``start_requested(contract_id, memo)``, ``stop_requested()``,
    ``memo_changed(memo)``, ``contract_selected(contract_id)``, ``diary_requested()``,
    ``settings_requested()``, ``sign_out_requested()``, ``sent_requested()``.
    """

    start_requested = Signal(int, str)
    stop_requested = Signal()
    memo_changed = Signal(str)
    contract_selected = Signal(int)
    diary_requested = Signal()
    settings_requested = Signal()
    sign_out_requested = Signal()
    sent_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page")
        self._status = TimerStatus()
        self._updating = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 16, 18, 14)
        outer.setSpacing(12)
        self._build_header(outer)
        self._build_today(outer)
        self._build_week(outer)
        self._build_footer(outer)

    def _build_header(self, outer: QVBoxLayout) -> None:
        """Who is signed in, and the contract being tracked."""
        header = QHBoxLayout()
        self.account = label("", "muted")
        header.addWidget(self.account, 1)
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.setObjectName("link")
        self.sign_out_button.clicked.connect(self.sign_out_requested)
        header.addWidget(self.sign_out_button)
        outer.addLayout(header)

        self.contract_box = QComboBox()
        self.contract_box.setObjectName("contract")
        self.contract_box.currentIndexChanged.connect(self._on_contract_box_changed)
        outer.addWidget(self.contract_box)
        self.contract_terms = label("", "muted")
        outer.addWidget(self.contract_terms)

    def _build_today(self, outer: QVBoxLayout) -> None:
        """The running session (seconds), today's totals, the slot's activity, the last
        shot."""
        today_card, today_layout = _card()
        caption_row = QHBoxLayout()
        caption_row.addWidget(label("CURRENT SESSION", "caption"))
        caption_row.addStretch(1)
        self.state = label("Stopped", "state_stopped")
        caption_row.addWidget(self.state)
        today_layout.addLayout(caption_row)
        self.session_clock = label("0:00:00", "big_time")
        today_layout.addWidget(self.session_clock)
        self.since = label("", "muted")
        today_layout.addWidget(self.since)
        totals = QHBoxLayout()
        totals.addWidget(label("Today", "muted"))
        self.today = label("0:00", "")
        self.today.setToolTip("Today on this contract")
        self.today.setStyleSheet("font-weight: 600;")
        totals.addWidget(self.today)
        totals.addStretch(1)
        totals.addWidget(label("All contracts", "muted"))
        self.today_all = label("0:00", "")
        self.today_all.setObjectName("today_all")
        self.today_all.setStyleSheet("font-weight: 600;")
        totals.addWidget(self.today_all)
        today_layout.addLayout(totals)
        activity_row = QHBoxLayout()
        activity_row.addWidget(label("This slot", "muted"))
        self.activity_meter = ActivityMeter()
        activity_row.addWidget(self.activity_meter, 1)
        self.activity_text = label("", "muted")
        activity_row.addWidget(self.activity_text)
        today_layout.addLayout(activity_row)
        outer.addWidget(today_card)
        self.last_shot = LastShotPanel()
        outer.addWidget(self.last_shot)
        self._build_controls(outer)

    def _build_controls(self, outer: QVBoxLayout) -> None:
        """The memo, the notice line, Start/Stop."""
        self.memo = QLineEdit()
        self.memo.setObjectName("memo")
        self.memo.setPlaceholderText("What are you working on?")
        self.memo.editingFinished.connect(self._on_memo_editing_finished)
        outer.addWidget(self.memo)
        self.memo_hint = label("", "muted")
        outer.addWidget(self.memo_hint)

        self.notice = label("", "notice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        outer.addWidget(self.notice)

        self.start_stop = QPushButton("Start")
        self.start_stop.setObjectName("start")
        self.start_stop.setCursor(Qt.CursorShape.PointingHandCursor)
        self.start_stop.clicked.connect(self._on_start_stop_clicked)
        outer.addWidget(self.start_stop)

    def _build_week(self, outer: QVBoxLayout) -> None:
        """This week's total against the cap."""
        week_card, week_layout = _card()
        week_row = QHBoxLayout()
        week_row.addWidget(label("THIS WEEK", "caption"))
        week_row.addStretch(1)
        self.week = label("0:00", "")
        self.week.setObjectName("week")
        week_row.addWidget(self.week)
        week_layout.addLayout(week_row)
        self.cap_bar = QProgressBar()
        self.cap_bar.setTextVisible(False)
        week_layout.addWidget(self.cap_bar)
        self.cap_left = label("", "muted")
        week_layout.addWidget(self.cap_left)
        outer.addWidget(week_card)

    def _build_footer(self, outer: QVBoxLayout) -> None:
        """The sync line and the buttons to the diary and settings."""
        self.sync_label = label("", "muted")
        self.sync_label.setObjectName("sync")
        self.sync_label.setWordWrap(True)
        outer.addWidget(self.sync_label)
        footer = QHBoxLayout()
        self.diary_button = QPushButton("Work diary")
        self.diary_button.clicked.connect(self.diary_requested)
        footer.addWidget(self.diary_button)
        self.settings_button = QPushButton("Settings")
        self.settings_button.clicked.connect(self.settings_requested)
        footer.addWidget(self.settings_button)
        self.sent_button = QPushButton("What was sent")
        self.sent_button.setObjectName("link")
        self.sent_button.clicked.connect(self.sent_requested)
        footer.addWidget(self.sent_button)
        footer.addStretch(1)
        outer.addLayout(footer)

    # -- showing state ---------------------------------------------------------------
    def show_status(self, status: TimerStatus, now: datetime) -> None:
        self._status = status
        self._updating = True
        try:
            self._show_contracts(status)
            if not self.memo.hasFocus() and self.memo.text() != status.memo:
                self.memo.setText(status.memo)
        finally:
            self._updating = False
        self.account.setText(status.account_email)
        self.account.setToolTip(status.server_url)
        contract = status.contract
        if contract is None:
            self.contract_terms.setText("No hourly contract to track yet.")
        else:
            cap = (
                f" · cap {hours_minutes(contract.weekly_cap_minutes)} h/week"
                if contract.weekly_cap_minutes is not None
                else " · no weekly cap"
            )
            self.contract_terms.setText(f"{money(contract.rate_cents, contract.currency)}/h{cap}")

        self.today.setText(hours_minutes(status.today_minutes))
        self.today_all.setText(hours_minutes(status.today_all_minutes))
        self.activity_meter.show_marks(status.slot_activity)
        self.activity_text.setText(activity_text(status.slot_activity) if status.tracking else "")
        if status.idle_pending:
            self._set_state("Idle — answer the prompt", "state_idle")
        elif status.tracking:
            self._set_state("● Tracking", "state_tracking")
        else:
            self._set_state("Stopped", "state_stopped")
        self.since.setText(
            f"Since {local_time(status.tracking_since)}"
            if status.tracking and status.tracking_since is not None
            else "Not tracking"
        )
        self.memo_hint.setText(
            "A new memo applies from the next 10-minute slot." if status.tracking else ""
        )

        if status.tracking:
            self.start_stop.setText("Stop")
            self.start_stop.setObjectName("stop")
            self.start_stop.setEnabled(True)
        else:
            self.start_stop.setText("Start")
            self.start_stop.setObjectName("start")
            can_start = contract is not None and contract.active and not status.over_cap
            self.start_stop.setEnabled(can_start)
        self.start_stop.style().unpolish(self.start_stop)
        self.start_stop.style().polish(self.start_stop)

        self._show_week(status)
        notice = "\n".join(text for text in (status.alert, status.capture_problem) if text)
        self.notice.setText(notice)
        self.notice.setVisible(bool(notice))
        self.sync_label.setText(describe_sync(status.sync, now))
        self.show_clock(now)

    def show_clock(self, now: datetime) -> None:
        """Every second: the session's running time and the upload countdown."""
        status = self._status
        self.session_clock.setText(clock_duration(session_seconds(status, now)))
        self.last_shot.show_shot(status.last_shot, now)

    def _set_state(self, text: str, name: str) -> None:
        self.state.setText(text)
        if self.state.objectName() != name:
            self.state.setObjectName(name)
            self.state.style().unpolish(self.state)
            self.state.style().polish(self.state)

    def _show_contracts(self, status: TimerStatus) -> None:
        wanted = [(c.id, c.title) for c in status.contracts]
        present = [
            (self.contract_box.itemData(i), self.contract_box.itemText(i))
            for i in range(self.contract_box.count())
        ]
        if wanted != present:
            self.contract_box.clear()
            for contract_id, title in wanted:
                self.contract_box.addItem(title, contract_id)
        index = self.contract_box.findData(status.contract_id)
        if index >= 0 and index != self.contract_box.currentIndex():
            self.contract_box.setCurrentIndex(index)
        # switching contracts mid-session would split a slot: stop first
        self.contract_box.setEnabled(not status.tracking)

    def _show_week(self, status: TimerStatus) -> None:
        cap = status.cap_minutes
        if cap is None:
            self.week.setText(f"{hours_minutes(status.week_minutes)} h")
            self.cap_bar.hide()
            self.cap_left.setText("No weekly cap on this contract")
            return
        self.cap_bar.show()
        self.week.setText(f"{hours_minutes(status.week_minutes)} / {hours_minutes(cap)} h")
        self.cap_bar.setRange(0, max(cap, 1))
        self.cap_bar.setValue(min(status.week_minutes, cap))
        left = max(cap - status.week_minutes, 0)
        name = "over" if left == 0 else "near" if left <= 60 else ""
        if self.cap_bar.objectName() != name:
            self.cap_bar.setObjectName(name)
            self.cap_bar.style().unpolish(self.cap_bar)
            self.cap_bar.style().polish(self.cap_bar)
        self.cap_left.setText(
            "Weekly cap reached — tracking is off until Monday 00:00 UTC"
            if left == 0
            else f"{hours_minutes(left)} h left this week"
        )

    # -- user intents ------------------------------------------------------------------
    def _on_start_stop_clicked(self) -> None:
        if self._status.tracking:
            self.stop_requested.emit()
            return
        contract_id = self.contract_box.currentData()
        if contract_id is not None:
            self.start_requested.emit(int(contract_id), self.memo.text().strip())

    def _on_memo_editing_finished(self) -> None:
        memo = self.memo.text().strip()
        if memo != self._status.memo:
            self.memo_changed.emit(memo)

    def _on_contract_box_changed(self, index: int) -> None:
        if self._updating or index < 0:
            return
        self.contract_selected.emit(int(self.contract_box.itemData(index)))


class TimerWindow(QWidget):
    """The app's main window: the sign-in page until signed in, then the tracking page.

    Signals: ``closed()`` when the user closes it (the shell quits on it without a tray).
    """

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.quit_on_close = False
        self.setWindowTitle("Workdiary")
        self.setWindowIcon(app_icon())
        self.setObjectName("page")
        self.pages = QStackedWidget(self)
        self.sign_in = SignInPage()
        self.tracking = TrackingPage()
        self.pages.addWidget(self.sign_in)
        self.pages.addWidget(self.tracking)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        # the window grows with what it shows (the last shot, notices), never squashes it
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        self.setFixedWidth(400)
        self.setMinimumHeight(520)

    def show_status(self, status: TimerStatus, now: datetime) -> None:
        if status.signed_in:
            self.pages.setCurrentWidget(self.tracking)
            self.tracking.show_status(status, now)
        else:
            self.pages.setCurrentWidget(self.sign_in)
            if not self.sign_in.server_url.text():
                self.sign_in.server_url.setText(status.server_url)
            if not self.sign_in.email.text():
                self.sign_in.email.setText(status.account_email)

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        if self.quit_on_close:
            self.closed.emit()
