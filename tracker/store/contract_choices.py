"""What the freelancer chose per contract: the last memo, and the consent to collection.

The memo is kept so a restart (or switching contracts) brings back what was being worked
on; the consent records the terms as shown when accepted, so a later change of the
contract's settings (say, screenshots turned on) asks again.
"""

from __future__ import annotations

from datetime import datetime

from tracker.store.database import Database
from tracker.store.rows import instant_text


class ContractChoices(Database):
    """The last memo and the accepted consent terms, per contract."""

    def remember_memo(self, contract_id: int, memo: str, now: datetime) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO contract_memos (contract_id, memo, changed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (contract_id) DO UPDATE SET memo = excluded.memo, "
                "changed_at = excluded.changed_at",
                (contract_id, memo, instant_text(now)),
            )

    def last_memo(self, contract_id: int) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT memo FROM contract_memos WHERE contract_id = ?", (contract_id,)
            ).fetchone()
        return None if row is None else str(row[0])

    def record_consent(self, contract_id: int, terms: str, now: datetime) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO consents (contract_id, terms, accepted_at) VALUES (?, ?, ?) "
                "ON CONFLICT (contract_id) DO UPDATE SET terms = excluded.terms, "
                "accepted_at = excluded.accepted_at",
                (contract_id, terms, instant_text(now)),
            )

    def consented_terms(self, contract_id: int) -> str | None:
        """The terms the freelancer accepted for ``contract_id``, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT terms FROM consents WHERE contract_id = ?", (contract_id,)
            ).fetchone()
        return None if row is None else str(row[0])
