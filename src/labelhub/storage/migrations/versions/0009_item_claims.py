"""item_claims: the item the labelling queue's "next" handed to each person, kept from the others for a while

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 16:20:00

Without it two annotators who press "next" at the same time on the unassigned pool were both sent the same item,
and all but the first to save met a conflict (a quarter of the saves in benchmarks/bench_load.py at 50 users).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "item_claims",
        sa.Column("item_id", BIG_ID, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("item_id"),
    )
    op.create_index("ix_item_claims_project_user", "item_claims", ["project_id", "user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_item_claims_project_user", table_name="item_claims")
    op.drop_table("item_claims")
