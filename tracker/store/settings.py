"""Small named settings kept with the data (e.g. the server last signed in to)."""

from __future__ import annotations

from tracker.store.database import Database


class Settings(Database):
    """Text values by name."""

    def get_setting(self, name: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM settings WHERE name=?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, name: str, value: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO settings (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
