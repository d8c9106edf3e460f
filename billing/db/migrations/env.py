"""Alembic environment: the engine comes from ``config.attributes["engine"]``."""

from __future__ import annotations

from alembic import context

import billing.db.milestones_tables  # fixed-price tables on Base.metadata, for autogenerate
import billing.db.models  # noqa: F401  (registers the tables on Base.metadata)
from billing.db.models import Base
from billing.db.pg_reflection import ignore_partition_fk_clones

ignore_partition_fk_clones()  # autogenerate: slot partitions' FK clones are not FKs

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
