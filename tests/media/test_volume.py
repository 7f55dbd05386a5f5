"""Stored volumes decoded for the viewer: RAS+ order, the type slices are sent in, the byte-bounded cache."""

from __future__ import annotations

import gzip
import threading

import nibabel as nib
import numpy as np
import pytest

from labelhub.domain.volume import display_slice
from labelhub.errors import FormatError
from labelhub.media.volume import VolumeCache, decode_volume

LAS = np.diag([-1.0, 1.0, 2.0, 1.0])


def nifti_bytes(data: np.ndarray, affine: np.ndarray = LAS, *, gz: bool = True, slope: float | None = None) -> bytes:
    img = nib.Nifti1Image(data, affine)
    if slope is not None:
        img.header.set_slope_inter(slope, 0.0)
    raw: bytes = img.to_bytes()
    return gzip.compress(raw) if gz else raw


def test_a_las_file_is_decoded_in_ras_order_and_slices_are_shown_radiologically() -> None:
    data = np.arange(24, dtype=np.int32).reshape(4, 3, 2) - 5
    vol = decode_volume(nifti_bytes(data), "ct.nii.gz")
    assert vol.shape == (4, 3, 2) and vol.dtype == "int16" and vol.range == (-5.0, 18.0)
    assert np.array_equal(vol.data, data[::-1, :, :])  # x flipped: LAS -> RAS
    shown = np.frombuffer(vol.slice_bytes(1), dtype="<i2").reshape(3, 4)
    assert np.array_equal(shown, display_slice(vol.data, 1))
    # Row 0 is anterior (the largest y), column 0 the patient's right (the largest RAS x = LAS voxel 0).
    assert shown[0, 0] == data[0, 2, 1]


@pytest.mark.parametrize(
    ("data", "slope", "dtype"),
    [
        (np.full((2, 2, 2), 3.0, np.float32), None, "int16"),  # whole numbers stored as floats
        (np.full((2, 2, 2), 0.5, np.float32), None, "float32"),
        (np.full((2, 2, 2), 40_000, np.int32), None, "float32"),  # beyond int16
        (np.full((2, 2, 2), 3, np.int16), 0.5, "float32"),  # the header's scaling makes 1.5
        (np.full((2, 2, 2), 200, np.uint8), None, "int16"),
    ],
)
def test_slices_are_sent_as_int16_only_when_every_voxel_fits(data: np.ndarray, slope: float | None, dtype: str) -> None:
    vol = decode_volume(nifti_bytes(data, slope=slope, gz=False), "v.nii")
    assert vol.dtype == dtype
    values = np.frombuffer(vol.slice_bytes(0), dtype="<i2" if dtype == "int16" else "<f4")
    assert np.allclose(values, float(np.asarray(nib.Nifti1Image(data, LAS).dataobj).flat[0]) * (slope or 1.0))


def test_a_ct_without_a_window_opens_on_soft_tissue_then_auto() -> None:
    vol = decode_volume(nifti_bytes(np.linspace(-1000, 1000, 1000).reshape(10, 10, 10).astype(np.int16)), "ct")
    names = [w.name for w in vol.windows("CT", None)]
    assert names[:2] == ["Soft tissue", "Auto"] and "Lung" in names
    assert [w.name for w in vol.windows("MR", None)] == ["Auto"]


@pytest.mark.parametrize(
    ("blob", "says"),
    [
        (b"not a volume at all", "is not a NIfTI file"),
        (gzip.compress(bytes(range(256)) * 40, mtime=0)[:60], "not a readable gzip"),
    ],
    ids=["text", "cut-gzip"],
)
def test_a_stored_file_that_is_no_volume_is_a_format_error_naming_it(blob: bytes, says: str) -> None:
    with pytest.raises(FormatError, match=says) as err:
        decode_volume(blob, "item 7")
    assert "item 7" in err.value.detail


def test_a_4d_file_is_refused_and_one_with_a_single_volume_is_not() -> None:
    with pytest.raises(FormatError, match="4-D data"):
        decode_volume(nifti_bytes(np.zeros((2, 2, 2, 3), np.int16)), "series")
    assert decode_volume(nifti_bytes(np.zeros((2, 2, 2, 1), np.int16)), "one").shape == (2, 2, 2)


def test_the_cache_is_bounded_by_bytes_and_decodes_each_volume_once() -> None:
    blobs = {k: nifti_bytes(np.full((10, 10, 10), i, np.int16)) for i, k in enumerate("abc")}
    reads: list[str] = []

    def reader(key: str) -> bytes:
        reads.append(key)
        return blobs[key]

    cache = VolumeCache(max_bytes=4_500)  # two 2,000-byte volumes fit, not three
    for key in "abab":
        cache.get(key, lambda k=key: reader(k), key)  # type: ignore[misc]
    assert reads == ["a", "b"] and cache.held_bytes == 4_000
    cache.get("c", lambda: reader("c"), "c")
    assert len(cache) == 2 and cache.held_bytes == 4_000
    cache.get("a", lambda: reader("a"), "a")  # "a" was the least recently used: it went
    assert reads == ["a", "b", "c", "a"]
    # A volume over the bound is kept alone (the newest always is): its slices are not decoded one file each.
    small = VolumeCache(max_bytes=100)
    assert small.get("a", lambda: blobs["a"], "a").shape == (10, 10, 10) and len(small) == 1
    small.get("a", lambda: pytest.fail("decoded twice"), "a")
    small.get("b", lambda: blobs["b"], "b")
    assert len(small) == 1 and small.held_bytes == 2_000


def test_threads_share_one_cache() -> None:
    cache = VolumeCache()
    blob = nifti_bytes(np.arange(1000, dtype=np.int16).reshape(10, 10, 10))
    seen: list[bytes] = []
    lock = threading.Lock()

    def work() -> None:
        for k in range(10):
            data = cache.get("v", lambda: blob, "v").slice_bytes(k)
            with lock:
                seen.append(data)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 80 and len(set(seen)) == 10 and len(cache) == 1
