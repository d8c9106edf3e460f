"""The orphan sweep: remove blobs that no row refers to, on any BlobStore.

A blob is written before the row that names it commits, and removed after the commit
that forgets it, so a crash or a failed request can leave a blob behind (never a row
without its blob). The sweep lists the store and deletes what neither a live slot nor a
milestone attachment names, once it is older than ``grace`` — an upload whose row has
not committed yet is younger than that and is left alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from billing.blobs import BlobInfo, BlobStore
from billing.db.milestones_tables import FixedAttachment
from billing.db.models import Slot
from billing.db.session import unit_of_work

DEFAULT_GRACE = timedelta(hours=1)
_BATCH = 500


def _batches(blobs: Iterable[BlobInfo]) -> Iterator[list[BlobInfo]]:
    iterator = iter(blobs)
    while batch := list(islice(iterator, _BATCH)):
        yield batch


def referenced_keys(session: Session, keys: list[str]) -> set[str]:
    """Those of ``keys`` that a slot's shot or an attachment still names."""
    shots = session.scalars(select(Slot.shot_blob_key).where(Slot.shot_blob_key.in_(keys)))
    files = session.scalars(
        select(FixedAttachment.blob_key).where(FixedAttachment.blob_key.in_(keys))
    )
    return {key for key in [*shots, *files] if key is not None}


def sweep_orphan_blobs(
    session_factory: sessionmaker[Session],
    blobs: BlobStore,
    now: datetime,
    *,
    grace: timedelta = DEFAULT_GRACE,
) -> list[str]:
    """Delete every unreferenced blob last written before ``now - grace``; returns keys."""
    cutoff = now - grace
    removed: list[str] = []
    old_enough = (info for info in blobs.iter_blobs() if info.modified < cutoff)
    for batch in _batches(old_enough):
        with unit_of_work(session_factory) as session:
            kept = referenced_keys(session, [info.key for info in batch])
        for info in batch:
            if info.key not in kept:
                blobs.delete(info.key)
                removed.append(info.key)
    return removed
