"""Hostile archives: uploaded zips and WebDataset tars that are refused by name, leaving nothing on disk.

Zip-slip (``..`` and absolute names) and symbolic links in an uploaded zip are covered through the upload API
in ``tests/api/test_media.py``; the same and links, devices and FIFOs in a WebDataset shard in
``test_webdataset.py``. Here: what zipfile itself cannot unpack (encryption, unknown compression, a name used as
both file and folder, names too long for the file system, a size that lies, a name that is not UTF-8), random
damage to a valid zip, and tar shards that would expand without bound.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.formats._hostile import FUZZ, make_shard, mutated_bytes, png_bytes, run_importer, zip_bytes
from tests.formats._hostile_samples import COCO_DOC, WDS_DOCS

from labelhub.errors import FormatError, LabelhubError
from labelhub.formats import ImportOptions
from labelhub.formats.webdataset import MAX_EXPANSION
from labelhub.services.uploads import save_upload

LIMIT = 1 << 20  # upload limit of these tests; a zip may unpack to 4x that


def patch_headers(data: bytes, offset_local: int, offset_central: int, fmt: str, value: int) -> bytes:
    """Return ``data`` with one field of the first local header and of the first central directory entry set."""
    out = bytearray(data)
    local, central = out.find(b"PK\x03\x04"), out.find(b"PK\x01\x02")
    struct.pack_into(fmt, out, local + offset_local, value)
    struct.pack_into(fmt, out, central + offset_central, value)
    return bytes(out)


def encrypted() -> bytes:
    return patch_headers(zip_bytes([("ann.json", b"{}")]), 6, 8, "<H", 1)  # general purpose flag bit 0


def unknown_method() -> bytes:
    return patch_headers(zip_bytes([("ann.json", b"{}" * 50)]), 8, 10, "<H", 1)  # method 1: "shrunk"


def lying_size() -> bytes:
    # 8 MiB of zeros (about 8 KiB compressed) declaring 10 bytes: the declared total passes the size check.
    return patch_headers(zip_bytes([("bomb.bin", bytes(8 << 20))]), 22, 24, "<I", 10)


def not_utf8() -> bytes:
    data = zip_bytes([("é.json", b"{}")])  # a non-ASCII name sets the UTF-8 flag
    return data.replace("é".encode(), b"\xff\xfe")


ZIPS = {
    "encrypted": (encrypted, "ann.json", "is encrypted"),
    "unknown-method": (unknown_method, "ann.json", "compression method 1"),
    "file-then-folder": (lambda: zip_bytes([("a", b"x"), ("a/b.json", b"{}")]), "a/b.json", "cannot be unpacked"),
    "folder-then-file": (lambda: zip_bytes([("a/", b""), ("a", b"x")]), "a", "cannot be unpacked"),
    "long-name": (lambda: zip_bytes([("n" * 300 + ".json", b"{}")]), "n" * 197 + "...", "name too long"),
    "deep-path": (lambda: zip_bytes([("d/" * 2000 + "x.json", b"{}")]), "d/" * 98 + "d...", "name too long"),
    "lying-size": (lying_size, "bomb.bin", "Bad CRC-32"),
    "not-utf8": (not_utf8, None, "not a readable zip file"),
}


@pytest.mark.parametrize("kind", sorted(ZIPS))
def test_a_zip_that_cannot_be_unpacked_is_refused_by_name_and_removed(tmp_path: Path, kind: str) -> None:
    make, member, words = ZIPS[kind]
    uploads = tmp_path / "uploads"
    with pytest.raises(FormatError, match=words) as err:
        save_upload(uploads, "data.zip", io.BytesIO(make()), max_bytes=LIMIT)
    assert err.value.context["file"] == "data.zip"
    assert err.value.context.get("field") == member
    assert list(uploads.iterdir()) == []  # neither the archive nor anything unpacked is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["uploads"]


def dataset_zip() -> bytes:
    return zip_bytes(
        [("ds/ann.json", json.dumps(COCO_DOC).encode()), ("ds/images/a.png", png_bytes()),
         ("ds/images/b.png", png_bytes(64, 48, (1, 2, 3)))]
    )  # fmt: skip


@FUZZ
@given(data=st.data())
def test_a_damaged_zip_unpacks_inside_its_folder_or_is_refused(data: st.DataObject) -> None:
    blob = data.draw(mutated_bytes(dataset_zip()))
    with tempfile.TemporaryDirectory(prefix="zip-") as tmp:
        uploads = Path(tmp) / "uploads"
        try:
            source = save_upload(uploads, "data.zip", io.BytesIO(blob), max_bytes=LIMIT)
        except LabelhubError as exc:
            assert exc.context["file"] == "data.zip"
            assert list(uploads.iterdir()) == []
        else:
            assert source.resolve().is_relative_to(uploads.resolve()) and source.is_dir()
            assert all(not p.is_symlink() for p in uploads.rglob("*"))
            assert sum(p.stat().st_size for p in uploads.rglob("*") if p.is_file()) <= 4 * LIMIT
            run_importer("coco", source / "ds" / "ann.json", ImportOptions())
        assert sorted(p.name for p in Path(tmp).iterdir()) == ["uploads"]


# ------------------------------------------------------------------------------------------------- tar shards


def sparse_bomb(path: Path) -> Path:
    """A tar whose one member is a GNU sparse file of 1 TB of zeros stored in 512 bytes."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("00000000.png")
        sparse_map = b"1\n0\n0\n".ljust(512, b"\0")
        info.size = len(sparse_map)
        info.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": "00000000.png",
                            "GNU.sparse.realsize": str(10**12)}  # fmt: skip
        tar.addfile(info, io.BytesIO(sparse_map))
    return path


