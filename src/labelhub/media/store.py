"""Content-addressed media storage: a small protocol and the folder store (in-memory: ``memory.py``; S3: ``s3.py``).

A file's key is the SHA-256 of its bytes (64 lowercase hex characters), so identical files are stored once.
A file may also be *linked*: hashed where it lies and never copied. Keys are checked against a strict pattern
before any path is built from them, so a key can never point outside the store.
"""

from __future__ import annotations

import hashlib
import io
import json
import mimetypes
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Protocol

from labelhub.errors import NotFoundError, ValidationError

__all__ = [
    "CHUNK_SIZE",
    "LocalMediaStore",
    "MediaStore",
    "StoredMedia",
    "copy_hashing",
    "guess_mime",
    "hash_file",
    "link_record",
    "validate_key",
]

CHUNK_SIZE = 1024 * 1024
KEY_PATTERN = re.compile(r"^[0-9a-f]{64}$")
OCTET_STREAM = "application/octet-stream"
# Enough bytes to recognise every signature in _MAGIC, including WebP's "RIFF....WEBP".
_SNIFF_BYTES = 16
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),  # checked together with the RIFF prefix below
)


@dataclass(frozen=True, slots=True)
class StoredMedia:
    """What the store knows about one file: its content key, size in bytes, MIME type and link target.

    ``linked_path`` is the absolute path of the original when the file was linked in place rather than
    copied; the caller keeps it (the ``media.path`` column) and passes it back to read the file.
    """

    key: str
    size: int
    mime: str
    linked_path: str | None = None


class MediaStore(Protocol):
    """Where media bytes live, addressed by the SHA-256 of their content."""

    def put_file(self, path: Path, *, link: bool = False) -> StoredMedia:
        """Return the stored record for the file at ``path``, copying it in unless ``link`` is set."""

    def put_bytes(self, data: bytes, *, name: str = "") -> StoredMedia:
        """Return the stored record for ``data``; ``name`` only helps to guess the MIME type."""

    def put_stream(self, stream: BinaryIO, *, name: str = "") -> StoredMedia:
        """Return the stored record for the bytes of ``stream`` (an upload), read in chunks."""

    def open(self, key: str, linked_path: str | None = None) -> BinaryIO:
        """Return a binary file object for ``key``; raise :class:`NotFoundError` when it is gone."""

    def local_path(self, key: str, linked_path: str | None = None) -> Path | None:
        """Return a real file on disk holding ``key``'s bytes, or None when they live only in memory."""

    def exists(self, key: str, linked_path: str | None = None) -> bool:
        """Return True when ``key``'s bytes can be read."""

    def delete(self, key: str) -> None:
        """Forget ``key``; a linked original is never deleted. Deleting a missing key does nothing."""

    def iter_keys(self) -> Iterator[str]:
        """Yield every stored key (copied or linked), for garbage collection of unreferenced media."""


def validate_key(key: object) -> str:
    """Return ``key`` when it is 64 lowercase hex characters; raise :class:`ValidationError` otherwise."""
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise ValidationError(f"not a media key (64 lowercase hex characters): {key!r:.80}", field="key")
    return key


