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
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from labelhub.errors import FormatError

if TYPE_CHECKING:
    from labelhub.domain.volume import Window

__all__ = [
    "DEFAULT_CACHE_BYTES",
    "MAX_VOXELS",
    "MAX_VOXEL_BYTES",
    "DecodedVolume",
    "VolumeCache",
    "check_affine",
    "check_header",
    "decode_volume",
    "gzip_length",
    "nibabel_errors",
    "read_all",
    "read_nifti",
    "read_nifti_header",
    "volume_array",
]

DEFAULT_CACHE_BYTES = 512 << 20
#: The most voxels a volume may have, and the most bytes its voxels may take as stored: a header cannot make
#: labelhub allocate more (a 10000^3 header on a 400-byte file, a gzip bomb of zeros).
MAX_VOXELS = 1 << 30
MAX_VOXEL_BYTES = 2 << 30
_HEADER_SLACK = 1 << 20  # header, extensions and padding before the voxels of a NIfTI file, at most
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

    raw = _gunzip(data, name) if data[:2] == _GZIP_MAGIC else data
    errors: list[str] = []
    refusals: tuple[type[Exception], ...] = (*READ_ERRORS, *nibabel_errors())
    for cls in (nib.Nifti1Image, nib.Nifti2Image):
        try:
            img = cls.from_bytes(raw)
        except refusals as exc:
            errors.append(str(exc))
            continue
        check_header(img, name, len(raw))
        return img
    raise FormatError(f"{name} is not a NIfTI file ({errors[0]})", file=name)


def _gunzip(data: bytes, name: str) -> bytes:
    """Return the gunzipped ``data``, refusing a stream that inflates beyond what a volume may hold."""
    limit = MAX_VOXEL_BYTES + _HEADER_SLACK
    out = bytearray()
    rest = data
    try:
        while rest:  # a .nii.gz may hold several gzip members one after the other
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            out += inflater.decompress(rest, limit + 1 - len(out))
            if len(out) > limit or inflater.unconsumed_tail:
                raise FormatError(
                    f"{name} inflates to more than {limit:,} bytes, more than a volume labelhub reads may hold",
                    file=name,
                )
            if not inflater.eof:
                raise EOFError("compressed file ended before the end-of-stream marker was reached")
            rest = inflater.unused_data
    except READ_ERRORS as exc:
        raise FormatError(f"{name} is not a readable gzip file (cut short or damaged): {exc}", file=name) from exc
    return bytes(out)


def read_nifti_header(path: Path, name: str) -> Any:
    """Return the NIfTI image in the file at ``path`` with its voxels left unread (header, shape and affine
    checked by :func:`check_header`): what an export needs to write a label map on the volume's grid."""
    import nibabel as nib

    refusals: tuple[type[Exception], ...] = (*READ_ERRORS, *nibabel_errors())
    errors: list[str] = []
    try:
        with path.open("rb") as raw:
            gzipped = raw.read(2) == _GZIP_MAGIC
            for cls in (nib.Nifti1Image, nib.Nifti2Image):
                raw.seek(0)
                fh: Any = gzip.GzipFile(fileobj=raw) if gzipped else raw
                try:
                    img = cls.from_file_map({"image": nib.FileHolder(fileobj=fh), "header": nib.FileHolder(fileobj=fh)})
                except refusals as exc:
                    errors.append(str(exc))
                    continue
                check_header(img, name)
                return img
    except OSError as exc:
        raise FormatError(f"cannot read the volume of {name}: {exc}", file=name) from exc
    raise FormatError(f"{name} is not a NIfTI file ({errors[0]})", file=name)


def gzip_length(path: Path, stop: int) -> int:
    """Return how many bytes the gzip file at ``path`` inflates to, counting no further than ``stop``.

    Inflated in 1 MiB pieces that are thrown away: only the count is kept.
    """
    total = 0
    with gzip.open(path, "rb") as fh:
        while total < stop:
            piece = fh.read(min(1 << 20, stop - total))
            if not piece:
                break
            total += len(piece)
    return total


def check_affine(affine: Any, name: str) -> np.ndarray:
    """Return the 4x4 affine of a volume, or raise FormatError when it places no voxel (non-finite, singular)."""
    from nibabel import orientations as ornt

    matrix = np.asarray(affine, dtype=np.float64)
    bad = matrix.shape != (4, 4) or not np.all(np.isfinite(matrix))
    if not bad:
        try:
            axes = ornt.io_orientation(matrix)
            bad = bool(np.any(np.isnan(axes))) or abs(float(np.linalg.det(matrix[:3, :3]))) < 1e-12
        except (ValueError, np.linalg.LinAlgError):
            bad = True
    if bad:
        raise FormatError(
            f"{name}: its affine (sform / qform) does not place the voxels in space (not finite, or axes that "
            "collapse onto each other)",
            file=name,
            field="affine",
        )
    return matrix


