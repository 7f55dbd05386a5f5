"""Stored volumes (NIfTI files in the media store), decoded once into RAS+ arrays and served slice by slice.

A volume item's media is always a NIfTI file (``.nii`` or ``.nii.gz``; a DICOM series is converted to one on
import). :func:`read_nifti` turns its bytes into a 3-D array in the file's voxel order, :func:`decode_volume`
brings it to RAS+ (:func:`labelhub.domain.volume.canonical_order`) and picks the type slices are sent in: int16
when every voxel is a whole number in int16's range (CT in Hounsfield units, most MR), float32 otherwise.

:class:`VolumeCache` keeps decoded volumes by media key in a least-recently-used map bounded by bytes, not
entries (one CT is 100 MB, one hippocampus crop 60 kB). Hand-written: :class:`labelhub._lru.Lru` counts entries,
and ``functools.lru_cache`` cannot be bounded by the size of its values. nibabel is imported on first use, so
the server does not load it until a volume is opened.
"""

from __future__ import annotations

import gzip
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from labelhub.errors import FormatError

if TYPE_CHECKING:
    from labelhub.domain.volume import Window

__all__ = [
    "DEFAULT_CACHE_BYTES",
    "DecodedVolume",
    "VolumeCache",
    "decode_volume",
    "nibabel_errors",
    "read_all",
    "read_nifti",
    "volume_array",
]

DEFAULT_CACHE_BYTES = 512 << 20
_INT16 = np.iinfo(np.int16)
_GZIP_MAGIC = b"\x1f\x8b"
# What nibabel and zlib raise on a file that is not NIfTI, cut short or damaged.
READ_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    EOFError,
    ValueError,
    zlib.error,
    gzip.BadGzipFile,
    TypeError,
    KeyError,
    IndexError,
)


def read_nifti(data: bytes, name: str) -> Any:
    """Return the NIfTI-1 or NIfTI-2 image held in ``data`` (gzipped or not); FormatError naming ``name``."""
    import nibabel as nib

    try:
        raw = gzip.decompress(data) if data[:2] == _GZIP_MAGIC else data
    except READ_ERRORS as exc:
        raise FormatError(f"{name} is not a readable gzip file (cut short or damaged): {exc}", file=name) from exc
    errors: list[str] = []
    refusals: tuple[type[Exception], ...] = (*READ_ERRORS, *nibabel_errors())
    for cls in (nib.Nifti1Image, nib.Nifti2Image):
        try:
            return cls.from_bytes(raw)
        except refusals as exc:
            errors.append(str(exc))
    raise FormatError(f"{name} is not a NIfTI file ({errors[0]})", file=name)


def volume_array(img: Any, name: str) -> np.ndarray:
    """Return the voxels of a nibabel image as a 3-D array (scaled as the header says); FormatError otherwise.

    A 4-D file with one volume (shape ``X, Y, Z, 1``) counts as 3-D; 2-D images and time series are refused.
    """
    shape = tuple(int(v) for v in img.shape)
    while len(shape) > 3 and shape[-1] == 1:
        shape = shape[:-1]
    if len(shape) != 3 or min(shape) < 1:
        dims = "x".join(str(v) for v in img.shape)
        raise FormatError(
            f"{name} holds {len(img.shape)}-D data of shape {dims}; a volume needs 3 dimensions (one 3-D image)",
            file=name,
        )
    try:
        data = np.asanyarray(img.dataobj)
    except READ_ERRORS as exc:
        raise FormatError(f"{name}: the voxel data cannot be read (cut short or damaged): {exc}", file=name) from exc
    return np.asarray(data).reshape(shape)


def send_dtype(data: np.ndarray) -> str:
    """Return ``int16`` when every voxel is a whole number in int16's range, else ``float32``."""
    if data.size == 0:
        return "int16"
    if np.issubdtype(data.dtype, np.integer) or data.dtype == np.bool_:
        lo, hi = int(data.min()), int(data.max())
        return "int16" if _INT16.min <= lo and hi <= _INT16.max else "float32"
    if not np.all(np.isfinite(data)):
        return "float32"
    lo_f, hi_f = float(data.min()), float(data.max())
    if lo_f < _INT16.min or hi_f > _INT16.max:
        return "float32"
    return "int16" if bool(np.all(np.equal(np.mod(data, 1), 0))) else "float32"


