"""The timer window's preview of the last screenshot: thumbnail, Delete, Blur, and how
long is left before it is uploaded (DOMAIN.md, Preview)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from tracker.slots import slot_end
from ui.formatting import countdown, local_time
from ui.shot_pictures import qt_format
from ui.view_state import LastShotView

PREVIEW_SIZE = QSize(144, 81)


class LastShotPanel(QFrame):
    """Shows a :class:`LastShotView`; hidden when there is none.

    Signals: ``delete_requested(contract_id, slot_start)``,
    ``blur_requested(contract_id, slot_start)``.
    """

    delete_requested = Signal(int, object)
    blur_requested = Signal(int, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.shot: LastShotView | None = None
        self._thumbnail_shown = ""
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 10, 10, 10)
        row.setSpacing(10)
        self.thumbnail = QLabel()
        self.thumbnail.setObjectName("last_shot_thumbnail")
        self.thumbnail.setFixedSize(PREVIEW_SIZE)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.setStyleSheet("background: #E2E8F0; border-radius: 4px;")
        row.addWidget(self.thumbnail)
        column = QVBoxLayout()
        column.setSpacing(4)
        self.title = QLabel("")
        self.title.setStyleSheet("font-weight: 600;")
        column.addWidget(self.title)
        self.when = QLabel("")
        self.when.setObjectName("muted")
        self.when.setWordWrap(True)
        column.addWidget(self.when)
        buttons = QHBoxLayout()
        self.delete_button = QPushButton("Delete")
        self.delete_button.setObjectName("danger")
        self.delete_button.setToolTip("Delete the screenshot and this slot's time")
        self.delete_button.clicked.connect(self._on_delete_clicked)
        buttons.addWidget(self.delete_button)
        self.blur_button = QPushButton("Blur")
        self.blur_button.setToolTip("Blur the screenshot before it is uploaded")
        self.blur_button.clicked.connect(self._on_blur_clicked)
        buttons.addWidget(self.blur_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        column.addStretch(1)
        row.addLayout(column, 1)
        self.hide()

    def show_shot(self, shot: LastShotView | None, now: datetime) -> None:
        self.shot = shot
        if shot is None:
            self.hide()
            return
        path = str(shot.thumbnail_path)
        if path != self._thumbnail_shown:
            self._thumbnail_shown = path
            pixmap = QPixmap()
            if shot.thumbnail_problem:
                self.thumbnail.setText(f"Shot unreadable:\n{shot.thumbnail_problem}")
                self.thumbnail.setToolTip(f"{path}: shot unreadable: {shot.thumbnail_problem}")
            elif not pixmap.loadFromData(shot.thumbnail, qt_format(path)):
                self.thumbnail.setText("Screenshot\nmissing")
            else:
                self.thumbnail.setPixmap(pixmap.scaled(
                    PREVIEW_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation))
        self.title.setText(f"Screenshot at {local_time(shot.taken_at)}")
        self.when.setText(("Blurred. " if shot.blurred else "") + self._when_text(shot, now))
        # offered while the slot is in its hold window (or still tracked)
        in_hold = not shot.sent and (shot.upload_after is None or now < shot.upload_after)
        self.delete_button.setVisible(in_hold)
        self.blur_button.setVisible(in_hold and shot.blur_allowed and not shot.blurred)
        self.delete_button.setEnabled(not shot.queued)
        self.blur_button.setEnabled(not shot.queued)
        self.show()

    @staticmethod
    def _when_text(shot: LastShotView, now: datetime) -> str:
        if shot.problem:
            return shot.problem
        ends = local_time(slot_end(shot.slot_start))
        if shot.queued == "delete":
            return f"Deleted with its time when this slot ends at {ends}."
        if shot.queued == "blur":
            return f"Blurred when this slot ends at {ends}."
        if shot.sent:
            return "Uploaded. You can still delete it in the work diary until the week locks."
        if shot.upload_after is None:
            return "Held until you answer the idle prompt."
        left = int((shot.upload_after - now).total_seconds())
        if left <= 0:
            return "Uploading…"
        return f"Uploads {countdown(left)} — until then you can delete it."

    def _on_delete_clicked(self) -> None:
        if self.shot is not None:
            self.delete_requested.emit(self.shot.contract_id, self.shot.slot_start)

    def _on_blur_clicked(self) -> None:
        if self.shot is not None:
            self.blur_requested.emit(self.shot.contract_id, self.shot.slot_start)
