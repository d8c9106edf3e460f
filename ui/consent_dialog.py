"""The consent asked once per contract before its first start (DOMAIN.md, Consent)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tracker.consent import CollectionTerms
from tracker.contract import Contract


class ConsentDialog(QDialog):
    """What the contract collects, with Accept and start / Not now. Esc is Not now.

    Signals: ``accepted_terms(contract_id)`` when the freelancer accepts.
    """

    accepted_terms = Signal(int)

    def __init__(self, contract: Contract, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.contract = contract
        self.terms = CollectionTerms.of(contract)
        self.setWindowTitle("What this contract records — Workdiary")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 18)
        layout.setSpacing(12)
        title = QLabel(f"Before you start on “{contract.title}”")
        title.setObjectName("title")
        title.setWordWrap(True)
        layout.addWidget(title)
        intro = QLabel("While you track time on this contract, Workdiary records the "
                       "following and sends it to the client's work diary:")
        intro.setWordWrap(True)
        intro.setObjectName("muted")
        layout.addWidget(intro)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        self.rows: dict[str, QLabel] = {}
        for row, (what, how) in enumerate(self.terms.lines()):
            name = QLabel(what)
            name.setStyleSheet("font-weight: 600;")
            name.setAlignment(Qt.AlignmentFlag.AlignTop)
            text = QLabel(how)
            text.setWordWrap(True)
            grid.addWidget(name, row, 0)
            grid.addWidget(text, row, 1)
            self.rows[what] = text
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        note = QLabel("You are asked once per contract, and again if the client changes "
                      "these settings.")
        note.setWordWrap(True)
        note.setObjectName("muted")
        layout.addWidget(note)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.not_now_button = QPushButton("Not now")
        self.not_now_button.clicked.connect(self.reject)
        self.accept_button = QPushButton("Accept and start")
        self.accept_button.setObjectName("primary")
        self.accept_button.setDefault(True)
        self.accept_button.clicked.connect(self._on_accept_clicked)
        buttons.addWidget(self.not_now_button)
        buttons.addWidget(self.accept_button)
        layout.addLayout(buttons)

    def _on_accept_clicked(self) -> None:
        self.accepted_terms.emit(self.contract.id)
        self.accept()