@dataclass(slots=True)
class DecodedVolume:
    """A volume in RAS+ order, already in the type its slices are sent in, with what the viewer needs."""

    data: np.ndarray
    affine: np.ndarray
    dtype: str  # "int16" or "float32"
    range: tuple[float, float]
    _windows: dict[tuple[str | None, Window | None], list[Window]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def shape(self) -> tuple[int, int, int]:
        x, y, z = (int(v) for v in self.data.shape)
        return x, y, z

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes)

    def windows(self, modality: str | None, stored: Window | None) -> list[Window]:
        """Return the windows to offer, the default first (percentiles are computed once per volume)."""
        from labelhub.domain.volume import default_windows

        key = (modality, stored)
        with self._lock:
            found = self._windows.get(key)
        if found is None:
            found = default_windows(self.data, modality, stored)
            with self._lock:
                self._windows[key] = found
        return list(found)

    def slice_bytes(self, k: int) -> bytes:
        """Return shown slice ``k`` as little-endian ``dtype`` values, row-major (row 0 = the top)."""
        from labelhub.domain.volume import display_slice

        return display_slice(self.data, k).astype("<i2" if self.dtype == "int16" else "<f4", copy=False).tobytes()

    def shown(self, k: int) -> np.ndarray:
        """Return shown slice ``k`` (``Y`` rows x ``X`` columns)."""
        from labelhub.domain.volume import display_slice

        return display_slice(self.data, k)


def decode_volume(data: bytes, name: str) -> DecodedVolume:
    """Return the NIfTI file held in ``data`` as a :class:`DecodedVolume` (RAS+, in its send type)."""
    from labelhub.domain.volume import canonical_order

    img = read_nifti(data, name)
    voxels = volume_array(img, name)
    canonical, affine = canonical_order(voxels, np.asarray(img.affine, dtype=np.float64))
    dtype = send_dtype(canonical)
    if dtype == "int16":
        out = canonical.astype(np.int16, copy=False)
    else:
        out = np.nan_to_num(canonical.astype(np.float32, copy=False), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = (float(out.min()), float(out.max())) if out.size else (0.0, 0.0)
    return DecodedVolume(np.ascontiguousarray(out), affine, dtype, (lo, hi))


class VolumeCache:
    """Decoded volumes by media key, the least recently used forgotten first once ``max_bytes`` is passed.

    Safe to share between threads. A volume larger than ``max_bytes`` is decoded and returned but not kept.
    Two threads missing the same key both decode it; either result is kept.
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, DecodedVolume] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str, read: Callable[[], bytes], name: str) -> DecodedVolume:
        """Return the volume stored under ``key``, decoding ``read()``'s bytes on a miss."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        decoded = decode_volume(read(), name)  # outside the lock: decoding a CT takes a while
        if decoded.nbytes > self.max_bytes:
            return decoded
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._items[key] = decoded
            self._bytes += decoded.nbytes
            while self._bytes > self.max_bytes and self._items:
                _, gone = self._items.popitem(last=False)
                self._bytes -= gone.nbytes
        return decoded

    @property
    def held_bytes(self) -> int:
        """How many bytes of voxels the cache holds now."""
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


def read_all(opened: BinaryIO) -> bytes:
    """Return every byte of an opened media file, closing it."""
    with opened as fh:
        return fh.read()


def nibabel_errors() -> tuple[type[Exception], ...]:
    """The errors nibabel raises on a header it cannot read (imported on first use, like nibabel)."""
    from nibabel.filebasedimages import ImageFileError
    from nibabel.spatialimages import HeaderDataError
    from nibabel.wrapstruct import WrapStructError

    return ImageFileError, HeaderDataError, WrapStructError
