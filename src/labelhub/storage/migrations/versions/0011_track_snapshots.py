"""track_snapshots: what the video editor's undo of a track delete, split or merge puts back

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 07:40:00

Until now the editor could not undo those three changes (they move or remove many stored boxes at once); the
server now keeps the touched tracks' rows from before each of them, the last 50 per video.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "track_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", BIG_ID, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("rows", JSON, nullable=False),
        sa.Column("after", JSON, nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,  # a token is never given again, even once the newest is undone and deleted
    )
    op.create_index("ix_track_snapshots_item", "track_snapshots", ["item_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_track_snapshots_item", table_name="track_snapshots")
    op.drop_table("track_snapshots")