def hash_file(path: Path) -> str:
    """Return the SHA-256 hex digest of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with _open_source(path) as f:
        while chunk := f.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def guess_mime(name: str, head: bytes) -> str:
    """Return the MIME type the leading bytes show, else the one the file name suggests, else octet-stream.

    The bytes come first: a PNG named ``cat.html`` is an image/png (and an HTML type is served as a download
    anyway: media/serving.py)."""
    for magic, offset, mime in _MAGIC:
        if head[offset : offset + len(magic)] == magic and (mime != "image/webp" or head[:4] == b"RIFF"):
            return mime
    if name:
        guessed, _ = mimetypes.guess_type(name, strict=False)
        if guessed:
            return guessed
    return OCTET_STREAM


def _open_source(path: Path) -> BinaryIO:
    """Return ``path`` opened for reading, turning OS errors into labelhub errors that name the file."""
    try:
        return path.open("rb")
    except FileNotFoundError as exc:
        raise NotFoundError(f"media file not found: {path}", file=str(path)) from exc
    except OSError as exc:
        raise ValidationError(f"cannot read media file {path}: {exc.strerror or exc}", file=str(path)) from exc


def _open_linked(key: str, linked_path: str, expected_size: int | None) -> BinaryIO:
    """Return the linked original opened for reading, after checking it still has the size it had."""
    f = _open_source(Path(linked_path))
    # fstat on the open handle, not stat on the name, so a swap between check and read cannot slip through.
    size = os.fstat(f.fileno()).st_size
    if expected_size is not None and size != expected_size:
        f.close()
        raise NotFoundError(
            f"linked media file {linked_path} changed since it was linked (now {size} bytes, "
            f"expected {expected_size}); import it again",
            file=linked_path,
            key=key,
        )
    return f


def _read_head(path: Path) -> bytes:
    with _open_source(path) as f:
        return f.read(_SNIFF_BYTES)


def link_record(path: Path) -> StoredMedia:
    """Return the record of the file at ``path`` linked where it lies: hashed in place, never copied."""
    resolved = path.resolve()
    key = hash_file(resolved)
    size = resolved.stat().st_size
    mime = guess_mime(path.name, _read_head(resolved))
    return StoredMedia(key=key, size=size, mime=mime, linked_path=str(resolved))


def copy_hashing(stream: BinaryIO, out: BinaryIO) -> tuple[str, int, bytes]:
    """Return the key, size and leading bytes of ``stream``, copied to ``out`` in 1 MiB chunks as it is hashed."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    while chunk := stream.read(CHUNK_SIZE):
        if len(head) < _SNIFF_BYTES:
            head += chunk[: _SNIFF_BYTES - len(head)]
        digest.update(chunk)
        out.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size, head


