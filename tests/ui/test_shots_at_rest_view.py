"""The diary and the last-shot preview show sealed shots (decrypted in memory), and say
"shot unreadable: key missing" — keeping the slot and its time — without the key."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from tests.support.shot_keys import OTHER_SHOT_KEYS
from tests.ui.harness import ACME, MONDAY_9, tray_app
from tracker.capture import ShotFormat, encode_shot
from tracker.shot import ShotFile
from tracker.shot_seal import is_sealed
from tracker.store import MinuteActivity, Slot, Store
from ui.diary_window import ShotViewer


def test_sealed_shots_show_in_the_preview_the_diary_and_the_viewer(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Sealed")
        app.shell.show_timer()
        app.advance(11 * 60, typing=True)
        app.controller.stop()
        stored = app.controller.store.get_slot(ACME.id, MONDAY_9)
        assert stored is not None and stored.shot is not None
        assert is_sealed(stored.shot.path.read_bytes())
        assert is_sealed(stored.shot.thumbnail_path.read_bytes())
        panel = app.shell.timer_window.tracking.last_shot
        app.controller.refresh()
        preview = panel.thumbnail.pixmap()
        assert preview is not None and not preview.isNull()

        app.shell.show_diary(MONDAY_9)
        cell = next(c for c in app.shell.diary_window.cells() if c.slot is not None)
        qtbot.waitUntil(lambda: cell.thumbnail.loaded)  # read when first painted
        thumbnail = cell.thumbnail.pixmap()
        assert thumbnail is not None and not thumbnail.isNull()
        qtbot.mouseClick(cell.thumbnail, Qt.MouseButton.LeftButton)
        viewer = app.shell.diary_window.findChild(ShotViewer)
        assert viewer is not None
        full = viewer.findChild(QLabel, "full_shot")
        assert full is not None and full.pixmap() is not None and not full.pixmap().isNull()
        viewer.close()


def test_without_the_key_the_diary_says_so_and_keeps_the_slot(
    qtbot: QtBot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Before the keyring was lost")
        app.advance(11 * 60, typing=True)
        app.controller.stop()
        stored = app.controller.store.get_slot(ACME.id, MONDAY_9)
        assert stored is not None and stored.shot is not None
        thumbnail_file = stored.shot.thumbnail_path
    # the next start finds another key in the keyring: the old one is gone
    with caplog.at_level(logging.WARNING, logger="ui.shot_pictures"), \
            tray_app(qtbot, tmp_path, shot_keys=OTHER_SHOT_KEYS) as app:
        app.sign_in()
        app.shell.show_diary(MONDAY_9)
        cells = [c for c in app.shell.diary_window.cells() if c.slot is not None]
        assert [(c.slot.slot_start, c.slot.minutes) for c in cells] == [  # type: ignore[union-attr]
            (MONDAY_9, 10), (MONDAY_9.replace(minute=10), 1)]
        qtbot.waitUntil(lambda: cells[0].thumbnail.loaded)  # read when first painted
        assert cells[0].thumbnail.text() == "Shot unreadable:\nkey missing"
        assert str(thumbnail_file) in cells[0].thumbnail.toolTip()
        assert any(str(thumbnail_file) in r.getMessage() and "key missing" in r.getMessage()
                   for r in caplog.records)
        assert "1:11" not in app.shell.diary_window.summary.text()
        assert "11 min" in app.shell.diary_window.summary.text()


def test_without_any_key_no_shot_is_saved_and_the_slot_says_why(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with tray_app(qtbot, tmp_path, shot_keys=None) as app:
        app.sign_in()
        app.controller.start(ACME.id, "No keyring, no file")
        app.advance(11 * 60, typing=True)
        app.controller.stop()
        stored = app.controller.store.get_slot(ACME.id, MONDAY_9)
        assert stored is not None and stored.minute_count == 10
        assert stored.shot is None and stored.shot_state == "unavailable"
        assert stored.capture_note == "shot not saved: no key to encrypt it with"
        assert not list((tmp_path / "data").rglob("*.avif"))


def test_plain_shots_of_an_older_version_are_sealed_at_start_and_still_show(
    qtbot: QtBot, tmp_path: Path
) -> None:
    encoded = encode_shot(Image.new("RGB", (640, 360), (30, 120, 200)), MONDAY_9, False,
                          ShotFormat(media_type="image/webp"))
    folder = tmp_path / "data" / "shots" / str(ACME.id) / "2026-11-23"
    folder.mkdir(parents=True)
    plain = ShotFile(path=folder / "0900-old.webp", thumbnail_path=folder / "0900-old.thumb.jpg",
                     sha256=hashlib.sha256(encoded.image_bytes).hexdigest(),
                     size_bytes=len(encoded.image_bytes), media_type="image/webp",
                     width=640, height=360, taken_at=MONDAY_9)
    plain.path.write_bytes(encoded.image_bytes)  # as versions before sealing wrote them
    plain.thumbnail_path.write_bytes(encoded.thumbnail_bytes)
    with Store(tmp_path / "data", None) as older:  # an older version had no key
        older.write_slot(Slot(contract_id=ACME.id, slot_start=MONDAY_9, memo="old",
                              minutes=tuple(MinuteActivity(i, 1, 1) for i in range(10)),
                              shot=plain, shot_state="taken"))
    with tray_app(qtbot, tmp_path) as app:
        qtbot.waitUntil(lambda: is_sealed(plain.path.read_bytes())
                        and is_sealed(plain.thumbnail_path.read_bytes()), timeout=10_000)
        app.sign_in()
        app.shell.show_diary(MONDAY_9)
        cell = next(c for c in app.shell.diary_window.cells() if c.slot is not None)
        qtbot.waitUntil(lambda: cell.thumbnail.loaded)  # read when first painted
        thumbnail = cell.thumbnail.pixmap()
        assert thumbnail is not None and not thumbnail.isNull()
        stored = app.controller.store.get_slot(ACME.id, MONDAY_9)
        assert stored is not None and app.controller.store.read_shot(stored) == (
            encoded.image_bytes)
