"""The first screenshot on a Wayland desktop, taken with the user watching.

GNOME's screenshot portal asks whether an app may take screenshots only once, and only
while one of the app's windows has the focus; a request made in the background (as
every later shot is, at a random instant of the slot) gets no answer at all. So on the
first start where shots go through the portal, this dialog explains why and takes one
shot while it is focused; once that worked, the store remembers it and the dialog is
not shown again.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from tracker.clock import Clock
from tracker.shot import CaptureProvenance, ShotCapturer
from tracker.store import Store
from ui.background import BackgroundTasks
from ui.dialog_parts import button, button_row

GRANT_SETTING = "screenshot_portal_granted"
EXPLANATION = (
    "This is a Wayland desktop: Workdiary takes its screenshots through the desktop's "
    "screenshot portal. The desktop asks once whether Workdiary may take screenshots, "
    "and only while a Workdiary window is in front. Click “Allow screenshots” and answer "
    "the desktop's question; Workdiary takes one test shot, shows it to nobody and "
    "deletes it."
)


def needs_first_grant(capturer: ShotCapturer, store: Store) -> bool:
    """Shots go through the portal, and no portal shot has worked yet."""
    portal = isinstance(capturer, CaptureProvenance) and capturer.provenance == "portal"
    return portal and store.get_setting(GRANT_SETTING) is None


class PortalGrantDialog(QDialog):
    """Explains the one-time permission and takes the test shot on the worker.

    Signals: ``granted()`` once the test shot worked (the store has noted it).
    """

    granted = Signal()

    def __init__(
        self, capturer: ShotCapturer, store: Store, tasks: BackgroundTasks, clock: Clock,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._capturer, self._store, self._tasks, self._clock = capturer, store, tasks, clock
        self.setWindowTitle("Allow screenshots — Workdiary")
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 18)
        explanation = QLabel(EXPLANATION)
        explanation.setWordWrap(True)
        explanation.setMinimumWidth(420)
        layout.addWidget(explanation)
        self.status = QLabel("")
        self.status.setObjectName("grant_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.later = button("Later", self.reject)
        self.allow = button("Allow screenshots", self._on_allow_clicked, default=True)
        layout.addLayout(button_row(self.later, self.allow))

    def _on_allow_clicked(self) -> None:
        self.allow.setEnabled(False)
        self.status.setText("Waiting for the desktop's answer…")
        now = self._clock.now()
        shoot: Callable[[], object] = lambda: self._capturer.capture(now, False)  # noqa: E731
        self._tasks.submit("portal-grant", shoot, self._on_shot, self._on_failed)

    def _on_shot(self, _shot: object) -> None:
        self._store.set_setting(GRANT_SETTING, self._clock.now().isoformat())
        self.status.setText("Screenshots are allowed.")
        self.granted.emit()
        self.accept()

    def _on_failed(self, error: BaseException) -> None:
        self.allow.setEnabled(True)
        self.status.setText(f"No screenshot: {error}. Try again, or choose Later: "
                            "Workdiary asks again at its next start.")
        self.adjustSize()
