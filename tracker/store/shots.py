"""Shot files beside the database: ``shots/<contract>/<day>/`` (dirs 0700, files 0600).

Every file is sealed (AES-GCM, :mod:`tracker.shot_seal`) before it touches the disk, the
temporary file included; the picture exists in the clear only in memory, for the diary
and the upload. The sha256 and size recorded for a shot are those of the plain picture:
what the server receives and checks. Files older versions wrote in the clear still read
(:mod:`tracker.store.shot_sealing` seals them once).

Each file is written to a temporary name, fsynced and ``os.replace``d before the slot
row that names it is committed. A shot file saved for a slot that never got its row
(crash mid-slot) is an orphan: :meth:`ShotFiles.remove_orphan_shot_files` clears those.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from pathlib import Path

from diarychain.digest import sha256_hex
from tracker.model import Slot, SlotNotFound
from tracker.shot import EncodedShot, ShotFile
from tracker.shot_seal import ShotPart, seal, unseal
from tracker.slots import slot_start
from tracker.store.database import Database, make_private_dir
from tracker.store.errors import ShotKeyMissing


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private_file(path: Path, payload: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


class ShotFiles(Database):
    """Saving, reading and clearing shot files."""

    def save_shot(self, contract_id: int, slot: datetime, encoded: EncodedShot) -> ShotFile:
        """Seal a shot and its thumbnail and write them durably (0600 in 0700 dirs).
        Touches no table, so a capture worker thread may call it while the GUI thread
        uses the database. Raises :class:`ShotKeyMissing` without a key."""
        start = slot_start(slot)
        if self.shot_keys is None:
            raise ShotKeyMissing(self.shots_dir, "no key to encrypt shot files with; "
                                 "the shot was not saved")
        key = self.shot_keys.sealing
        sealed_image = seal(encoded.image_bytes, key, contract_id, start, "shot")
        sealed_thumbnail = seal(encoded.thumbnail_bytes, key, contract_id, start, "thumbnail")
        folder = self.shots_dir / str(contract_id) / start.strftime("%Y-%m-%d")
        for directory in (self.shots_dir, self.shots_dir / str(contract_id), folder):
            make_private_dir(directory)
        stem = f"{start.strftime('%H%M')}-{os.urandom(4).hex()}"
        path = folder / f"{stem}{encoded.file_suffix}"
        thumbnail_path = folder / f"{stem}.thumb{encoded.thumbnail_suffix}"
        write_private_file(path, sealed_image)
        try:
            write_private_file(thumbnail_path, sealed_thumbnail)
            fsync_dir(folder)
        except BaseException:  # disk full half-way: leave no shot without its thumbnail
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        return ShotFile(
            path=path,
            thumbnail_path=thumbnail_path,
            sha256=sha256_hex(encoded.image_bytes),
            size_bytes=len(encoded.image_bytes),
            media_type=encoded.media_type,
            width=encoded.width,
            height=encoded.height,
            taken_at=encoded.taken_at,
        )

    def discard_shot_file(self, shot: ShotFile) -> None:
        """Remove a saved shot that no slot will reference."""
        for path in (shot.path, shot.thumbnail_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def read_shot(self, slot: Slot) -> bytes:
        """The slot's picture as it was encoded (its recorded sha256 is of these bytes).
        Raises OSError for a missing file, :class:`ShotUnreadable` for one that cannot be
        decrypted (key missing, damaged, another slot's file)."""
        if slot.shot is None:
            raise SlotNotFound(f"slot {slot.key} of contract {slot.contract_id} has no shot")
        return self.read_picture(slot.contract_id, slot.slot_start, slot.shot.path, "shot")

    def read_picture(self, contract_id: int, slot: datetime, path: Path, part: ShotPart) -> bytes:
        """The picture in the shot file ``path`` of that slot (``part``: the shot or its
        thumbnail), decrypted in memory; raises as :meth:`read_shot`."""
        return unseal(path.read_bytes(), self.shot_keys, contract_id, slot, part, path)

    def remove_orphan_shot_files(self) -> list[Path]:
        """Delete shot files no slot row names, and leftover temporary files."""
        if not self.shots_dir.exists():
            return []
        with self._lock:
            base = str(self.data_dir)
            referenced = set()
            for shot_path, thumb_path in self._conn.execute(
                "SELECT shot_path, thumb_path FROM slots WHERE shot_path IS NOT NULL"
            ):
                referenced.add(os.path.join(base, shot_path))
                referenced.add(os.path.join(base, thumb_path))
        # os.walk on plain strings: this runs at every start over a year of shot files
        removed = []
        for folder, _dirs, names in os.walk(self.shots_dir):
            for name in names:
                path = os.path.join(folder, name)
                if path not in referenced:
                    os.unlink(path)
                    removed.append(Path(path))
        return sorted(removed)
