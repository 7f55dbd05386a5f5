"""The running hub: settings, database, media store and thumbnails, built once and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field

from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from labelhub.config import Settings
from labelhub.errors import ConfigurationError
from labelhub.media.frames import FrameCache
from labelhub.media.store import LocalMediaStore, MediaStore
from labelhub.media.thumbnails import ThumbnailCache
from labelhub.media.volume import VolumeCache
from labelhub.services.item_totals import ItemTotals
from labelhub.services.label_map_cache import LabelMapCache
from labelhub.services.queue_cache import QueueCache
from labelhub.services.stats_cache import StatsCache
from labelhub.services.users import ActorCache
from labelhub.storage.db import Database
from labelhub.storage.migrate import SchemaTooNew, upgrade
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
    volumes: VolumeCache = field(default_factory=VolumeCache)  # decoded volumes, bounded by bytes
    label_maps: LabelMapCache = field(default_factory=LabelMapCache)  # painted for the plane views
    stats: StatsCache = field(default_factory=StatsCache)  # big projects' counts, until their next audit event
    totals: ItemTotals = field(default_factory=ItemTotals)  # big item lists' totals (with_total), the same way

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> Hub:
        """Create the home folders, connect, and bring the database schema up to date.

        An older schema is upgraded (one logged line says so); a newer one (a newer labelhub migrated it) raises
        ConfigurationError naming both revisions, and the database is left untouched.
        """
        settings.ensure_dirs()
        media = open_media_store(settings)  # before the database: a wrong bucket is reported with nothing to undo
        db = Database(settings.db_url)
        if migrate:
            try:
                upgrade(db)
            except DBAPIError as exc:  # the first connection: a server that is down, a missing database or folder
                db.dispose()
                raise _cannot_connect(settings, exc) from None
            except SchemaTooNew as exc:
                db.dispose()
                raise SchemaTooNew(exc.detail, field=_url_field(settings)) from None
            except CommandError as exc:  # a broken alembic_version table, say: one line, not a traceback
                db.dispose()
                raise ConfigurationError(
                    f"cannot bring the database schema up to date: {exc}", field=_url_field(settings)
                ) from None
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


def open_media_store(settings: Settings) -> MediaStore:
    """Return the media store the settings choose: the HOME/media folder, or the bucket of LABELHUB_MEDIA_URL.

    The bucket is checked with one request; a bad URL, a missing bucket or refused credentials raise
    ConfigurationError naming the setting, the bucket and the endpoint."""
    if not settings.media_url:
        return LocalMediaStore(settings.media_dir)
    from labelhub.media.s3 import S3MediaStore  # boto3 is loaded only when media live in a bucket

    return S3MediaStore.from_settings(settings)


def _url_field(settings: Settings) -> str:
    """The setting that chose the database: its URL, or the home folder that holds the SQLite file."""
    return "LABELHUB_DATABASE_URL" if settings.database_url else "LABELHUB_HOME"


def _cannot_connect(settings: Settings, exc: DBAPIError) -> ConfigurationError:
    """Word a failed first connection for the person who set the URL: where it tried and what to check.
    The URL's password is never repeated."""
    url = make_url(settings.db_url)
    reason = " ".join(str(exc.orig or exc).split())
    if url.password:
        reason = reason.replace(str(url.password), "***")
    if url.get_backend_name() == "sqlite":
        where = url.database or ":memory:"
        return ConfigurationError(
            f"cannot open the SQLite database {where}: {reason}; check that its folder exists and is writable",
            field=_url_field(settings),
        )
    place = f"{url.host or 'localhost'}:{url.port or 5432}"
    return ConfigurationError(
        f"cannot connect to LABELHUB_DATABASE_URL ({place}, database {url.database!r}): {reason}; "
        "is PostgreSQL running there, and do the database, user and password exist?",
        field="LABELHUB_DATABASE_URL",
    )