def gzip_bomb(path: Path) -> Path:
    """A .tar.gz of about 50 KiB holding a 48 MiB member of zeros."""
    size = 48 << 20
    with gzip.open(path, "wb", compresslevel=9) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        info = tarfile.TarInfo("00000000.png")
        info.size = size
        tar.addfile(info, io.BytesIO(bytes(size)))
    return path


def claims_size(path: Path) -> Path:
    """A tar whose member header declares 10 GiB that the file does not hold."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("00000000.json")
        info.size = 10 << 30
        tar.addfile(info)  # header only
    path.write_bytes(buf.getvalue())
    return path


@pytest.mark.parametrize(
    ("make", "member"),
    [(sparse_bomb, "00000000.png"), (gzip_bomb, "00000000.png"), (claims_size, "00000000.json")],
    ids=["sparse", "gzip", "lying-header"],
)
def test_a_shard_that_expands_without_bound_is_refused_before_extracting(
    tmp_path: Path, make: Callable[[Path], Path], member: str
) -> None:
    shard = make(tmp_path / ("shard-000000.tar.gz" if make is gzip_bomb else "shard-000000.tar"))
    out = run_importer("webdataset", shard, ImportOptions())
    assert isinstance(out.error, FormatError)
    assert (out.error.context["file"], out.error.context["field"]) == (str(shard), member)
    assert f"more than {MAX_EXPANSION} times its size" in out.error.detail and "decompression bomb" in out.error.detail


def test_a_sample_claiming_a_billion_billion_frames_is_a_problem(tmp_path: Path) -> None:
    doc = {**WDS_DOCS[1], "kind": "video", "frames": 10**18, "media": None}
    shard = make_shard(tmp_path / "s.tar", [("v.json", json.dumps(doc).encode()), ("v.0.png", png_bytes())])
    out = run_importer("webdataset", shard, ImportOptions())
    assert [(p.file, p.field) for p in out.problems] == [(str(shard), "v.json: frames")]
    assert "the JSON says 1000000000000000000 frames" in out.problems[0].message
