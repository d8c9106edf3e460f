"""The contract cache: what the server last said about the contracts, for offline starts."""

from __future__ import annotations

from collections.abc import Sequence

from tracker.contract import Contract
from tracker.store.database import Database
from tracker.store.rows import optional_text, text_instant


class ContractCache(Database):
    """The cached contract list, replaced whole at each refresh."""

    def save_contracts(self, contracts: Sequence[Contract]) -> None:
        """Replace the cached contract list (what the server last said)."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM contracts")
            conn.executemany(
                "INSERT INTO contracts VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        c.id,
                        c.title,
                        c.rate_cents,
                        c.currency,
                        c.weekly_cap_minutes,
                        int(c.screenshots_enabled),
                        int(c.blur_shots),
                        int(c.manual_time_allowed),
                        int(c.active),
                        c.server_week_minutes,
                        optional_text(c.server_week_start),
                        optional_text(c.fetched_at),
                    )
                    for c in contracts
                ],
            )

    def contracts(self) -> list[Contract]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM contracts ORDER BY title, id").fetchall()
        return [
            Contract(
                id=int(r[0]),
                title=str(r[1]),
                rate_cents=int(r[2]),
                currency=str(r[3]),
                weekly_cap_minutes=None if r[4] is None else int(r[4]),
                screenshots_enabled=bool(r[5]),
                blur_shots=bool(r[6]),
                manual_time_allowed=bool(r[7]),
                active=bool(r[8]),
                server_week_minutes=int(r[9]),
                server_week_start=text_instant(r[10]),
                fetched_at=text_instant(r[11]),
            )
            for r in rows
        ]

    def contract(self, contract_id: int) -> Contract | None:
        return next((c for c in self.contracts() if c.id == contract_id), None)
