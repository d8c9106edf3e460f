"""The consent asked once per contract before its first start (DOMAIN.md, Consent)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from tracker.consent import CollectionTerms
from tracker.contract import Contract
from ui.dialog_parts import button, button_row, label


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
        layout.addWidget(label(f"Before you start on “{contract.title}”", "title", wrap=True))
        layout.addWidget(label("While you track time on this contract, Workdiary records the "
                               "following and sends it to the client's work diary:",
                               "muted", wrap=True))
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
        layout.addWidget(label("You are asked once per contract, and again if the client "
                               "changes these settings.", "muted", wrap=True))
        self.not_now_button = button("Not now", self.reject)
        self.accept_button = button(
            "Accept and start", self._on_accept_clicked, "primary", default=True
        )
        layout.addLayout(button_row(self.not_now_button, self.accept_button))

    def _on_accept_clicked(self) -> None:
        self.accepted_terms.emit(self.contract.id)
        self.accept()
