"""Settings: server URL, idle threshold, hold window, start at login, data folder."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ui.settings import HOLD_WINDOW_RANGE, IDLE_THRESHOLD_RANGE, AppSettings, SettingsError


class SettingsDialog(QDialog):
    """Edits :class:`AppSettings`. Signals: ``saved(settings)`` when OK is accepted."""

    saved = Signal(object)

    def __init__(self, settings: AppSettings, data_dir: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Settings — Workdiary")
        self._settings = settings
        form = QFormLayout(self)
        form.setContentsMargins(20, 18, 20, 16)
        form.setVerticalSpacing(10)
        self.server_url = QLineEdit(settings.server_url)
        self.server_url.setObjectName("server_url")
        form.addRow("Server", self.server_url)

        self.idle_threshold = QSpinBox()
        self.idle_threshold.setObjectName("idle_threshold")
        self.idle_threshold.setRange(*IDLE_THRESHOLD_RANGE)
        self.idle_threshold.setSuffix(" min")
        self.idle_threshold.setValue(settings.idle_threshold_minutes)
        form.addRow("Ask about idle time after", self.idle_threshold)

        self.hold_window = QSpinBox()
        self.hold_window.setObjectName("hold_window")
        self.hold_window.setRange(*HOLD_WINDOW_RANGE)
        self.hold_window.setSingleStep(5)
        self.hold_window.setSuffix(" min")
        self.hold_window.setValue(settings.hold_window_minutes)
        form.addRow("Keep finished slots local for", self.hold_window)
        hold_hint = QLabel("Time to look at (and delete) a slot before it is uploaded.")
        hold_hint.setObjectName("muted")
        form.addRow("", hold_hint)

        self.shot_notices = QCheckBox("Tell me when a screenshot is taken")
        self.shot_notices.setObjectName("shot_notices")
        self.shot_notices.setToolTip("A desktop notice with Delete, while the shot is held")
        self.shot_notices.setChecked(settings.shot_notices)
        form.addRow("", self.shot_notices)

        self.start_at_login = QCheckBox("Start Workdiary when I log in")
        self.start_at_login.setObjectName("start_at_login")
        self.start_at_login.setChecked(settings.start_at_login)
        form.addRow("", self.start_at_login)

        self._add_data_folder(form, data_dir)
        self._add_buttons(form)

    def _add_data_folder(self, form: QFormLayout, data_dir: Path) -> None:
        folder_row = QHBoxLayout()
        self.data_folder = QLabel(str(data_dir))
        self.data_folder.setObjectName("data_folder")
        self.data_folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        folder_row.addWidget(self.data_folder, 1)
        open_folder = QPushButton("Open")
        open_folder.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(data_dir)))
        )
        folder_row.addWidget(open_folder)
        form.addRow("Data folder", folder_row)

    def _add_buttons(self, form: QFormLayout) -> None:
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.hide()
        form.addRow(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def chosen(self) -> AppSettings:
        return replace(
            self._settings,
            server_url=self.server_url.text().strip().rstrip("/"),
            idle_threshold_minutes=self.idle_threshold.value(),
            hold_window_minutes=self.hold_window.value(),
            start_at_login=self.start_at_login.isChecked(),
            shot_notices=self.shot_notices.isChecked(),
        )

    def _on_buttons_accepted(self) -> None:
        try:
            settings = self.chosen().validated()
        except SettingsError as error:
            self.error.setText(str(error))
            self.error.show()
            return
        self.saved.emit(settings)
        self.accept()
