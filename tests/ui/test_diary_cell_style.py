"""The diary's cells are styled by the app's one sheet (object names and properties),
not by a sheet per widget: each of those is a style object of its own, some 360 for a
60-slot day. The colours still come out as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from ui.diary_window import DiaryWindow, SlotCell, plain_tip
from ui.style import CHIP_COLOURS
from ui.view_state import DiaryDay, DiarySlot, SlotSyncState

FIRST = datetime(2026, 3, 2, 8, tzinfo=UTC)


class NoPictures:
    def read_picture(self, contract_id: int, slot: datetime, path: Path, part: str) -> bytes:
        raise FileNotFoundError(2, "No such file", str(path))


def _day() -> DiaryDay:
    states = [SlotSyncState.HELD, SlotSyncState.PENDING, SlotSyncState.SYNCED,
              SlotSyncState.REJECTED]
    slots = tuple(
        DiarySlot(1, FIRST + timedelta(minutes=10 * n), 10, 5, "memo", state,
                  thumbnail_path=Path(f"/nowhere/{n}.jpg"))
        for n, state in enumerate(states))
    return DiaryDay(day_start=FIRST.astimezone().replace(hour=0, minute=0), contract=None,
                    slots=slots)


def test_the_cells_carry_no_style_sheet_of_their_own_and_keep_their_colours(
    qtbot: QtBot, styled_app: QApplication
) -> None:
    diary = DiaryWindow(NoPictures())
    qtbot.addWidget(diary)
    diary.show_day(_day())
    diary.show()
    qtbot.waitExposed(diary)
    cells = [cell for cell in diary.cells() if cell.slot is not None]
    qtbot.waitUntil(lambda: all(cell.thumbnail.loaded for cell in cells))
    grid = diary.slot_area.widget()
    assert grid is not None
    assert [w.objectName() for w in grid.findChildren(QWidget) if w.styleSheet()] == []
    for cell, kind in zip(cells, ("held", "pending", "synced", "rejected"), strict=True):
        assert _chip_paper(cell) == QColor(CHIP_COLOURS[kind][1])
    # a file that cannot be read turns the dark picture frame into the pale placeholder
    assert cells[0].thumbnail.text() == "Shot unreadable:\nfile missing"
    inside = cells[0].thumbnail.grab().toImage().pixelColor(3, 40)
    assert inside == QColor("#F1F5F9")


def _chip_paper(cell: SlotCell) -> QColor:
    chip = cell.findChild(QLabel, "sync_chip")
    assert chip is not None
    return chip.grab().toImage().pixelColor(chip.width() // 2, 1)


def test_a_memo_that_looks_like_markup_is_shown_as_typed(
    qtbot: QtBot, styled_app: QApplication
) -> None:
    """"fix the <b>bold</b> <br> tags" is a memo, not HTML: the cell shows its words and
    its tooltip gives them back as written (Qt would render both as markup)."""
    memo = "<b>x</b> a<br>b &"
    slot = DiarySlot(1, FIRST, 10, 5, memo, SlotSyncState.HELD, reason="<i>late</i>")
    cell = SlotCell(slot, FIRST, NoPictures())
    qtbot.addWidget(cell)
    label = cell.findChild(QLabel, "slot_memo")
    assert label is not None
    assert label.text() == memo  # it fits: nothing elided
    assert label.textFormat() == Qt.TextFormat.PlainText
    document = QTextDocument()
    document.setHtml(label.toolTip())
    assert document.toPlainText() == memo
    chip = cell.findChild(QLabel, "sync_chip")
    assert chip is not None
    document.setHtml(chip.toolTip())
    assert document.toPlainText().startswith("<i>late</i>")
    assert plain_tip("an ordinary memo") == "an ordinary memo"  # shown as before
