"""The running hub: settings, database, media store and thumbnails, built once and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field

from labelhub.config import Settings
from labelhub.media.frames import FrameCache
from labelhub.media.store import LocalMediaStore, MediaStore
from labelhub.media.thumbnails import ThumbnailCache
from labelhub.services.queue_cache import QueueCache
from labelhub.services.users import ActorCache
from labelhub.storage.db import Database
from labelhub.storage.migrate import upgrade
from labelhub.tracking.cache import PropagationCache


@dataclass(slots=True)
class Hub:
    """Everything a service needs beyond its session; no module keeps any of this in a global."""

    settings: Settings
    db: Database
    media: MediaStore
    thumbnails: ThumbnailCache
    actors: ActorCache
    frames: FrameCache
    propagations: PropagationCache = field(default_factory=PropagationCache)
    queue: QueueCache = field(default_factory=QueueCache)

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> Hub:
        """Create the home folders, connect, and bring the database schema up to date."""
        settings.ensure_dirs()
        db = Database(settings.db_url)
        if migrate:
            upgrade(db)
        media = LocalMediaStore(settings.media_dir)
        return cls(
            settings=settings,
            db=db,
            media=media,
            thumbnails=ThumbnailCache(settings.thumbs_dir, media),
            actors=ActorCache(settings.auth_cache_seconds),
            frames=FrameCache(settings.frames_dir),
        )

    def close(self) -> None:
        self.frames.close()
        self.db.dispose()
