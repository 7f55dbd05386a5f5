"""items.sort_key: the name orders sort naturally (img2 before img10, a before B), the same on both databases

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 00:30:00

The key is :func:`labelhub.domain.natural.natural_key` of the name, computed in Python (so the existing rows are
filled here in batches) and compared by code point: ``COLLATE "C"`` on PostgreSQL, SQLite's default BINARY.
The name orders' index becomes (project_id, sort_key, name); on PostgreSQL its name part is ``COLLATE "C"``
too, the tie-break's comparison (labelhub.services.item_order). uq_items_project_name stays as it is, for
uniqueness and the look-ups by name.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from labelhub.domain.natural import KEY_CHARS, natural_key

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_items_project_sort_key_name"
# Rows read and updated at a time: a bounded memory use on any size of table.
BATCH = 5_000


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    # NOT NULL needs a default for the rows already there. SQLite cannot drop a column's default without copying
    # the table (and copying items would delete their annotations: its DROP TABLE runs the ON DELETE CASCADEs),
    # so there the empty default stays; labelhub writes the key on every insert, so it is never used.
    op.add_column(
        "items",
        sa.Column("sort_key", sa.String(KEY_CHARS, collation="C" if postgres else None), nullable=False,
                  server_default=""),
    )  # fmt: skip
    items = sa.table("items", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("sort_key"))
    fill = sa.update(items).where(items.c.id == sa.bindparam("item_id")).values(sort_key=sa.bindparam("key"))
    after = 0
    while True:
        rows = bind.execute(
            sa.select(items.c.id, items.c.name).where(items.c.id > after).order_by(items.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        bind.execute(fill, [{"item_id": item_id, "key": natural_key(name)} for item_id, name in rows])
        after = rows[-1][0]
    if postgres:
        op.alter_column("items", "sort_key", server_default=None)
        op.create_index(INDEX, "items", ["project_id", "sort_key", sa.text('name COLLATE "C"')])
    else:
        op.create_index(INDEX, "items", ["project_id", "sort_key", "name"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="items")
    # Not in batch mode: SQLite (3.35 and later) drops a column in place, without copying the table.
    op.drop_column("items", "sort_key")
