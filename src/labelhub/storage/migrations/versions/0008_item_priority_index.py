"""items: a partial index of the items sent to labelling (``meta.priority`` set), which the queue offers first

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 16:00:00

The labelling queue read every item still to label to find the few with a priority (a 10M-item project: seconds
per "next"); the index holds only those. Its condition is :data:`labelhub.storage.models.PRIORITY_SET`, written
out here as it is today (a migration must not change when the model does).

PostgreSQL also gets statistics on ``meta ->> 'priority'`` (``CREATE STATISTICS``, PostgreSQL 14+): without them
it takes "has a priority" for true of nearly every item and reads the whole table anyway (10M items: 0.9 s for
the queue's query, 0.06 ms with them). Alembic's models know no statistics objects, so the model has none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_items_project_priority"
SQLITE_WHERE = "json_extract(meta, '$.\"priority\"') IS NOT NULL"
POSTGRESQL_WHERE = "(meta ->> 'priority') IS NOT NULL"


STATISTICS = "st_items_priority"


def upgrade() -> None:
    op.create_index(INDEX, "items", ["project_id", "id"], unique=False, sqlite_where=sa.text(SQLITE_WHERE),
                    postgresql_where=sa.text(POSTGRESQL_WHERE))  # fmt: skip
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} ON ((meta ->> 'priority')) FROM items")
        op.execute("ANALYZE items")  # a sample: well under a second at 10M items


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")
    op.drop_index(INDEX, table_name="items")
