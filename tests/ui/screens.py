"""Saving a window to artifacts/screens/ so a person can look at it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget


def save_screen(widget: QWidget, path: Path) -> None:
    widget.show()
    widget.adjustSize()
    QApplication.processEvents()
    image = widget.grab()
    assert not image.isNull() and image.width() > 200
    assert image.save(str(path))
