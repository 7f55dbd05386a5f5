"""Copy the media of the local folder store to an S3-compatible bucket (``labelhub media push``)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from labelhub.media.s3 import S3MediaStore
from labelhub.media.store import LocalMediaStore


@dataclass(slots=True)
class PushReport:
    """What a push did: files uploaded (and their bytes), files already in the bucket, linked files left alone."""

    uploaded: int = 0
    uploaded_bytes: int = 0
    present: int = 0
    linked: int = 0


def push_media(
    local: LocalMediaStore,
    target: S3MediaStore,
    *,
    threads: int = 4,
    progress: Callable[[float, str], None] | None = None,
) -> PushReport:
    """Return what was done copying every stored copy of ``local`` to ``target``'s bucket.

    Objects already there are skipped (one HEAD each), so running it again after an interruption finishes the
    job. Linked files are never uploaded: they stay where they lie, read through their link notes as before.
    Several files go up at once (``threads``), as each upload mostly waits on the network."""
    report = PushReport()
    copies: list[str] = []
    for key in local.iter_keys():
        if local.path_for(key).exists():
            copies.append(key)
        else:
            report.linked += 1
    total = len(copies)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        sent = pool.map(lambda key: target.upload_copy(key, local.path_for(key)), copies)
        for done, size in enumerate(sent, 1):
            if size:
                report.uploaded += 1
                report.uploaded_bytes += size
            else:
                report.present += 1
            if progress is not None:
                progress(done / total, f"{done:,} of {total:,} files")
    return report
