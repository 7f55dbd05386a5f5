"""An in-memory :class:`~labelhub.media.store.MediaStore`, shipped in the package so tests need no mocks."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from labelhub.errors import NotFoundError
from labelhub.media.store import (
    _SNIFF_BYTES,
    StoredMedia,
    _open_linked,
    _open_source,
    _read_head,
    guess_mime,
    hash_file,
    validate_key,
)


class InMemoryMediaStore:
    """A dict-backed :class:`MediaStore` for tests; linked files are read from disk like the real store."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._links: dict[str, tuple[str, int]] = {}
        self.writes = 0  # how many times bytes were actually stored: lets tests see de-duplication

    def put_bytes(self, data: bytes, *, name: str = "") -> StoredMedia:
        """Return the stored record for ``data``, keeping one copy per distinct content."""
        key = hashlib.sha256(data).hexdigest()
        if key not in self._blobs:
            self._blobs[key] = bytes(data)
            self.writes += 1
        return StoredMedia(key=key, size=len(data), mime=guess_mime(name, data[:_SNIFF_BYTES]))

    def put_stream(self, stream: BinaryIO, *, name: str = "") -> StoredMedia:
        """Return the stored record for the bytes read from ``stream``."""
        return self.put_bytes(stream.read(), name=name)

    def put_file(self, path: Path, *, link: bool = False) -> StoredMedia:
        """Return the stored record for ``path``; with ``link`` only the path and size are remembered."""
        if not link:
            with _open_source(path) as f:
                return self.put_bytes(f.read(), name=path.name)
        resolved = path.resolve()
        key = hash_file(resolved)
        size = resolved.stat().st_size
        mime = guess_mime(path.name, _read_head(resolved))
        if key in self._blobs:
            return StoredMedia(key=key, size=size, mime=mime)
        self._links[key] = (str(resolved), size)
        return StoredMedia(key=key, size=size, mime=mime, linked_path=str(resolved))

    def open(self, key: str, linked_path: str | None = None) -> BinaryIO:
        """Return ``key``'s bytes as a file object; raise :class:`NotFoundError` when gone or changed."""
        key = validate_key(key)
        if key in self._blobs:
            return io.BytesIO(self._blobs[key])
        return _open_linked(key, *self._link_target(key, linked_path))

    def _link_target(self, key: str, linked_path: str | None) -> tuple[str, int | None]:
        """Return the linked original to read for ``key`` and the size it must have."""
        link = self._links.get(key)
        path = linked_path or (link[0] if link else None)
        if path is None:
            raise NotFoundError(f"media {key} is not stored", key=key)
        return path, link[1] if link else None

    def local_path(self, key: str, linked_path: str | None = None) -> Path | None:
        """Return the linked original for linked keys, None for keys held in memory."""
        key = validate_key(key)
        if key in self._blobs:
            return None
        path, size = self._link_target(key, linked_path)
        _open_linked(key, path, size).close()
        return Path(path)

    def exists(self, key: str, linked_path: str | None = None) -> bool:
        """Return True when ``key``'s bytes can be read."""
        try:
            self.local_path(key, linked_path)
        except NotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        """Forget ``key``; a linked original stays on disk."""
        key = validate_key(key)
        self._blobs.pop(key, None)
        self._links.pop(key, None)

    def iter_keys(self) -> Iterator[str]:
        """Yield every stored key."""
        yield from list(self._blobs)
        yield from (k for k in list(self._links) if k not in self._blobs)
