"""Media stores: the folder-backed store and the in-memory one must behave the same way."""

from __future__ import annotations

import hashlib
import io
import os
import re
import time
from pathlib import Path

import pytest

from labelhub.errors import NotFoundError, ValidationError
from labelhub.media.memory import InMemoryMediaStore
from labelhub.media.store import (
    LocalMediaStore,
    MediaStore,
    guess_mime,
    hash_file,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG_MAGIC = b"\xff\xd8\xff\xe0" + b"\x00" * 24
GIF_MAGIC = b"GIF89a" + b"\x00" * 24
WEBP_MAGIC = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> MediaStore:
    if request.param == "local":
        return LocalMediaStore(tmp_path / "media")
    return InMemoryMediaStore()


def stored_copies(store: MediaStore) -> list[Path]:
    """Files holding copied bytes in a local store (temporary files and link notes excluded)."""
    assert isinstance(store, LocalMediaStore)
    return [p for p in store.root.glob("??/??/*") if not p.name.endswith(".link")]


def read_all(store: MediaStore, key: str, linked_path: str | None = None) -> bytes:
    with store.open(key, linked_path) as f:
        return f.read()


def test_put_bytes_then_open_returns_the_same_bytes(store: MediaStore) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # more than one 1 MiB chunk
    stored = store.put_bytes(data, name="clip.bin")
    assert stored.key == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert stored.linked_path is None
    assert read_all(store, stored.key) == data
    assert store.exists(stored.key)


def test_put_file_copies_the_file(store: MediaStore, tmp_path: Path) -> None:
    src = tmp_path / "photo.jpg"
    src.write_bytes(JPEG_MAGIC + b"pixels")
    stored = store.put_file(src)
    src.unlink()  # a copy must not depend on the original
    assert read_all(store, stored.key) == JPEG_MAGIC + b"pixels"
    assert stored.mime == "image/jpeg"
    local = store.local_path(stored.key)
    if isinstance(store, LocalMediaStore):
        assert local is not None
        assert local.read_bytes() == JPEG_MAGIC + b"pixels"
        assert local == store.root / stored.key[:2] / stored.key[2:4] / stored.key
    else:
        assert local is None


def test_put_stream_reads_in_chunks(store: MediaStore) -> None:
    data = b"x" * (2 * 1024 * 1024 + 5)
    stored = store.put_stream(io.BytesIO(data), name="upload.bin")
    assert read_all(store, stored.key) == data


def test_identical_content_is_stored_once(store: MediaStore, tmp_path: Path) -> None:
    src = tmp_path / "a.png"
    src.write_bytes(PNG_MAGIC)
    first = store.put_bytes(PNG_MAGIC, name="one.png")
    if isinstance(store, LocalMediaStore):
        before = stored_copies(store)[0].stat().st_mtime_ns
        time.sleep(0.01)
    second = store.put_bytes(PNG_MAGIC, name="two.png")
    third = store.put_file(src)
    fourth = store.put_stream(io.BytesIO(PNG_MAGIC))
    assert first.key == second.key == third.key == fourth.key
    assert list(store.iter_keys()) == [first.key]
    if isinstance(store, LocalMediaStore):
        copies = stored_copies(store)
        assert len(copies) == 1
        assert copies[0].stat().st_mtime_ns == before  # not written again
    else:
        assert isinstance(store, InMemoryMediaStore)
        assert store.writes == 1


def test_link_does_not_copy_and_reads_the_original(store: MediaStore, tmp_path: Path) -> None:
    src = tmp_path / "big.png"
    src.write_bytes(PNG_MAGIC + b"original")
    stored = store.put_file(src, link=True)
    assert stored.linked_path == str(src.resolve())
    assert stored.mime == "image/png"
    if isinstance(store, LocalMediaStore):
        assert stored_copies(store) == []
    assert read_all(store, stored.key, stored.linked_path) == PNG_MAGIC + b"original"
    assert read_all(store, stored.key) == PNG_MAGIC + b"original"  # the store remembers where it is
    assert store.local_path(stored.key, stored.linked_path) == src.resolve()
    assert list(store.iter_keys()) == [stored.key]


def test_linked_file_that_changed_is_refused(store: MediaStore, tmp_path: Path) -> None:
    src = tmp_path / "frame.jpg"
    src.write_bytes(JPEG_MAGIC)
    stored = store.put_file(src, link=True)
    src.write_bytes(JPEG_MAGIC + b"edited later")
    with pytest.raises(NotFoundError, match="changed since it was linked") as info:
        store.open(stored.key, stored.linked_path)
    assert info.value.context["file"] == str(src.resolve())
    assert not store.exists(stored.key, stored.linked_path)


def test_linked_file_that_vanished_is_not_found(store: MediaStore, tmp_path: Path) -> None:
    src = tmp_path / "gone.jpg"
    src.write_bytes(JPEG_MAGIC)
    stored = store.put_file(src, link=True)
    src.unlink()
    with pytest.raises(NotFoundError):
        store.open(stored.key, stored.linked_path)
    assert not store.exists(stored.key)


def test_delete_keeps_the_linked_original(store: MediaStore, tmp_path: Path) -> None:
    src = tmp_path / "keep.jpg"
    src.write_bytes(JPEG_MAGIC)
    linked = store.put_file(src, link=True)
    copied = store.put_bytes(b"copied bytes")
    store.delete(linked.key)
    store.delete(copied.key)
    store.delete(copied.key)  # deleting twice is harmless
    assert src.read_bytes() == JPEG_MAGIC
    assert not store.exists(copied.key)
    assert list(store.iter_keys()) == []


def test_missing_key_is_not_found(store: MediaStore) -> None:
    key = "0" * 64
    assert not store.exists(key)
    with pytest.raises(NotFoundError):
        store.open(key)


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "../" + "a" * 61,
        "ab/cd/" + "0" * 58,
        "A" * 64,  # upper case is not what the store writes
        "0" * 63,
        "0" * 65,
        "0" * 64 + "\n",
        "",
    ],
)
def test_keys_that_are_not_hashes_are_refused(store: MediaStore, key: str) -> None:
    for call in (store.open, store.exists, store.local_path, store.delete):
        with pytest.raises(ValidationError) as info:
            call(key)
        assert info.value.context["field"] == "key"


