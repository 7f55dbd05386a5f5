"""assist models and search: model versions, project assist settings, item embeddings

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("params", JSON, nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("metrics", JSON, nullable=False),
        sa.Column("artifacts", JSON, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name", "version", name="uq_model_versions_project_name_version"),
    )
    op.create_index("ix_model_versions_project_id", "model_versions", ["project_id", "id"], unique=False)
    op.create_table(
        "project_assist",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("labels_at_last_train", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id"),
    )
    op.create_table(
        "embeddings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("space", sa.String(length=200), nullable=False),
        sa.Column("embedder_version", sa.String(length=200), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "space", "item_id", name="uq_embeddings_project_space_item"),
    )
    op.create_index("ix_embeddings_project_space_id", "embeddings", ["project_id", "space", "id"], unique=False)
    op.create_index("ix_embeddings_item", "embeddings", ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_embeddings_item", table_name="embeddings")
    op.drop_index("ix_embeddings_project_space_id", table_name="embeddings")
    op.drop_table("embeddings")
    op.drop_table("project_assist")
    op.drop_index("ix_model_versions_project_id", table_name="model_versions")
    op.drop_table("model_versions")