def check_header(img: Any, name: str, available: int | None = None) -> tuple[int, int, int]:
    """Return the 3-D shape a nibabel image's header declares, after checking it before any voxel is read.

    A 4-D file with one volume (shape ``X, Y, Z, 1``) counts as 3-D; 2-D images and time series are refused, as
    are colour and complex voxels, more than :data:`MAX_VOXELS` voxels or :data:`MAX_VOXEL_BYTES` bytes, and a
    file that is shorter than its header says (``available``: the bytes of the file, when known).
    """
    shape = tuple(int(v) for v in img.shape)
    while len(shape) > 3 and shape[-1] == 1:
        shape = shape[:-1]
    dims = "x".join(str(v) for v in img.shape)
    if len(shape) != 3 or min(shape) < 1:
        raise FormatError(
            f"{name} holds {len(img.shape)}-D data of shape {dims}; a volume needs 3 dimensions (one 3-D image)",
            file=name,
        )
    dtype = np.dtype(img.get_data_dtype())
    if dtype.kind not in "biuf":
        raise FormatError(
            f"{name} holds {dtype} voxels (colour or complex); a volume holds one number per voxel",
            file=name,
            field="datatype",
        )
    voxels = shape[0] * shape[1] * shape[2]
    size = voxels * dtype.itemsize
    if voxels > MAX_VOXELS or size > MAX_VOXEL_BYTES:
        raise FormatError(
            f"{name} declares {dims} {dtype} voxels ({size:,} bytes), more than the {MAX_VOXELS:,} voxels or "
            f"{MAX_VOXEL_BYTES:,} bytes labelhub reads",
            file=name,
            field="dim",
        )
    offset = int(img.header.get("vox_offset", 0) or 0)
    if available is not None and available < offset + size:
        raise FormatError(
            f"{name} is cut short: its header declares {dims} {dtype} voxels ({offset + size:,} bytes with the "
            f"header), the file holds {available:,}",
            file=name,
        )
    check_affine(img.affine, name)
    return shape[0], shape[1], shape[2]


def volume_array(img: Any, name: str, available: int | None = None) -> np.ndarray:
    """Return the voxels of a nibabel image as a 3-D array (scaled as the header says); FormatError otherwise.

    The header is checked first (:func:`check_header`). Scaled voxels (``scl_slope`` / ``scl_inter``) are read as
    float32, not as nibabel's float64: a 500-slice CT with an intercept stays within twice its stored size.
    """
    shape = check_header(img, name, available)
    try:
        slope, inter = getattr(img.dataobj, "slope", 1.0), getattr(img.dataobj, "inter", 0.0)
        if (slope, inter) == (1.0, 0.0):
            data = np.asanyarray(img.dataobj)
        else:
            data = img.get_fdata(dtype=np.float32, caching="unchanged")
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
    canonical, affine = canonical_order(voxels, check_affine(img.affine, name))
    dtype = send_dtype(canonical)
    if dtype == "int16":
        out = canonical.astype(np.int16, copy=False)
    else:
        out = np.nan_to_num(canonical.astype(np.float32, copy=False), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = (float(out.min()), float(out.max())) if out.size else (0.0, 0.0)
    return DecodedVolume(np.ascontiguousarray(out), affine, dtype, (lo, hi))


class VolumeCache:
    """Decoded volumes by media key, the least recently used forgotten first once ``max_bytes`` is passed.

    Safe to share between threads. One thread decodes a key at a time: the others asking for it meanwhile (a
    viewer fetches several slices at once) wait for its result rather than decode the file again each, which
    would hold as many copies of a CT as there are requests. The newest volume is always kept, even one larger
    than ``max_bytes`` (then alone): scrolling through a large CT must not decode the whole file per slice.
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, DecodedVolume] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._decoding: dict[str, threading.Event] = {}

    def get(self, key: str, read: Callable[[], bytes], name: str) -> DecodedVolume:
        """Return the volume stored under ``key``, decoding ``read()``'s bytes on a miss."""
        while True:
            with self._lock:
                found = self._items.get(key)
                if found is not None:
                    self._items.move_to_end(key)
                    return found
                running = self._decoding.get(key)
                if running is None:
                    done = self._decoding[key] = threading.Event()
                    break
            running.wait()  # then look again: kept, or the decoding failed and this thread tries itself
        try:
            decoded = decode_volume(read(), name)  # outside the lock: decoding a CT takes a while
            self._keep(key, decoded)
            return decoded
        finally:
            with self._lock:
                self._decoding.pop(key, None)
            done.set()

    def _keep(self, key: str, decoded: DecodedVolume) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._items[key] = decoded
            self._bytes += decoded.nbytes
            while self._bytes > self.max_bytes and len(self._items) > 1:
                _, gone = self._items.popitem(last=False)
                self._bytes -= gone.nbytes

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
