"""The bar the timer window carries when there is no system tray: the app's name, what
closing the window does, and Quit. Without a tray the window is the whole app, and a
desktop without a window manager draws no title bar of its own."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from ui.icons import app_icon


class FallbackBar(QFrame):
    """Signals: ``quit_clicked()`` (the Quit button, or Ctrl+Q in the window)."""

    quit_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fallback_bar")
        self.setStyleSheet(
            "QFrame#fallback_bar { background: #0F172A; }"
            " QFrame#fallback_bar QLabel { color: #E2E8F0; }"
            " QFrame#fallback_bar QLabel#app_name { color: white; font-weight: 600; }"
            " QFrame#fallback_bar QPushButton { background: #1E293B; color: white;"
            " border: 1px solid #334155; border-radius: 5px; padding: 3px 12px; }"
            " QFrame#fallback_bar QPushButton:hover { background: #DC2626; }"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 8, 6)
        row.setSpacing(8)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(18, 18))
        row.addWidget(icon)
        name = QLabel("Workdiary")
        name.setObjectName("app_name")
        row.addWidget(name)
        self.hint = QLabel("no tray: closing quits")
        self.hint.setToolTip("No system tray was found: this window is the app, and closing "
                             "it quits. Workdiary moves to the tray when a panel starts.")
        self.hint.setObjectName("hint")
        row.addWidget(self.hint, 1)
        self.quit_button = QPushButton("Quit")
        self.quit_button.setObjectName("quit")
        self.quit_button.setToolTip("Stop tracking and quit Workdiary (Ctrl+Q)")
        self.quit_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.quit_button.clicked.connect(self.quit_clicked)
        row.addWidget(self.quit_button)
        self.quit_action = QAction("Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.quit_action.triggered.connect(self.quit_clicked)
        self.addAction(self.quit_action)
