"""Qt programs for the screen corpus: a code editor and a spreadsheet grid, full screen.

    python bench/scenes/qt_apps.py editor|grid WIDTH HEIGHT TRUTH_FILE

Run by bench/shot_corpus.py on an Xvfb display (QT_SCALE_FACTOR sets HiDPI at 4K). Once
shown, the program writes the text it shows to TRUTH_FILE, one line per line on screen
(the ground truth of the OCR gate in bench/codec.py): what lies wholly in view.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QPalette,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QApplication,
    QListWidget,
    QMainWindow,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

ROOT = Path(__file__).resolve().parents[2]
RULES = [
    (
        r"\b(def|class|return|import|from|if|else|elif|for|in|with|try|except|raise|None|True"
        r"|False|and|or|not|as|while|yield|lambda)\b",
        "#cba6f7",
    ),
    (r"\b[A-Z][A-Za-z0-9_]+\b", "#f9e2af"),
    (r"\b\d+(\.\d+)?\b", "#fab387"),
    (r"\"[^\"\n]*\"|'[^'\n]*'", "#a6e3a1"),
    (r"#[^\n]*", "#7f849c"),
]


class PythonColours(QSyntaxHighlighter):
    """Keywords, names, numbers, strings and comments, as an editor's dark theme."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._rules = []
        for pattern, colour in RULES:
            style = QTextCharFormat()
            style.setForeground(QColor(colour))
            self._rules.append((re.compile(pattern), style))

    def highlightBlock(self, text: str) -> None:  # Qt names it
        for pattern, style in self._rules:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), style)


def dark_palette(app: QApplication) -> None:
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#181825"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#1e1e2e"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#cdd6f4"))
    palette.setColor(QPalette.ColorRole.WindowText, QColor("#cdd6f4"))
    app.setPalette(palette)


def editor() -> tuple[QWidget, Callable[[], list[str]]]:
    """The editor and how to read what it shows."""
    splitter = QSplitter()
    files = QListWidget()
    files.addItems(sorted(p.name for p in (ROOT / "tracker").glob("*.py")))
    text = QPlainTextEdit()
    text.setFont(QFont("DejaVu Sans Mono", 11))
    text.setPlainText((ROOT / "tracker" / "capture.py").read_text())
    text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    text.highlighter = PythonColours(text.document())  # type: ignore[attr-defined]
    splitter.addWidget(files)
    splitter.addWidget(text)
    splitter.setSizes([260, 1600])
    return splitter, lambda: [*listed(files), *shown_code(text)]


def listed(files: QListWidget) -> list[str]:
    view = files.viewport().rect()
    items = [files.item(row) for row in range(files.count())]
    return [item.text() for item in items if view.contains(files.visualItemRect(item))]


def shown_code(text: QPlainTextEdit) -> list[str]:
    """The lines wholly in view, each cut where the view ends (no wrapping)."""
    view = text.viewport().rect()
    columns = int(
        (view.width() - text.document().documentMargin())
        // text.fontMetrics().horizontalAdvance("M")
    )
    lines = []
    block = text.firstVisibleBlock()
    while block.isValid():
        box = text.blockBoundingGeometry(block).translated(text.contentOffset())
        if box.bottom() > view.height():
            break
        lines.append(block.text()[:columns])
        block = block.next()
    return lines


def grid_rows() -> tuple[list[str], list[list[str]]]:
    """The spreadsheet's header and rows: dates, clients, hours, money, a status, and
    twenty columns of figures (seeded: the same every run)."""
    rng = random.Random(13)
    headers = ["Date", "Client", "Hours", "Rate", "Amount", "Status", *(f"W{n}" for n in range(20))]
    clients = ["Acme Ltd", "Globex", "Initech", "Umbrella", "Hooli", "Stark Ind."]
    rows = []
    for row in range(80):
        hours = rng.randint(5, 45) + rng.choice((0, 0.25, 0.5, 0.75))
        rate = rng.choice((35, 45, 60, 85))
        status = rng.choice(("paid", "open", "disputed"))
        values = [
            f"2026-{1 + row % 12:02d}-{1 + row % 28:02d}",
            rng.choice(clients),
            f"{hours:.2f}",
            f"${rate}.00",
            f"${hours * rate:,.2f}",
            status,
        ]
        rows.append(values + [f"{rng.uniform(0, 9999):,.1f}" for _ in range(20)])
    return headers, rows


STATUS_COLOURS = {"paid": "#c6efce", "open": "#ffeb9c", "disputed": "#ffc7ce"}


def grid() -> tuple[QWidget, Callable[[], list[str]]]:
    """The spreadsheet and how to read what it shows."""
    headers, rows = grid_rows()
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(headers)
    for row, values in enumerate(rows):
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            if column == 5:
                item.setBackground(QBrush(QColor(STATUS_COLOURS[value])))
            table.setItem(row, column, item)
    table.setAlternatingRowColors(True)
    return table, lambda: shown_cells(table, headers, rows)


def shown_cells(table: QTableWidget, headers: list[str], rows: list[list[str]]) -> list[str]:
    """One line per header, row number and cell wholly in view, column by column (as
    tesseract reads a grid: a row of cells is not a line of text to it)."""
    view = table.viewport().rect()
    columns = [
        c
        for c in range(len(headers))
        if table.columnViewportPosition(c) + table.columnWidth(c) <= view.width()
    ]
    shown = [
        r
        for r in range(len(rows))
        if table.rowViewportPosition(r) >= 0
        and table.rowViewportPosition(r) + table.rowHeight(r) <= view.height()
    ]
    lines = [str(r + 1) for r in shown]
    for column in columns:
        lines += [headers[column], *(rows[r][column] for r in shown)]
    return lines


def main() -> None:
    scene, width, height, truth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    app = QApplication(sys.argv)
    app.setCursorFlashTime(0)  # a blinking caret would keep the screen from settling
    if scene == "editor":
        dark_palette(app)
    window = QMainWindow()
    widget, shown = editor() if scene == "editor" else grid()
    window.setCentralWidget(widget)
    status = (
        "Ln 1, Col 1    UTF-8    Python" if scene == "editor" else "Sum: 31,415.50    Count: 80"
    )
    window.statusBar().showMessage(status)
    scale = float(QApplication.primaryScreen().devicePixelRatio())
    window.setGeometry(0, 0, round(width / scale), round(height / scale))
    window.show()

    def write_truth() -> None:  # once laid out at its full size
        Path(truth).write_text("\n".join([*shown(), status]))

    QTimer.singleShot(2000, write_truth)
    app.exec()


if __name__ == "__main__":
    main()
