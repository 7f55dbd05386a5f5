"""annotations.project_id without its own foreign key (the item's key ties it to the project)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 21:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite keeps the foreign keys of 0001 unnamed; batch mode names them by this convention to find this one.
SQLITE_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("annotations_project_id_fkey", "annotations", type_="foreignkey")
        return
    with op.batch_alter_table("annotations", naming_convention=SQLITE_NAMES) as batch_op:
        batch_op.drop_constraint("fk_annotations_project_id_projects", type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(
            "annotations_project_id_fkey", "annotations", "projects", ["project_id"], ["id"], ondelete="CASCADE"
        )
        return
    with op.batch_alter_table("annotations") as batch_op:
        batch_op.create_foreign_key(
            "fk_annotations_project_id_projects", "projects", ["project_id"], ["id"], ondelete="CASCADE"
        )
