"""The local work diary: one day at a time, an hour per row, six 10-minute slots each.

A thumbnail is read (decrypted, decoded, scaled) when its cell is first painted, so a
long day costs only the pictures in view; the scaled ones are kept in a bounded LRU
(:class:`ThumbnailCache`) so the minute-by-minute refresh of an open diary reads no file
again. Closing the window drops the cells and the cache.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

from PySide6 import QtGui
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QHideEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QPixmapCache,
)
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from tracker.cap import week_start
from tracker.capture_choice import activity_text, provenance_text
from tracker.contract import Contract
from ui import style
from ui.formatting import hours_minutes, hours_minutes_long, local_day, local_time, plural
from ui.icons import app_icon
from ui.manual_time_dialog import ask_manual_time
from ui.memory import give_back_memory
from ui.shot_pictures import PictureReader, qt_format, read_for_display
from ui.view_state import DiaryDay, DiarySlot, SlotSyncState

THUMB_SIZE = QSize(144, 81)
# a full day of 10-minute slots in view and then some; 144×81 ARGB is ~46 KiB a picture
THUMBNAIL_CACHE_SIZE = 72
SLOTS_PER_HOUR = 6
SLOT_MINUTES = 10
_MARK_COLOURS: dict[bool | None, str] = {True: style.GREEN, False: "#CBD5E1", None: "#F1F5F9"}

# the chip's words and its kind (colours: ui.style.CHIP_COLOURS)
_STATE_TEXT = {
    SlotSyncState.HELD: ("Held", "held"),
    SlotSyncState.PENDING: ("Pending", "pending"),
    SlotSyncState.SYNCED: ("Synced ✓", "synced"),
    SlotSyncState.REJECTED: ("Rejected", "rejected"),
}


class ActivityBar(QWidget):
    """Ten ticks, one per minute of the slot, each in its own place: green = active,
    grey = tracked without input, pale = not tracked (``marks``, minute 0 first)."""

    def __init__(self, marks: tuple[bool | None, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.marks = (tuple(marks) + (None,) * SLOT_MINUTES)[:SLOT_MINUTES]
        tracked = sum(1 for mark in self.marks if mark is not None)
        active = sum(1 for mark in self.marks if mark)
        self.setFixedHeight(8)
        self.setToolTip(f"Active {active} of {tracked} min")

    @classmethod
    def for_slot(cls, slot: DiarySlot) -> ActivityBar:
        if slot.minute_marks:
            return cls(slot.minute_marks)
        # no per-minute record (an older snapshot): the counts, from the left
        marks = tuple(True if index < slot.active_minutes else False if index < slot.minutes
                      else None for index in range(SLOT_MINUTES))
        return cls(marks)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        gap = 2.0
        width = (self.width() - gap * (SLOT_MINUTES - 1)) / SLOT_MINUTES
        for index, mark in enumerate(self.marks):
            painter.setBrush(QColor(_MARK_COLOURS[mark]))
            painter.drawRoundedRect(QRectF(index * (width + gap), 0, width, 8), 2, 2)
        painter.end()


def plain_tip(text: str) -> str:
    """``text`` for a tooltip, shown as written: Qt renders a tooltip that looks like
    markup ("<b>…", "a <br> b") as HTML, so such a text is given as HTML that says it."""
    return QtGui.Qt.convertFromPlainText(text) if QtGui.Qt.mightBeRichText(text) else text


class ThumbnailCache:
    """The last ``size`` scaled thumbnails shown, by file (and its size and change time,
    so a rewritten file — a blurred shot — is read again)."""

    def __init__(self, size: int = THUMBNAIL_CACHE_SIZE) -> None:
        self.size = size
        self._pixmaps: OrderedDict[tuple[Path, int, int], QPixmap] = OrderedDict()

    @staticmethod
    def key(path: Path) -> tuple[Path, int, int] | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        return (path, stat.st_size, stat.st_mtime_ns)

    def get(self, key: tuple[Path, int, int]) -> QPixmap | None:
        pixmap = self._pixmaps.get(key)
        if pixmap is not None:
            self._pixmaps.move_to_end(key)
        return pixmap

    def put(self, key: tuple[Path, int, int], pixmap: QPixmap) -> None:
        self._pixmaps[key] = pixmap
        self._pixmaps.move_to_end(key)
        while len(self._pixmaps) > self.size:
            self._pixmaps.popitem(last=False)

    def clear(self) -> None:
        self._pixmaps.clear()

    def __len__(self) -> int:
        return len(self._pixmaps)


class Thumbnail(QLabel):
    """The slot's picture; a click asks for the full shot (``clicked``). ``load``, when
    given, fills it in just before its first paint (or a click, whichever comes first)."""

    clicked = Signal()

    def __init__(self, load: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._load = load

    @property
    def loaded(self) -> bool:
        return self._load is None

    def load_now(self) -> None:
        if self._load is not None:
            load, self._load = self._load, None
            load()

    def paintEvent(self, event: QPaintEvent) -> None:
        self.load_now()
        super().paintEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.load_now()
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class SlotCell(QFrame):
    """One slot: thumbnail, time, activity bar, memo, sync state and a delete button.

    Signals: ``delete_clicked(slot)``, ``shot_clicked(slot)``.
    """

    delete_clicked = Signal(object)
    shot_clicked = Signal(object)

    def __init__(self, slot: DiarySlot | None, slot_start: datetime, pictures: PictureReader,
                 parent: QWidget | None = None, thumbnails: ThumbnailCache | None = None):
        super().__init__(parent)
        self.slot = slot
        self._pictures = pictures
        self._thumbnails = thumbnails if thumbnails is not None else ThumbnailCache()
        self.setObjectName("slot_cell")
        self.setFixedWidth(THUMB_SIZE.width() + 16)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(4)
        # styled by ui.style's sheet, by object name and property
        if slot is None:
            self.setProperty("empty", True)
            empty = QLabel(local_time(slot_start))
            empty.setObjectName("slot_empty_time")
            empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(empty, 1)
            self.setMinimumHeight(THUMB_SIZE.height() + 82)
            return
        self.setProperty("rejected", slot.sync_state is SlotSyncState.REJECTED)
        self.thumbnail = Thumbnail(lambda: self._show_thumbnail(slot))
        self.thumbnail.setObjectName("slot_thumbnail")
        # a picture is expected (its file is read at the first paint)
        self.thumbnail.setProperty("picture", _shows_picture(slot))
        self.thumbnail.setFixedSize(THUMB_SIZE)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.thumbnail)

        top = QHBoxLayout()
        when = QLabel(f"{local_time(slot.slot_start)}  ·  {slot.minutes} min")
        when.setObjectName("slot_when")
        top.addWidget(when, 1)
        self.delete_button = QPushButton("✕")
        self.delete_button.setObjectName("delete")
        self.delete_button.setFixedSize(22, 22)
        self.delete_button.setToolTip("Delete this slot and its time")
        # the slot in progress is not written yet: it can be deleted once it has ended
        self.delete_button.setVisible(not slot.in_progress)
        self.delete_button.clicked.connect(lambda: self.delete_clicked.emit(self.slot))
        top.addWidget(self.delete_button)
        layout.addLayout(top)
        layout.addWidget(ActivityBar.for_slot(slot))

        memo = QLabel()
        memo.setObjectName("slot_memo")
        # the freelancer's words as typed: "fix the <br> tags" is not markup to render
        memo.setTextFormat(Qt.TextFormat.PlainText)
        memo.setToolTip(plain_tip(slot.memo))
        memo.setText(memo.fontMetrics().elidedText(slot.memo or "—", Qt.TextElideMode.ElideRight,
                                                  THUMB_SIZE.width()))
        layout.addWidget(memo)

        layout.addLayout(self._sync_chip_row(slot))

    @staticmethod
    def _sync_chip_row(slot: DiarySlot) -> QHBoxLayout:
        """The chip under the memo: sync state, manual, not saved, clock jump."""
        if slot.in_progress:
            text, kind = "In progress", "progress"
        else:
            text, kind = _STATE_TEXT[slot.sync_state]
        if slot.manual:
            text += " · manual"
        if slot.unsaved:
            text, kind = "Not saved yet", "unsaved"
        if slot.clock_jump:
            text += " · clock jump"
        if slot.activity_source == "idle-watch":
            text += " · idle time"
        chip = QLabel(text)
        chip.setObjectName("sync_chip")
        chip.setProperty("chip", kind)
        tips = [slot.reason] if slot.reason else []
        if slot.clock_jump:
            tips.append("The computer's clock jumped (changed, or the machine slept) while "
                        "this slot was tracked; the jump is not counted.")
        if slot.capture_source is not None:
            tips.append(f"Screenshot: {provenance_text(slot.capture_source)}.")
        tips.append(f"{activity_text(slot.activity_source).capitalize()}.")
        if tips:
            chip.setToolTip(plain_tip("\n".join(tips)))  # the server's reason, as it said it
        chip_row = QHBoxLayout()
        chip_row.addWidget(chip)
        chip_row.addStretch(1)
        return chip_row

    def _show_thumbnail(self, slot: DiarySlot) -> None:
        placeholder = ""
        if slot.manual:
            placeholder = "Manual time\n(not protected)"
        elif slot.capture_unavailable:
            placeholder = "Screen capture\nunavailable"
        elif slot.thumbnail_path is None and slot.in_progress:
            placeholder = "Screenshot to come"
        elif slot.thumbnail_path is None:
            placeholder = "No screenshot"
        else:
            key = self._thumbnails.key(slot.thumbnail_path)
            scaled = self._thumbnails.get(key) if key is not None else None
            problem = ""
            if scaled is None:
                picture, problem = read_for_display(self._pictures, slot.contract_id,
                                                    slot.slot_start, slot.thumbnail_path,
                                                    "thumbnail")
                pixmap = QPixmap()
                if not problem and pixmap.loadFromData(picture, qt_format(slot.thumbnail_path)):
                    scaled = pixmap.scaled(THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation)
                    if key is not None:
                        self._thumbnails.put(key, scaled)
            if problem:  # the slot and its time stay; the file is named in the log
                placeholder = f"Shot unreadable:\n{problem}"
                self.thumbnail.setToolTip(f"{slot.thumbnail_path}: shot unreadable: {problem}")
            elif scaled is None:
                placeholder = "Screenshot\nmissing"
            else:
                self.thumbnail.setPixmap(scaled)
                self.thumbnail.setCursor(Qt.CursorShape.PointingHandCursor)
                self.thumbnail.setToolTip("Click for the full screenshot")
                self.thumbnail.clicked.connect(lambda: self.shot_clicked.emit(self.slot))
                return
        self.thumbnail.setText(placeholder)
        if self.thumbnail.property("picture"):  # the file let us down: a placeholder after all
            self.thumbnail.setProperty("picture", False)
            self.thumbnail.style().unpolish(self.thumbnail)
            self.thumbnail.style().polish(self.thumbnail)


def _shows_picture(slot: DiarySlot) -> bool:
    """Whether the thumbnail is a picture (not a placeholder), as far as the slot says."""
    return not (slot.manual or slot.capture_unavailable or slot.thumbnail_path is None)


class ShotViewer(QDialog):
    """The full screenshot of a slot, scaled to fit the screen."""

    def __init__(self, slot: DiarySlot, pictures: PictureReader,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Screenshot {local_time(slot.slot_start)} — {slot.memo}")
        layout = QVBoxLayout(self)
        picture = QLabel()
        picture.setObjectName("full_shot")
        # Pillow decodes the shot (Qt has no AVIF plugin) and scales it to fit
        from tracker.capture import display_copy

        pixmap = QPixmap()
        shown, problem = None, "file missing"
        if slot.shot_path is not None:
            image, problem = read_for_display(pictures, slot.contract_id, slot.slot_start,
                                              slot.shot_path, "shot")
            shown = display_copy(image, (1280, 800)) if image else None
        if problem:
            picture.setText(f"The screenshot is unreadable: {problem}.")
        elif shown is None or not pixmap.loadFromData(shown, "PNG"):
            picture.setText("The screenshot file is missing.")
        else:
            picture.setPixmap(pixmap)
        layout.addWidget(picture)


def ask_confirmation(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class DiaryWindow(QWidget):
    """Shows a :class:`DiaryDay`; forwards the user's intents.

    Signals: ``day_requested(day_start)`` (local midnight, aware), ``week_requested(week_start)``
    (Monday 00:00 UTC of the shown day's week), ``delete_requested(slot)``,
    ``manual_time_requested(contract_id, start, end, memo)``, ``closed()`` (closed or
    hidden by the app, not minimised).
    ``confirm`` and ``ask_manual_time`` are replaceable so tests need no modal loop.
    """

    day_requested = Signal(object)
    week_requested = Signal(object)
    delete_requested = Signal(object)
    manual_time_requested = Signal(int, object, object, str)
    closed = Signal()

    def __init__(self, pictures: PictureReader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pictures = pictures  # the store: shot files are decrypted in memory
        self.thumbnails = ThumbnailCache()
        self.setWindowTitle("Work diary — Workdiary")
        self.setWindowIcon(app_icon())
        self.setObjectName("page")
        self.quit_on_close = False
        self.confirm: Callable[[QWidget, str, str], bool] = ask_confirmation
        self.ask_manual_time: Callable[[QWidget, date], tuple[datetime, datetime, str] | None] = (
            ask_manual_time
        )
        self.day = DiaryDay(day_start=datetime.combine(date.today(), time()).astimezone(),
                            contract=None)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 14)
        outer.setSpacing(10)

        header = QHBoxLayout()
        self.previous_button = QPushButton("◀")
        self.previous_button.setFixedWidth(36)
        self.previous_button.clicked.connect(lambda: self._request_day(-1))
        self.next_button = QPushButton("▶")
        self.next_button.setFixedWidth(36)
        self.next_button.clicked.connect(lambda: self._request_day(+1))
        self.today_button = QPushButton("Today")
        self.today_button.clicked.connect(self._on_today_button_clicked)
        self.title = QLabel()
        self.title.setObjectName("title")
        header.addWidget(self.previous_button)
        header.addWidget(self.next_button)
        header.addWidget(self.today_button)
        header.addSpacing(8)
        header.addWidget(self.title, 1)
        self.week_button = QPushButton("Week")
        self.week_button.setToolTip("This day's week as a timesheet, against the cap")
        self.week_button.clicked.connect(
            lambda: self.week_requested.emit(week_start(self.day.day_start)))
        header.addWidget(self.week_button)
        self.manual_button = QPushButton("Add manual time")
        self.manual_button.clicked.connect(self._on_manual_button_clicked)
        header.addWidget(self.manual_button)
        outer.addLayout(header)

        self.summary = QLabel()
        self.summary.setObjectName("muted")
        outer.addWidget(self.summary)

        self.slot_area = QScrollArea()
        self.slot_area.setWidgetResizable(True)
        outer.addWidget(self.slot_area, 1)
        self.resize(7 * (THUMB_SIZE.width() + 26) + 60, 640)

    def show_day(self, day: DiaryDay) -> None:
        self.day = day
        self.title.setText(local_day(day.day_start))
        contract = day.contract
        contract_text = f"{contract.title} · " if contract else ""
        synced = sum(s.minutes for s in day.slots if s.sync_state is SlotSyncState.SYNCED)
        self.summary.setText(
            f"{contract_text}{hours_minutes_long(day.total_minutes)} tracked"
            f" · {hours_minutes_long(synced)} synced · {plural(len(day.slots), 'slot')}"
        )
        self.manual_button.setVisible(bool(contract and contract.manual_time_allowed))
        # a live refresh must not jump the view back to the first hour
        scrolled = self.slot_area.verticalScrollBar().value()
        grid = self._build_grid(day)
        self.slot_area.setWidget(grid)
        grid.adjustSize()
        self.slot_area.verticalScrollBar().setValue(scrolled)

    def _build_grid(self, day: DiaryDay) -> QWidget:
        grid = QWidget()
        grid.setObjectName("page")
        rows = QVBoxLayout(grid)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(10)
        if not day.slots:
            empty = QLabel("Nothing tracked on this day.")
            empty.setObjectName("muted")
            empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
            rows.addWidget(empty)
            rows.addStretch(1)
            return grid
        by_start = {slot.slot_start.astimezone(): slot for slot in day.slots}
        hours = sorted({start.replace(minute=0) for start in by_start})
        for hour in hours:
            row = QHBoxLayout()
            row.setSpacing(8)
            label = QLabel(hour.strftime("%H:00"))
            label.setFixedWidth(48)
            label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight)
            label.setObjectName("hour_label")
            row.addWidget(label)
            hour_minutes = 0
            for index in range(SLOTS_PER_HOUR):
                start = hour + timedelta(minutes=10 * index)
                slot = by_start.get(start)
                hour_minutes += slot.minutes if slot else 0
                cell = SlotCell(slot, start, self._pictures, thumbnails=self.thumbnails)
                cell.delete_clicked.connect(self._on_cell_delete_clicked)
                cell.shot_clicked.connect(self._on_cell_shot_clicked)
                row.addWidget(cell)
            total = QLabel(hours_minutes(hour_minutes))
            total.setFixedWidth(40)
            total.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            total.setObjectName("hour_total")
            row.addWidget(total)
            row.addStretch(1)
            rows.addLayout(row)
        rows.addStretch(1)
        return grid

    def hideEvent(self, event: QHideEvent) -> None:
        """Drop the day's cells and thumbnails while hidden (about 24 MiB for 60 slots);
        showing the window again rebuilds them from the store. A minimised window
        (a spontaneous hide) keeps them."""
        super().hideEvent(event)
        if not event.spontaneous():
            self.slot_area.setWidget(QWidget())  # deletes the old grid
            self.thumbnails.clear()
            # the style's rendered cell frames and chips (Qt keeps up to 10 MiB of them
            # for the whole app; measured -1.3 MiB RSS after a 60-slot day closed)
            QPixmapCache.clear()
            give_back_memory()
            self.closed.emit()

    def cells(self) -> list[SlotCell]:
        widget = self.slot_area.widget()
        return [] if widget is None else widget.findChildren(SlotCell)

    def _request_day(self, offset_days: int) -> None:
        start = (self.day.day_start + timedelta(days=offset_days)).replace(hour=0, minute=0)
        self.day_requested.emit(start)

    def _on_today_button_clicked(self) -> None:
        self.day_requested.emit(datetime.combine(date.today(), time()).astimezone())

    def _on_cell_delete_clicked(self, slot: DiarySlot) -> None:
        end = slot.slot_start + timedelta(minutes=10)
        where = "on this computer" if slot.sync_state is not SlotSyncState.SYNCED else (
            "here and on the server")
        text = (
            f"Delete the slot {local_time(slot.slot_start)}–{local_time(end)}?\n\n"
            f"Its {slot.minutes} min will be removed from your time and not billed, "
            f"and its screenshot is deleted {where}. This cannot be undone."
        )
        if self.confirm(self, "Delete slot", text):
            self.delete_requested.emit(slot)

    def _on_cell_shot_clicked(self, slot: DiarySlot) -> None:
        viewer = ShotViewer(slot, self._pictures, self)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.show()

    def _on_manual_button_clicked(self) -> None:
        contract: Contract | None = self.day.contract
        if contract is None:
            return
        answer = self.ask_manual_time(self, self.day.day_start.date())
        if answer is not None:
            start, end, memo = answer
            self.manual_time_requested.emit(contract.id, start, end, memo)
