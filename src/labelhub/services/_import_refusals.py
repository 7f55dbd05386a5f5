"""Why an import stops: the error that refuses a whole import, and a media store the server cannot write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labelhub.domain.records import Problem
from labelhub.errors import ConfigurationError, ImportValidationError
from labelhub.hub import Hub


def refusal(problems: list[Problem], listed: list[dict[str, Any]]) -> ImportValidationError:
    """The error that refuses a whole import: how many problems, the first one and where, and what to do."""
    first = problems[0]
    file = first.file if first.file and first.file not in first.message else None  # said once is enough
    where = ", ".join(x for x in (file, f"line {first.line}" if first.line else None, first.field) if x)
    return ImportValidationError(
        f"import refused, nothing was imported: {len(problems)} problem(s); first: {first.message}"
        + (f" ({where})" if where else "")
        + ". Fix the source, or import the rest with invalid items skipped (the import dialog's"
        + " 'Skip invalid items', or --skip-invalid).",
        problems=listed,
        file=first.file,
        line=first.line,
        field=first.field,
    )


def refuse_if_the_store_failed(hub: Hub, exc: OSError) -> None:
    """An error writing into labelhub's own media folder is the server's, not the item's: stop the import with a
    message an administrator can act on, instead of calling every item bad (and suggesting to skip them)."""
    failed = Path(exc.filename) if isinstance(exc.filename, str) else None
    if failed is None:
        return
    # HOME/media, or HOME/media-cache, where media kept in an S3 bucket are spooled and cached (media/s3.py).
    for folder, name in ((hub.settings.media_dir, "media"), (hub.settings.media_cache_dir, "media-cache")):
        media = folder.resolve()
        if failed == media or media in failed.resolve().parents:
            raise ConfigurationError(
                f"the server cannot write its media folder {media} ({exc.strerror or exc}); nothing was imported. "
                f"An administrator should check that folder's owner, permissions and free space (LABELHUB_HOME/{name})",
                field="LABELHUB_HOME",
            ) from None
