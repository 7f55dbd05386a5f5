"""Pack an export folder into a zip that is the same bytes every time the same files are packed.

``shutil.make_archive`` writes entries in ``os.walk`` order with each file's mtime, so two exports of identical
data gave different zips (and different checksums for a person comparing downloads). Here the entries come in
sorted name order with the zip epoch as their time and fixed permissions, and files that are already compressed
(images, videos, archives) are stored rather than deflated again, which only costs time.
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

Progress = Callable[[float, str], None]

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
FILE_MODE = 0o644
FOLDER_MODE = 0o755
# Compressed already: deflating them again saves next to nothing and takes most of the packing time.
STORED_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".mp4", ".avi", ".mkv", ".tar", ".gz", ".zip", ".npz"})
ZIP64_FROM = 2 * 1024**3  # files this large need the zip64 extension
PROGRESS_STEPS = 100  # about this many progress reports over a whole zip: each one also checks for cancel
_UNIX = 3  # ZipInfo.create_system: the same on every platform, so the header bytes are too


def zip_folder(folder: Path, dest: Path, progress: Progress | None = None) -> Path:
    """Write every file and folder under ``folder`` into the zip ``dest`` and return ``dest``.

    Entries are named by their path inside ``folder`` (``annotations/instances.json``) in sorted order. The zip
    is written beside ``dest`` and moved there when complete, so a failure or a cancel (raised by ``progress``)
    leaves no half-written download behind. ``progress(fraction, message)`` gets the fraction of the bytes
    packed, about every 1 % of them or of the files (each call may raise to cancel).
    """
    report = progress or (lambda _f, _m: None)
    entries = _entries(folder)
    files = [(name, path, size) for name, path, size in entries if size is not None]
    total_bytes = sum(size for _, _, size in files)
    byte_step = max(total_bytes, 1) / PROGRESS_STEPS
    file_step = max(1, len(files) // PROGRESS_STEPS)
    report(0.0, f"packing {len(files):,} files ({_size(total_bytes)}) into a zip for download")
    part = dest.with_name(f"{dest.name}.part")
    done_files, done_bytes, next_mark = 0, 0, byte_step
    try:
        with zipfile.ZipFile(part, "w", allowZip64=True) as zf:
            for name, path, size in entries:
                if size is None:
                    zf.writestr(_info(f"{name}/", FOLDER_MODE, is_dir=True), b"")
                    continue
                _add_file(zf, name, path, size)
                done_files += 1
                done_bytes += size
                if done_bytes >= next_mark or done_files % file_step == 0:
                    next_mark = done_bytes + byte_step
                    report(
                        done_bytes / max(total_bytes, 1),
                        f"packed {done_files:,} of {len(files):,} files ({_size(done_bytes)} of {_size(total_bytes)})",
                    )
        part.replace(dest)
    finally:
        part.unlink(missing_ok=True)
    return dest


def _entries(folder: Path) -> list[tuple[str, Path, int | None]]:
    """Return ``(entry name, path, size)`` for every file (size in bytes) and folder (size None) under
    ``folder``, sorted by entry name; symlinked files are followed, symlinked folders are not."""
    out: list[tuple[str, Path, int | None]] = []
    for root, dirs, names in os.walk(folder):
        base = Path(root)
        for d in dirs:
            if not (base / d).is_symlink():
                out.append(((base / d).relative_to(folder).as_posix(), base / d, None))
        for n in names:
            path = base / n
            st = path.stat()
            if stat.S_ISREG(st.st_mode):
                out.append((path.relative_to(folder).as_posix(), path, st.st_size))
    # A folder's entry is named "<name>/" in the zip: sort by that name so the order is the zip's own order.
    return sorted(out, key=lambda e: e[0] if e[2] is not None else f"{e[0]}/")


def _add_file(zf: zipfile.ZipFile, name: str, path: Path, size: int) -> None:
    """Stream one file into the zip, without holding it in memory."""
    info = _info(name, FILE_MODE, is_dir=False)
    info.compress_type = zipfile.ZIP_STORED if path.suffix.lower() in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
    info.file_size = size
    with path.open("rb") as src, zf.open(info, "w", force_zip64=size >= ZIP64_FROM) as out:
        shutil.copyfileobj(src, out, 1024 * 1024)


def _info(name: str, mode: int, *, is_dir: bool) -> zipfile.ZipInfo:
    """Return an entry header with nothing taken from the file system: fixed time, permissions and system."""
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.create_system = _UNIX
    info.external_attr = ((stat.S_IFDIR if is_dir else stat.S_IFREG) | mode) << 16
    if is_dir:
        info.external_attr |= 0x10  # the MS-DOS directory flag, as zipfile sets it for folders
    return info


def _size(n: int) -> str:
    """Return a byte count as a person reads it in a progress message: ``980 bytes``, ``4.9 kB``, ``1.2 GB``."""
    if n < 1000:
        return f"{n} bytes"
    value, unit = n / 1000, "kB"
    for bigger in ("MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:,.1f} {unit}"
