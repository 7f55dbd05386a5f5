"""Settings, read from ``LABELHUB_*`` environment variables (and a ``.env`` file when present)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from labelhub.domain.enums import ProjectCreators
from labelhub.errors import ConfigurationError


class Settings(BaseSettings):
    """Every setting labelhub reads; one instance is passed down explicitly, never kept as a global."""

    model_config = SettingsConfigDict(env_prefix="LABELHUB_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path("./labelhub-data"), description="Data folder: database, media, thumbnails")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is SQLite (WAL) at HOME/labelhub.db"
    )
    # Accepted, not used yet: tokens and sessions are stored as digests, nothing is signed with a key.
    secret_key: str | None = None
    dev: bool = Field(
        default=False, description="Development mode: `labelhub demo` may add its known admin login to any home"
    )
    session_hours: int = Field(default=24 * 7, ge=1)
    # Seconds a resolved token is trusted without reading the database again (0: never).
    auth_cache_seconds: float = Field(default=5.0, ge=0)
    thumbnail_size: int = 256
    max_upload_mb: int = Field(default=2048, ge=1)
    max_request_mb: int = Field(
        default=32, ge=1, description="Largest request body (MB) on every route but the upload, which has max_upload_mb"
    )
    import_roots: list[Path] = Field(
        default_factory=list,
        description="Server folders the API may import from by path (JSON list); uploads are always allowed",
    )
    worker_threads: int = Field(default=1, ge=1)
    worker_interactive_threads: int = Field(
        default=1, ge=0, description="Worker threads beside worker_threads that run only interactive jobs (propagation)"
    )
    embedders: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='Embedder settings by name (JSON), e.g. {"open_clip": {"model": ..., "pretrained": ...}}; '
        "an entry here replaces the same name's entry in HOME/embedders.json",
    )
    # Failed logins within the window that lock a (username, address) pair, a username from every address, and an
    # address for every username; see labelhub.services.login_throttle and docs/operations.md, "Security".
    login_failures_per_user_address: int = Field(default=10, ge=1)
    login_failures_per_user: int = Field(default=100, ge=1)
    login_failures_per_address: int = Field(default=50, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    project_creators: ProjectCreators = Field(
        default=ProjectCreators.EVERYONE, description="Who may create projects: everyone (any user) or admins"
    )
    webhook_hosts: str = Field(
        default="external",
        description='Where project webhooks may send: "external" (public addresses only), "*" (anywhere), or a comma '
        "list adding loopback, private, host names (*.example.org) or CIDRs to the public addresses; "
        "see docs/teams.md, Webhooks",
    )
    media_url: str | None = Field(
        default=None,
        description="Where media bytes live: unset keeps them in HOME/media; s3://BUCKET[/PREFIX] puts them in an "
        "S3-compatible bucket (docs/operations.md, Media on S3-compatible storage)",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="The S3 endpoint of MinIO, Ceph, R2...; unset: AWS S3 itself"
    )
    s3_region: str | None = Field(default=None, description="The bucket's region; unset: boto3's default")
    media_cache_mb: int = Field(
        default=4096, ge=1, description="Bound (MB) of HOME/media-cache, the local copies of media read from S3"
    )
    queue_claim_minutes: float = Field(
        default=10.0,
        ge=0,
        description='How long the item the queue\'s "next" hands a person is kept from the others\' "next" (0: never)',
    )
    gzip_level: int = Field(
        default=5,
        ge=0,
        le=9,
        description="gzip level of the answers to clients that accept it (JSON, HTML, scripts; not images, video, "
        "tar or zip files); 0 turns it off, as behind a reverse proxy that compresses",
    )
    job_heartbeat_seconds: float = 5.0
    job_stale_seconds: float = 60.0

    @classmethod
    def from_env(cls) -> Settings:
        """Read the settings from the environment (and ``.env``); a value that does not parse raises
        ConfigurationError naming its variable, as a person would set it, instead of pydantic's report."""
        try:
            return cls()
        except SettingsError as exc:  # a JSON setting (LABELHUB_EMBEDDERS, LABELHUB_IMPORT_ROOTS) that does not parse
            found = re.search(r'field "(\w+)"', str(exc))
            name = f"LABELHUB_{found.group(1).upper()}" if found else "LABELHUB_*"
            raise ConfigurationError(f"{name} is not valid JSON: {exc.__cause__ or exc}", field=name) from None
        except PydanticValidationError as exc:
            errors = exc.errors()
            names = [f"LABELHUB_{str(e['loc'][0]).upper()}" if e["loc"] else "LABELHUB_*" for e in errors]
            problems = []
            for name, err in zip(names, errors, strict=True):
                if err["type"] in ("greater_than_equal", "greater_than") and len(err["loc"]) == 1:
                    bound = err.get("ctx", {}).get("ge", err.get("ctx", {}).get("gt"))
                    word = "at least" if err["type"] == "greater_than_equal" else "more than"
                    problems.append(f"{name} must be {word} {bound}, got {err.get('input')!s:.60}")
                    continue
                where = ".".join(str(part) for part in err["loc"][1:])
                problems.append(f"{name}{f' ({where})' if where else ''}: {err['msg']}, got {err.get('input')!r:.60}")
            raise ConfigurationError("; ".join(problems), field=names[0] if names else "LABELHUB_*") from None

    @property
    def db_url(self) -> str:
        """The database URL in effect: the configured one, or SQLite under the home folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'labelhub.db').resolve()}"

    @property
    def media_dir(self) -> Path:
        return self.home / "media"

    @property
    def media_cache_dir(self) -> Path:
        """Local copies of media kept in an S3 bucket, a cache bounded by ``media_cache_mb``."""
        return self.home / "media-cache"

    @property
    def thumbs_dir(self) -> Path:
        return self.home / "thumbs"

    @property
    def frames_dir(self) -> Path:
        """Decoded video frames (JPEG), a cache: deleting it costs only decoding again."""
        return self.home / "frames"

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"

    @property
    def uploads_dir(self) -> Path:
        return self.home / "uploads"

    def ensure_dirs(self) -> None:
        """Create the home folder and its sub-folders; ConfigurationError naming the folder when one cannot be
        created or written (a restore with another owner, a read-only mount: found at start, not by a failed job)."""
        folders = (self.home, self.media_dir, self.thumbs_dir, self.frames_dir, self.exports_dir, self.uploads_dir)
        try:
            for d in folders:
                d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(
                f"LABELHUB_HOME {self.home} is not a writable folder ({exc.strerror or exc}); "
                "point LABELHUB_HOME at a folder you can write, or one that can be created",
                field="LABELHUB_HOME",
            ) from None
        for d in folders:  # mkdir of existing folders succeeds on a read-only mount or a folder owned by another
            if not os.access(d, os.W_OK | os.X_OK):
                which = "LABELHUB_HOME" if d == self.home else f"LABELHUB_HOME's {d.name} folder"
                raise ConfigurationError(
                    f"{which} {d} cannot be written by this user (uid {os.getuid()}); check its owner and "
                    "permissions (labelhub writes media, thumbnails, frames, exports and uploads there), "
                    "or point LABELHUB_HOME elsewhere",
                    field="LABELHUB_HOME",
                )
