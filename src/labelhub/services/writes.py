"""Small shared writes that several services need."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from labelhub.storage.models import Media, utcnow


def insert_media_rows(s: Session, media: dict[str, tuple[int, str, str | None]]) -> None:
    """Record stored media files (key -> size, mime, linked path), ignoring keys already known."""
    if not media:
        return
    dialect = s.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    now = utcnow()
    rows = [
        {"key": k, "size": size, "mime": mime, "path": link, "created_at": now}
        for k, (size, mime, link) in media.items()
    ]
    for start in range(0, len(rows), 500):
        s.execute(insert(Media).values(rows[start : start + 500]).on_conflict_do_nothing(index_elements=["key"]))