class LocalMediaStore:
    """Media in a folder: ``root/ab/cd/<key>`` for copies, plus ``<key>.link`` notes for linked files.

    Writes go to a temporary file under ``root/.tmp`` and are moved into place with ``os.replace``, which
    is atomic on one file system: a crash leaves at worst a stray temporary file, never a partial file under
    a real key. The temporary file cannot sit in the final folder because the key is known only once the
    last byte has been hashed. ``fsync`` (on by default) makes the data durable before the rename.
    """

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root
        self._fsync = fsync

    @property
    def _tmp_dir(self) -> Path:
        return self.root / ".tmp"

    def path_for(self, key: str) -> Path:
        """Return where the copy of ``key`` lives (whether or not it exists)."""
        key = validate_key(key)
        return self.root / key[:2] / key[2:4] / key

    def _link_note(self, key: str) -> Path:
        return self.path_for(key).with_name(f"{key}.link")

    def read_link_note(self, key: str) -> tuple[str, int] | None:
        """Return the path and size ``key`` was linked with, or None when it has no link note."""
        try:
            note = json.loads(self._link_note(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return str(note["path"]), int(note["size"])

    def _temp_file(self) -> tuple[BinaryIO, Path]:
        self._tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self._tmp_dir, prefix="put-")
        return os.fdopen(fd, "wb"), Path(name)

    def _finish(self, out: BinaryIO) -> None:
        out.flush()
        if self._fsync:
            os.fsync(out.fileno())

    def _commit(self, tmp: Path, key: str) -> None:
        """Move ``tmp`` under ``key``, or drop it when the same bytes are already stored."""
        final = self.path_for(key)
        if final.exists():
            tmp.unlink(missing_ok=True)
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)

    def put_stream(self, stream: BinaryIO, *, name: str = "") -> StoredMedia:
        """Return the stored record for the bytes of ``stream``, hashed while they are copied in."""
        out, tmp = self._temp_file()
        done = False
        try:
            with out:
                key, size, head = copy_hashing(stream, out)
                if not self.path_for(key).exists():  # no fsync for a duplicate that is about to be dropped
                    self._finish(out)
            self._commit(tmp, key)
            done = True
        finally:
            if not done:
                tmp.unlink(missing_ok=True)
        return StoredMedia(key=key, size=size, mime=guess_mime(name, head))

    def put_file(self, path: Path, *, link: bool = False) -> StoredMedia:
        """Return the stored record for ``path``; with ``link`` the file is hashed in place, not copied.

        When the same bytes are already stored as a copy, linking returns ``linked_path=None``: the copy is
        the more reliable source and nothing needs to stay where it is.
        """
        if not link:
            with _open_source(path) as f:
                return self.put_stream(f, name=path.name)
        record = link_record(path)
        if self.path_for(record.key).exists():
            return replace(record, linked_path=None)
        self.write_link_note(record.key, str(record.linked_path), record.size)
        return record

    def write_link_note(self, key: str, linked_path: str, size: int) -> None:
        """Remember that ``key`` is the file at ``linked_path`` of ``size`` bytes (used by the S3 store too)."""
        out, tmp = self._temp_file()
        done = False
        try:
            with out:
                out.write(json.dumps({"path": linked_path, "size": size}).encode())
                self._finish(out)
            note = self._link_note(key)
            note.parent.mkdir(parents=True, exist_ok=True)
            # Always rewritten, so the note follows the most recent place the file was linked from.
            os.replace(tmp, note)
            done = True
        finally:
            if not done:
                tmp.unlink(missing_ok=True)

    def put_bytes(self, data: bytes, *, name: str = "") -> StoredMedia:
        """Return the stored record for ``data``; nothing is written when the bytes are already stored."""
        key = hashlib.sha256(data).hexdigest()
        record = StoredMedia(key=key, size=len(data), mime=guess_mime(name, data[:_SNIFF_BYTES]))
        if not self.path_for(key).exists():
            self.put_stream(io.BytesIO(data), name=name)
        return record

    def _resolve(self, key: str, linked_path: str | None) -> tuple[Path, bool, int | None]:
        """Return the file holding ``key``, whether it is a linked original, and the size it must have."""
        copy = self.path_for(key)
        if copy.exists():
            return copy, False, None
        note = self.read_link_note(key)
        if linked_path is None and note is not None:
            linked_path = note[0]
        if linked_path is None:
            raise NotFoundError(f"media {key} is not stored", key=key)
        # Without a note (e.g. the media folder was wiped) the size cannot be checked; the file is trusted.
        return Path(linked_path), True, note[1] if note is not None else None

    def open(self, key: str, linked_path: str | None = None) -> BinaryIO:
        """Return ``key``'s bytes opened for reading; raise :class:`NotFoundError` when gone or changed."""
        path, linked, size = self._resolve(key, linked_path)
        if linked:
            return _open_linked(key, str(path), size)
        try:
            return path.open("rb")
        except FileNotFoundError as exc:  # deleted between the check and the open
            raise NotFoundError(f"media {key} is not stored", key=key) from exc

    def local_path(self, key: str, linked_path: str | None = None) -> Path | None:
        """Return the file on disk that holds ``key``'s bytes (checked like :meth:`open`)."""
        path, linked, size = self._resolve(key, linked_path)
        if linked:
            _open_linked(key, str(path), size).close()
        return path

    def exists(self, key: str, linked_path: str | None = None) -> bool:
        """Return True when ``key``'s bytes can be read (a linked original must still have its size)."""
        try:
            self.local_path(key, linked_path)
        except NotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        """Remove the copy and the link note of ``key``; linked originals are left alone."""
        self.path_for(key).unlink(missing_ok=True)
        self._link_note(key).unlink(missing_ok=True)

    def linked_keys(self) -> Iterator[str]:
        """Yield every key that has a link note."""
        for path in self.root.glob("??/??/*.link"):
            key = path.name.removesuffix(".link")
            if KEY_PATTERN.fullmatch(key):
                yield key

    def iter_keys(self) -> Iterator[str]:
        """Yield every key with a copy or a link note, each once."""
        seen: set[str] = set()
        for path in self.root.glob("??/??/*"):
            key = path.name.removesuffix(".link")
            if KEY_PATTERN.fullmatch(key) and key not in seen:
                seen.add(key)
                yield key

    def clean_temp(self, older_than: float = 3600.0) -> int:
        """Return how many temporary files of interrupted writes older than ``older_than`` s were removed."""
        if not self._tmp_dir.is_dir():
            return 0
        cutoff = time.time() - older_than
        removed = 0
        for path in self._tmp_dir.iterdir():
            # Younger files may belong to a write still in progress in another worker.
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
