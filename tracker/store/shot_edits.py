"""Replacing a stored slot's shot before upload (the freelancer blurred it)."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import datetime

from tracker.model import Slot, SlotNotFound
from tracker.shot import EncodedShot
from tracker.slots import slot_key
from tracker.store.errors import SlotConflict
from tracker.store.rows import server_may_hold
from tracker.store.slots import SlotTable


class ShotEdits(SlotTable):
    """A new picture for a slot the server cannot hold yet."""

    def replace_shot(self, contract_id: int, start: datetime, encoded: EncodedShot) -> Slot:
        """Save ``encoded`` as the slot's shot and remove the old files. Refused
        (:class:`SlotConflict`) once an upload of the slot was sent: the server may hold
        the old picture, and a slot's body cannot change under it."""
        shot = self.save_shot(contract_id, start, encoded)
        try:
            with self._transaction() as conn:
                existing = self._get(contract_id, start)
                if existing is None or existing.deleted_at is not None or existing.shot is None:
                    raise SlotNotFound(f"no shot for slot {slot_key(start)} of {contract_id}")
                if server_may_hold(existing):
                    raise SlotConflict(self.db_path, "the slot was already sent; its screenshot "
                                       "can only be deleted now")
                conn.execute("DELETE FROM slots WHERE contract_id=? AND slot_start=?",
                             (contract_id, slot_key(start)))
                self._insert(replace(existing, shot=shot))
        except BaseException:
            with contextlib.suppress(OSError):
                self.discard_shot_file(shot)
            raise
        self.discard_shot_file(existing.shot)
        stored = self._get(contract_id, start)
        assert stored is not None
        return stored
