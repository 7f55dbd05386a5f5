"""The media cache's bound holds for every process sharing its folder, not only for each one alone."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from labelhub.media.disk_cache import DiskCache


def cache_file(cache: DiskCache, data: bytes) -> str:
    """Write ``data`` into ``cache`` the way a download does (a temporary file, then commit); return its key."""
    out, tmp = cache.temp_file()
    with out:
        out.write(data)
    key = hashlib.sha256(data).hexdigest()
    cache.commit(tmp, key)
    return key


def on_disk(root: Path) -> int:
    return sum(p.stat().st_size for p in root.glob("??/*"))


def test_two_processes_sharing_the_folder_keep_one_bound(tmp_path: Path) -> None:
    root = tmp_path / "media-cache"
    server, worker = DiskCache(root, 400_000), DiskCache(root, 400_000)  # as two processes would open it
    written = []
    for n in range(12):
        cache = server if n % 2 == 0 else worker
        written.append(cache_file(cache, os.urandom(60_000)))
        # Each writes 60 kB, more than an eighth of the bound, so each reads the folder back at once.
        assert on_disk(root) <= 400_000, f"after file {n}: {on_disk(root)} bytes in a 400 kB cache"
    assert server.get(written[-1]) is not None and worker.get(written[-2]) is not None  # the newest stay
    assert server.get(written[0]) is None and worker.get(written[1]) is None  # the oldest went
    assert worker.total_bytes == on_disk(root)


def test_a_file_used_by_one_process_is_kept_over_an_older_one_by_the_other(tmp_path: Path) -> None:
    root = tmp_path / "media-cache"
    server, worker = DiskCache(root, 250_000), DiskCache(root, 250_000)
    first = cache_file(server, os.urandom(100_000))
    second = cache_file(worker, os.urandom(100_000))
    os.utime(root / second[:2] / second, (1, 1))  # long unused
    assert server.get(first) is not None  # just used: the newest
    cache_file(worker, os.urandom(100_000))  # the third file needs room: the least recently used goes
    assert worker.get(first) is not None
    assert server.get(second) is None
