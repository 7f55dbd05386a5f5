"""track_snapshots.packed and .size_bytes: an undo snapshot stored compressed, within a byte budget per video

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 09:40:00

A snapshot held its rows as JSON text: 4.8 MB for a 10,000-frame track (490 bytes a box,
benchmarks/bench_long_sequence.py), 50 of them per video. New ones are stored zlib-compressed in ``packed``
(``rows`` then holds ``{}``), and ``size_bytes`` is what they take, so the oldest go once a video's snapshots pass
a byte budget. Snapshots stored before keep their JSON and undo as before (``packed`` NULL, size 0).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("track_snapshots") as batch:
        batch.add_column(sa.Column("packed", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("size_bytes", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("track_snapshots") as batch:
        batch.drop_column("size_bytes")
        batch.drop_column("packed")
