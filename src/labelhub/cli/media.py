"""``labelhub media push``: move the media of the local folder to an S3-compatible bucket."""

from __future__ import annotations

from typing import Annotated

import typer

from labelhub.cli._common import console, guarded, progress_bar
from labelhub.config import Settings
from labelhub.errors import ConfigurationError

media_app = typer.Typer(help="Where media files are stored.", no_args_is_help=True)


@media_app.command("push")
def push(
    url: Annotated[
        str | None, typer.Argument(help="Target: s3://BUCKET or s3://BUCKET/PREFIX; default LABELHUB_MEDIA_URL")
    ] = None,
    threads: Annotated[int, typer.Option("--threads", min=1, max=64, help="Files uploaded at once")] = 4,
) -> None:
    """Copy every file of HOME/media to an S3-compatible bucket, skipping those already there (safe to re-run)."""
    from labelhub.media.push import push_media  # boto3 is loaded only by the commands that use it
    from labelhub.media.s3 import S3MediaStore
    from labelhub.media.store import LocalMediaStore

    with guarded():
        settings = Settings.from_env()
        target = url or settings.media_url
        if not target:
            raise ConfigurationError(
                "name the bucket: labelhub media push s3://BUCKET[/PREFIX], or set LABELHUB_MEDIA_URL", field="url"
            )
        store = S3MediaStore.from_settings(settings, url=target)
        with progress_bar(f"push to {store.location.bucket}") as progress:
            report = push_media(LocalMediaStore(settings.media_dir), store, threads=threads, progress=progress)
    console.print(
        f"uploaded {report.uploaded:,} files ({report.uploaded_bytes / 1e6:,.1f} MB) to {store.location.where}; "
        f"{report.present:,} were there already; {report.linked:,} linked files left in place"
    )
