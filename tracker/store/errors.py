"""What can go wrong opening or changing the store; each error names the file."""

from __future__ import annotations

from pathlib import Path

from tracker.store.schema import SCHEMA_VERSION


class StoreError(Exception):
    """Base of the store's errors; ``path`` names the file concerned."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class CorruptStoreError(StoreError):
    """The database file is not a readable Workdiary database. Nothing was changed."""


class ForeignSchemaError(StoreError):
    """The database has a schema version this build does not know. Nothing was changed."""

    def __init__(self, path: Path, found_version: int) -> None:
        super().__init__(
            path,
            f"schema version {found_version}, this Workdiary reads version {SCHEMA_VERSION}; "
            "the file was left untouched",
        )
        self.found_version = found_version


class SlotConflict(StoreError):
    """A slot cannot be written or changed as asked (e.g. it is already synced)."""


class ShotKeyMissing(StoreError):
    """A shot cannot be saved: the store was opened without the key that seals shot
    files, and a shot is never written in the clear."""
