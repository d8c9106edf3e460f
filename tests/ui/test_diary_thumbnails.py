"""A long day in the diary reads only the thumbnails in view, keeps the scaled ones in
a bounded cache while open (a refresh reads no file again) and drops them on close, with
Qt's own pixmap cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtGui import QPixmap, QPixmapCache
from pytestqt.qtbot import QtBot

from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.ui.fakes import PaintedScreen
from tracker.capture import encode_shot
from tracker.model import MinuteActivity, Slot
from tracker.shot_seal import ShotPart
from tracker.store import Store
from ui.diary_window import DiaryWindow, ThumbnailCache
from ui.view_state import DiaryDay, DiarySlot, SlotSyncState

FIRST = datetime(2026, 3, 2, 8, tzinfo=UTC)
SLOTS = 60


class CountingReader:
    """The real store's reader, counting the thumbnails it decrypts."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.reads: list[Path] = []

    def read_picture(self, contract_id: int, slot: datetime, path: Path, part: ShotPart) -> bytes:
        self.reads.append(path)
        return self.store.read_picture(contract_id, slot, path, part)


def _long_day(store: Store) -> DiaryDay:
    shot = encode_shot(PaintedScreen().grab(), FIRST, blur=False)
    slots = []
    for n in range(SLOTS):
        start = FIRST + timedelta(minutes=10 * n)
        saved = store.save_shot(1, start, shot)
        store.write_slot(Slot(contract_id=1, slot_start=start, memo="long day",
                              minutes=tuple(MinuteActivity(i, 40, 60) for i in range(10)),
                              shot=saved, shot_state="taken"))
        slots.append(DiarySlot(1, start, 10, 10, "long day", SlotSyncState.PENDING,
                               thumbnail_path=saved.thumbnail_path, shot_path=saved.path))
    day_start = FIRST.astimezone().replace(hour=0, minute=0)
    return DiaryDay(day_start=day_start, contract=None, slots=tuple(slots))


def test_only_the_thumbnails_in_view_are_read_and_a_refresh_reads_none_again(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with Store(tmp_path / "data", TEST_SHOT_KEYS) as store:
        day = _long_day(store)
        reader = CountingReader(store)
        diary = DiaryWindow(reader)
        qtbot.addWidget(diary)
        diary.show_day(day)
        diary.show()
        qtbot.waitExposed(diary)
        first = next(c for c in diary.cells() if c.slot is not None)
        qtbot.waitUntil(lambda: first.thumbnail.loaded)
        filled = [c for c in diary.cells() if c.slot is not None]
        assert len(filled) == SLOTS
        in_view = len(reader.reads)
        assert 0 < in_view < SLOTS // 2  # a few hour rows of the ten
        assert not first.thumbnail.pixmap().isNull()
        assert not filled[-1].thumbnail.loaded

        diary.show_day(day)  # the open diary's refresh builds new cells
        first = next(c for c in diary.cells() if c.slot is not None)
        qtbot.waitUntil(lambda: first.thumbnail.loaded)
        assert len(reader.reads) == in_view  # all from the cache
        assert not first.thumbnail.pixmap().isNull()

        last = [c for c in diary.cells() if c.slot is not None][-1]
        diary.slot_area.ensureWidgetVisible(last)
        qtbot.waitUntil(lambda: last.thumbnail.loaded)
        assert not last.thumbnail.pixmap().isNull()

        QPixmapCache.insert("rendered-by-the-style", QPixmap(8, 8))
        diary.close()
        assert len(diary.thumbnails) == 0
        assert QPixmapCache.find("rendered-by-the-style") is None  # Qt's cache given back


def _key(path: Path) -> tuple[Path, int, int]:
    key = ThumbnailCache.key(path)
    assert key is not None
    return key


def test_the_thumbnail_cache_keeps_the_most_recent_and_reads_a_rewritten_file(
    qtbot: QtBot, tmp_path: Path
) -> None:
    cache = ThumbnailCache(size=2)
    files = [tmp_path / f"{n}.jpg" for n in range(3)]
    for file in files:
        file.write_bytes(b"x")
    keys = [_key(file) for file in files]
    cache.put(keys[0], QPixmap(4, 4))
    cache.put(keys[1], QPixmap(4, 4))
    assert cache.get(keys[0]) is not None  # now the most recent
    cache.put(keys[2], QPixmap(4, 4))
    assert len(cache) == 2
    assert cache.get(keys[1]) is None  # the least recent went
    assert cache.get(keys[0]) is not None
    files[0].write_bytes(b"blurred")  # a rewritten file (a blurred shot) is another key
    assert _key(files[0]) != keys[0]
    assert ThumbnailCache.key(tmp_path / "gone.jpg") is None
