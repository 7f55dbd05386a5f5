"""Stored volumes against hostile headers and a crowd of requests: refused before any voxel is allocated,
decoded once however many threads ask, and the cache's byte bound kept with several large volumes."""

from __future__ import annotations

import gzip
import threading
import time

import nibabel as nib
import numpy as np
import pytest

from labelhub.errors import FormatError
from labelhub.media import volume
from labelhub.media.volume import VolumeCache, decode_volume, volume_array


def _header_only(shape: tuple[int, ...], dtype: type = np.uint8, tail: int = 100) -> bytes:
    header = nib.Nifti1Header()
    header.set_data_shape(shape)
    header.set_data_dtype(dtype)
    return bytes(header.binaryblock) + b"\0" * (4 + tail)


def _raw_header(**fields: object) -> bytes:
    img = nib.Nifti1Image(np.zeros((3, 3, 3), np.int16), np.eye(4))
    header = img.header
    for key, value in fields.items():
        header[key] = value
    return bytes(header.binaryblock) + b"\0" * 4 + np.zeros((3, 3, 3), np.int16).tobytes()


@pytest.mark.parametrize(
    ("blob", "says", "field"),
    [
        (_header_only((10000, 10000, 10000)), "10000x10000x10000 uint8 voxels", "dim"),
        (gzip.compress(_header_only((10000, 10000, 10000))), "more than the 1,073,741,824 voxels", "dim"),
        (_header_only((30000, 30000, 1), np.float64), "more than the", "dim"),
        (_header_only((500, 500, 500)), "cut short", None),  # 125 MB declared, 450 bytes held
        (_raw_header(sform_code=1, qform_code=0, srow_x=[0, 0, 0, 0], srow_y=[0, 0, 0, 0]), "affine", "affine"),
        (_raw_header(sform_code=1, qform_code=0, srow_x=[np.nan, 0, 0, 0]), "affine", "affine"),
    ],
    ids=["10000-cubed", "10000-cubed-gz", "float64-bytes", "cut-short", "singular-affine", "nan-affine"],
)
def test_a_hostile_header_is_refused_by_its_size_or_geometry_before_voxels_are_read(
    blob: bytes, says: str, field: str | None
) -> None:
    with pytest.raises(FormatError, match=says) as err:
        decode_volume(blob, "item 3")
    assert "item 3" in err.value.detail and err.value.context.get("field") == field


def test_colour_and_complex_voxels_are_refused() -> None:
    for data in (np.zeros((2, 2, 2), np.complex64), np.zeros((2, 2, 2), dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")])):
        with pytest.raises(FormatError, match="one number per voxel"):
            decode_volume(gzip.compress(nib.Nifti1Image(data, np.eye(4)).to_bytes()), "rgb")


def test_a_gzip_bomb_stops_inflating_at_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # Far more zeros than a volume may hold: the inflater stops past the bound instead of holding all of them.
    monkeypatch.setattr(volume, "MAX_VOXEL_BYTES", 4 << 20)
    big = gzip.compress(_header_only((100, 100, 100), tail=0) + b"\0" * (8 << 20), compresslevel=1)
    with pytest.raises(FormatError, match="inflates to more than"):
        decode_volume(big, "bomb")
    # Two gzip members, as some tools write them, are read one after the other.
    img = nib.Nifti1Image(np.arange(27, dtype=np.int16).reshape(3, 3, 3), np.eye(4)).to_bytes()
    two = gzip.compress(img[:200]) + gzip.compress(img[200:])
    assert decode_volume(two, "two members").range == (0.0, 26.0)


def test_scaled_voxels_are_read_as_float32_not_float64() -> None:
    img = nib.Nifti1Image(np.arange(8, dtype=np.int16).reshape(2, 2, 2), np.eye(4))
    img.header.set_slope_inter(1.0, -1024.0)
    data = volume_array(nib.Nifti1Image.from_bytes(img.to_bytes()), "ct")
    assert data.dtype == np.float32 and data.flat[1] == -1023.0


def test_many_threads_asking_for_one_volume_decode_it_once() -> None:
    blob = gzip.compress(nib.Nifti1Image(np.arange(1000, dtype=np.int16).reshape(10, 10, 10), np.eye(4)).to_bytes())
    reads: list[int] = []
    lock = threading.Lock()

    def read() -> bytes:
        with lock:
            reads.append(1)
        time.sleep(0.2)  # a slow disk: every thread arrives while the first decodes
        return blob

    cache = VolumeCache()
    got: list[int] = []
    threads = [threading.Thread(target=lambda: got.append(cache.get("v", read, "v").shape[2])) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [10] * 12 and len(reads) == 1


def test_a_failed_decode_lets_the_waiting_threads_try_and_fail_with_the_same_problem() -> None:
    cache = VolumeCache()
    errors: list[str] = []

    def ask() -> None:
        try:
            cache.get("v", lambda: b"junk", "item 9")
        except FormatError as exc:
            errors.append(exc.detail)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 4 and all("item 9" in e for e in errors) and len(cache) == 0


def test_several_large_volumes_keep_the_cache_within_its_bound() -> None:
    bound = 3_000_000
    cache = VolumeCache(max_bytes=bound)
    blobs = [
        gzip.compress(nib.Nifti1Image(np.full((100, 100, 70), i, np.int16), np.eye(4)).to_bytes()) for i in range(6)
    ]
    for i, blob in enumerate(blobs):
        cache.get(str(i), lambda b=blob: b, str(i))  # type: ignore[misc]
        assert cache.held_bytes <= bound
    assert len(cache) == 2 and cache.held_bytes == 2 * 100 * 100 * 70 * 2
