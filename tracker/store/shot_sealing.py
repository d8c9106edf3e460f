"""Sealing, once, the shot files older versions wrote in the clear.

Before shots were sealed at rest, a shot and its thumbnail were the plain WebP/AVIF
and JPEG files. They still read (the magic header tells the two kinds apart), and this
sweep rewrites each in place, sealed, the same way a new file is written (temporary
name, fsync, ``os.replace``, 0600). Their recorded sha256 and size stay: they are of the
plain picture. A setting remembers that the sweep went through, so later starts do not
read every file's header again.
"""

from __future__ import annotations

import logging
from datetime import datetime

from tracker.shot_seal import ShotPart, is_sealed, seal
from tracker.store.settings import Settings
from tracker.store.shots import ShotFiles, fsync_dir, write_private_file

log = logging.getLogger(__name__)

SEALED_SETTING = "shot_files_sealed"


class PlainShotSealing(ShotFiles, Settings):
    """The one-time sweep over plain shot files (run it off the GUI thread)."""

    def seal_plain_shot_files(self) -> int:
        """Seal every plain shot file a slot names; returns how many were sealed. Does
        nothing without a key, or once a sweep went through."""
        if self.shot_keys is None or self.get_setting(SEALED_SETTING) is not None:
            return 0
        with self._lock:
            rows = self._conn.execute(
                "SELECT contract_id, slot_start, shot_path, thumb_path FROM slots "
                "WHERE shot_path IS NOT NULL"
            ).fetchall()
        sealed = 0
        for contract_id, start_text, shot_path, thumb_path in rows:
            start = datetime.fromisoformat(str(start_text))
            sealed += self._seal_in_place(int(contract_id), start, str(shot_path), "shot")
            sealed += self._seal_in_place(int(contract_id), start, str(thumb_path), "thumbnail")
        self.set_setting(SEALED_SETTING, "1")
        if sealed:
            log.info("sealed %d shot files written in the clear by an older version", sealed)
        return sealed

    def _seal_in_place(self, contract_id: int, start: datetime, relative: str,
                       part: ShotPart) -> int:
        assert self.shot_keys is not None
        path = self.data_dir / relative
        # under the lock, and only while a slot still names it: a Delete or Blur that
        # removes the file meanwhile must not find it brought back
        with self._lock:
            named = self._conn.execute(
                "SELECT 1 FROM slots WHERE contract_id=? AND (shot_path=? OR thumb_path=?)",
                (contract_id, relative, relative),
            ).fetchone()
            if named is None:
                return 0
            try:
                plain = path.read_bytes()
            except OSError as error:  # reported where it is read (diary, upload)
                log.warning("%s: cannot seal the shot file: %s", path, error)
                return 0
            if is_sealed(plain):
                return 0
            write_private_file(path, seal(plain, self.shot_keys.sealing, contract_id, start,
                                          part))
            fsync_dir(path.parent)
        return 1
