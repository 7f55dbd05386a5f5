"""Settings, read from ``LABELHUB_*`` environment variables (and a ``.env`` file when present)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from labelhub.errors import ConfigurationError

DEFAULT_SECRET = "change-me-labelhub-dev-secret"  # noqa: S105 - the sentinel we refuse outside dev mode


class Settings(BaseSettings):
    """Every setting labelhub reads; one instance is passed down explicitly, never kept as a global."""

    model_config = SettingsConfigDict(env_prefix="LABELHUB_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path("./labelhub-data"), description="Data folder: database, media, thumbnails")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is SQLite (WAL) at HOME/labelhub.db"
    )
    secret_key: str = DEFAULT_SECRET
    dev: bool = Field(default=False, description="Development mode: allows the default secret key")
    session_hours: int = 24 * 7
    # Seconds a resolved token is trusted without reading the database again (0: never).
    auth_cache_seconds: float = 5.0
    thumbnail_size: int = 256
    max_upload_mb: int = 2048
    import_roots: list[Path] = Field(
        default_factory=list,
        description="Server folders the API may import from by path (JSON list); uploads are always allowed",
    )
    worker_threads: int = 1
    embedders: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='Embedder settings by name (JSON), e.g. {"open_clip": {"model": ..., "pretrained": ...}}; '
        "an entry here replaces the same name's entry in HOME/embedders.json",
    )
    job_heartbeat_seconds: float = 5.0
    job_stale_seconds: float = 60.0

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.secret_key == DEFAULT_SECRET and not self.dev:
            raise ConfigurationError(
                "LABELHUB_SECRET_KEY is the built-in default; set it to a long random string "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))') or set LABELHUB_DEV=1",
                field="LABELHUB_SECRET_KEY",
            )
        if len(self.secret_key) < 16:
            raise ConfigurationError("LABELHUB_SECRET_KEY must be at least 16 characters", field="LABELHUB_SECRET_KEY")
        return self

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
        """Create the home folder and its sub-folders."""
        for d in (self.home, self.media_dir, self.thumbs_dir, self.frames_dir, self.exports_dir, self.uploads_dir):
            d.mkdir(parents=True, exist_ok=True)
