"""What the video editor's undo of a track delete, split or merge puts back (migration 0011).

Those three changes move or remove many stored boxes at once, so their inverse cannot be sent by the editor as a
few keyframes (as a moved box's is). The server keeps, per change, the rows of the tracks it touched as they were
before, and what the tracks' keyframes were right after (to refuse the undo once a person changed them since);
see :mod:`labelhub.services.track_undo`. The last few changes of each video are kept; an undone change's row goes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from labelhub.storage.models import Base, BigId, utcnow


class TrackSnapshot(Base):
    """One undoable track change of a video item: the touched tracks' annotation rows before it, every column
    (``packed``: their JSON, zlib-compressed, ``size_bytes`` long; snapshots from before migration 0012 hold them
    in ``rows`` instead), and ``after`` (track id -> its keyframes right after it; a track absent there is one the
    change removed)."""

    __tablename__ = "track_snapshots"
    # A token is never given again (SQLite would reuse the id of the newest row once it is undone and deleted).
    __table_args__ = (Index("ix_track_snapshots_item", "item_id", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    rows: Mapped[dict[str, Any]] = mapped_column()
    after: Mapped[dict[str, Any]] = mapped_column()
    packed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
