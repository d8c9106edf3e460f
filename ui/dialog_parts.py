"""The pieces every small dialog is built of: its labels and its row of buttons."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton


def label(text: str, name: str = "", *, wrap: bool = False) -> QLabel:
    """A label styled by its object ``name`` ("title", "muted" …) in the app's sheet."""
    made = QLabel(text)
    if name:
        made.setObjectName(name)
    made.setWordWrap(wrap)
    return made


def button(
    text: str, clicked: Callable[[], object], name: str = "", *, default: bool = False
) -> QPushButton:
    """A push button that calls ``clicked``; ``name`` picks its style ("primary", "danger")."""
    made = QPushButton(text)
    if name:
        made.setObjectName(name)
    made.setDefault(default)
    made.clicked.connect(clicked)
    return made


def button_row(*buttons: QPushButton) -> QHBoxLayout:
    """The buttons at the right edge of a dialog, in the order given."""
    row = QHBoxLayout()
    row.addStretch(1)
    for each in buttons:
        row.addWidget(each)
    return row
