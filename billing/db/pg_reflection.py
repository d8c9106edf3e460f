"""Reflection of foreign keys that point at a partitioned table, without PG's clones.

PostgreSQL implements a foreign key that references a partitioned table with one
internal clone constraint per partition (``pg_constraint.conparentid <> 0``) on the
referencing table. SQLAlchemy's reflection lists those clones as foreign keys of their
own, so Alembic's comparison would report every weekly slot partition as a foreign
key to drop. pg_dump leaves them out too. Only clones that point at a partition are
skipped: a partition's own copies of the parent's keys (to contracts, users) stay.
:func:`ignore_partition_fk_clones` makes reflection skip them; Alembic's environment and
the schema tests call it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.dialects.postgresql import pg_catalog
from sqlalchemy.dialects.postgresql.base import PGDialect

_QUERY = "_foreing_key_query"  # SQLAlchemy's own (misspelt) name, 2.0 and 2.1


def ignore_partition_fk_clones() -> None:
    """Filter the clones out of PGDialect's foreign-key query (idempotent)."""
    original = getattr(PGDialect, _QUERY, None)
    if original is None or getattr(original, "skips_partition_clones", False):
        return
    constraint = pg_catalog.pg_constraint.c
    referenced = pg_catalog.pg_class.alias("referenced_partition")
    # a clone refers to one partition; the real key refers to the partitioned table
    points_at_a_partition = exists(
        select(1)
        .select_from(referenced)
        .where(referenced.c.oid == constraint.confrelid, referenced.c.relispartition)
    )

    def query(self: PGDialect, *args: Any, **kwargs: Any) -> Any:
        return original(self, *args, **kwargs).where(
            or_(
                constraint.conparentid.is_(None),
                constraint.conparentid == 0,
                ~points_at_a_partition,
            )
        )

    query.skips_partition_clones = True  # type: ignore[attr-defined]
    setattr(PGDialect, _QUERY, query)