class BrokenUpload(io.BytesIO):
    """An upload whose connection drops after the first chunk."""

    def __init__(self) -> None:
        super().__init__(b"y" * (3 * 1024 * 1024))
        self.calls = 0

    def read(self, size: int | None = -1, /) -> bytes:
        self.calls += 1
        if self.calls > 1 or size is None or size < 0:
            raise OSError("connection reset")
        return super().read(size)


def test_interrupted_write_leaves_no_file(store: MediaStore) -> None:
    with pytest.raises(OSError, match="connection reset"):
        store.put_stream(BrokenUpload(), name="upload.bin")
    assert list(store.iter_keys()) == []
    if isinstance(store, LocalMediaStore):
        assert list((store.root / ".tmp").iterdir()) == []
        assert stored_copies(store) == []


def test_no_temporary_files_remain_after_puts(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "media")
    src = tmp_path / "photo.jpg"
    src.write_bytes(JPEG_MAGIC + b"1")
    store.put_file(src)
    store.put_file(src)
    store.put_bytes(b"other")
    store.put_file(src, link=True)
    assert list((store.root / ".tmp").iterdir()) == []
    files = [p.relative_to(store.root).as_posix() for p in store.root.rglob("*") if p.is_file()]
    assert all(re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}(\.link)?", f) for f in files), files


def test_clean_temp_removes_only_old_leftovers(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "media")
    tmp_dir = store.root / ".tmp"
    tmp_dir.mkdir(parents=True)
    old, fresh = tmp_dir / "put-old", tmp_dir / "put-fresh"
    old.write_bytes(b"half a file")
    fresh.write_bytes(b"being written")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert store.clean_temp(older_than=3600) == 1
    assert not old.exists()
    assert fresh.exists()


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("photo.JPG", b"anything", "image/jpeg"),
        ("scan.png", b"anything", "image/png"),
        ("notes.txt", b"hello", "text/plain"),
        ("", JPEG_MAGIC, "image/jpeg"),
        ("", PNG_MAGIC, "image/png"),
        ("", GIF_MAGIC, "image/gif"),
        ("", WEBP_MAGIC, "image/webp"),
        ("upload", PNG_MAGIC, "image/png"),
        ("cat.html", PNG_MAGIC + b"<script>alert(1)</script>", "image/png"),  # the bytes win over the name
        ("page.html", b"<html><script>", "text/html"),
        ("", b"RIFF\x24\x00\x00\x00WAVEfmt ", "application/octet-stream"),
        ("", b"just some bytes", "application/octet-stream"),
    ],
)
def test_mime_detection(store: MediaStore, name: str, data: bytes, expected: str) -> None:
    assert guess_mime(name, data) == expected
    assert store.put_bytes(data, name=name).mime == expected


def test_put_file_of_a_missing_file_names_it(store: MediaStore, tmp_path: Path) -> None:
    missing = tmp_path / "nope.jpg"
    for link in (False, True):
        with pytest.raises(NotFoundError) as info:
            store.put_file(missing, link=link)
        assert "nope.jpg" in info.value.context["file"]


def test_hash_file_streams_sha256(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    data = os.urandom(2 * 1024 * 1024 + 3)
    path.write_bytes(data)
    assert hash_file(path) == hashlib.sha256(data).hexdigest()


def test_local_store_survives_a_new_instance(tmp_path: Path) -> None:
    src = tmp_path / "linked.png"
    src.write_bytes(PNG_MAGIC)
    first = LocalMediaStore(tmp_path / "media")
    copied = first.put_bytes(b"persisted")
    linked = first.put_file(src, link=True)
    again = LocalMediaStore(tmp_path / "media")
    assert read_all(again, copied.key) == b"persisted"
    assert read_all(again, linked.key) == PNG_MAGIC
    assert sorted(again.iter_keys()) == sorted([copied.key, linked.key])
