"""A folder of content-addressed files bounded in bytes, forgetting the least recently used first.

The S3 media store (:mod:`labelhub.media.s3`) keeps the files it downloads here, so callers that need a real
file on disk (thumbnails, frames, exports, serving) get one. Hand-written: :class:`labelhub._lru.Lru` bounds a
number of entries held in memory, while this bounds the bytes of files on disk, and survives a restart (the
folder is read back in modification-time order, and a hit touches the file's time).

Safe without locks between processes because a key's bytes never change: a file is written to ``.tmp`` and
renamed into place, so a reader sees the whole file or none, and two processes fetching the same key write the
same bytes. Each process counts the files it has seen (those found at start, and those it wrote or read); so
that several processes sharing the folder (``serve --workers N`` and its job worker) keep one bound between them,
a process reads the folder back whenever it has written an eighth of the bound since it last did, and evicts
from what it found there. The folder may so exceed the bound by at most an eighth per process, briefly.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import BinaryIO

from labelhub.media.store import KEY_PATTERN, validate_key


class DiskCache:
    """Files under ``root/<key[:2]>/<key>``, at most ``max_bytes`` in all (one file larger than that is kept alone)."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._tmp_dir = root / ".tmp"
        self._tmp_dir.mkdir(parents=True, exist_ok=True)
        stale = time.time() - 3600  # left by a process that died mid-download; younger ones may be in progress
        for tmp in self._tmp_dir.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if tmp.stat().st_mtime < stale:
                    tmp.unlink()
        self._sizes: OrderedDict[str, int] = OrderedDict()  # least recently used first
        self._total = 0
        self._written = 0  # bytes committed since the folder was last read
        self._lock = threading.Lock()
        self._rescan()

    def _rescan(self) -> None:
        """Read the folder back (every process's files, in modification-time order), then evict to the bound."""
        found = []
        for path in self.root.glob("??/*"):
            if KEY_PATTERN.fullmatch(path.name):
                with contextlib.suppress(FileNotFoundError):  # evicted by another process meanwhile
                    st = path.stat()
                    found.append((st.st_mtime, path.name, st.st_size))
        with self._lock:
            self._sizes = OrderedDict((key, size) for _, key, size in sorted(found))
            self._total = sum(self._sizes.values())
            self._written = 0
        self._evict()

    @property
    def total_bytes(self) -> int:
        """The bytes of the files this process knows to be in the folder (all of them, as of its last read)."""
        return self._total

    def path_for(self, key: str) -> Path:
        """Return where ``key``'s file lives in the cache (whether or not it is there)."""
        key = validate_key(key)
        return self.root / key[:2] / key

    def get(self, key: str) -> Path | None:
        """Return ``key``'s cached file, marked as just used, or None when it is not cached."""
        path = self.path_for(key)
        try:
            size = path.stat().st_size  # another process may have evicted it, or written it
            os.utime(path)  # the order a restart reads back
        except FileNotFoundError:
            self._forget(key)
            return None
        self._note(key, size)
        return path

    def temp_file(self) -> tuple[BinaryIO, Path]:
        """Return a new temporary file, on the cache's file system so :meth:`commit` can rename it."""
        fd, name = tempfile.mkstemp(dir=self._tmp_dir, prefix="get-")
        return os.fdopen(fd, "wb"), Path(name)

    def commit(self, tmp: Path, key: str) -> Path:
        """Move the finished temporary file ``tmp`` into place as ``key`` and return its cached path."""
        path = self.path_for(key)
        path.parent.mkdir(exist_ok=True)
        os.replace(tmp, path)  # atomic: a reader never sees part of a file under a key
        size = path.stat().st_size
        with self._lock:
            self._written += size
            shared = self._written > self.max_bytes // 8  # others may have filled the folder meanwhile
        if shared:
            self._rescan()
        else:
            self._note(key, size)
        return path

    def discard(self, key: str) -> None:
        """Remove ``key``'s cached file, if any."""
        self.path_for(key).unlink(missing_ok=True)
        self._forget(key)

    def _note(self, key: str, size: int) -> None:
        with self._lock:
            self._total += size - self._sizes.pop(key, 0)
            self._sizes[key] = size
        self._evict()

    def _forget(self, key: str) -> None:
        with self._lock:
            self._total -= self._sizes.pop(key, 0)

    def _evict(self) -> None:
        """Delete least recently used files until the bound holds; the newest file always stays."""
        while True:
            with self._lock:
                if self._total <= self.max_bytes or len(self._sizes) <= 1:
                    return
                key, size = self._sizes.popitem(last=False)
                self._total -= size
            self.path_for(key).unlink(missing_ok=True)
