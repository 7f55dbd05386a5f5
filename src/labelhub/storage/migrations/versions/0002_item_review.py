"""item review: annotator, reviewer, review time and comment

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 14:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch mode: SQLite cannot add a foreign key to an existing table, so alembic copies the table there.
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("annotator_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviewer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("review_comment", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            "fk_items_annotator_id_users", "users", ["annotator_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key("fk_items_reviewer_id_users", "users", ["reviewer_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index("ix_items_project_annotator_id", ["project_id", "annotator_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_project_annotator_id")
        batch_op.drop_constraint("fk_items_reviewer_id_users", type_="foreignkey")
        batch_op.drop_constraint("fk_items_annotator_id_users", type_="foreignkey")
        batch_op.drop_column("review_comment")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewer_id")
        batch_op.drop_column("annotator_id")
