"""Helpers shared by the format modules: image headers, media lookup, safe names and all-or-nothing output."""

from __future__ import annotations

import gc
import math
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from PIL import Image, UnidentifiedImageError

from labelhub.errors import FormatError

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"})


def is_image(path: Path) -> bool:
    """Return True when ``path`` has an image extension (case-insensitive)."""
    return path.suffix.lower() in IMAGE_EXTENSIONS


def image_size(path: Path) -> tuple[int, int]:
    """Return ``(width, height)`` read from the image header, or raise FormatError naming the file.

    PIL reads the header lazily, so this does not decode the pixels.
    """
    try:
        with Image.open(path) as im:
            width, height = im.size
    except FileNotFoundError:
        raise FormatError(f"image file {path} does not exist", file=str(path)) from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise FormatError(f"cannot read the image header of {path}: {exc}", file=str(path)) from None
    return int(width), int(height)


def list_images(root: Path) -> list[Path]:
    """Return the image files under ``root``, recursively, sorted, skipping hidden files and folders."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        # Hidden folders (.git, .ipynb_checkpoints, .cache) never hold dataset images.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        base = Path(dirpath)
        found.extend(base / f for f in filenames if not f.startswith(".") and is_image(Path(f)))
    found.sort()
    return found


def is_safe_relative(name: str) -> bool:
    """Return True when ``name`` is a relative posix path that does not climb out with ``..``.

    Annotation files name media relative to a folder; refusing absolute paths and ``..`` keeps an uploaded
    dataset from pulling arbitrary files of the server into the media store. Plain string checks, because
    this runs once per image of files with 100k images.
    """
    return (
        bool(name)
        and not name.startswith("/")
        and "\\" not in name
        and "\x00" not in name
        and ".." not in name.split("/")
    )


def safe_component(value: str, what: str, item: str) -> str:
    """Return ``value`` when it can be one folder name; raise FormatError naming the item otherwise."""
    if not value or value in (".", "..") or "/" in value or "\\" in value or "\x00" in value:
        raise FormatError(f"{what} {value!r} of item {item!r} cannot be used as a folder name", item=item)
    return value


class MediaResolver:
    """Finds media files named relative to an annotation file by trying a list of folders in order."""

    def __init__(self, folders: Sequence[Path]) -> None:
        seen: set[Path] = set()
        self.folders: list[Path] = []
        for folder in folders:
            if folder not in seen and folder.is_dir():
                seen.add(folder)
                self.folders.append(folder)
        # The folder that matched last is tried first: in a dataset every file lives in the same place.
        self._last: Path | None = None

    def find(self, rel: str) -> Path | None:
        """Return the first existing file ``folder / rel`` as an absolute path, or None when none has it."""
        if self._last is not None:
            candidate = self._last / rel
            if candidate.is_file():
                return candidate.absolute()
        for folder in self.folders:
            candidate = folder / rel
            if candidate.is_file():
                self._last = folder
                return candidate.absolute()
        return None


def finite_numbers(values: Sequence[Any]) -> list[float] | None:
    """Return the values as floats, or None when one is not a finite number (booleans are not numbers)."""
    out: list[float] = []
    for v in values:
        # type() rather than isinstance: bool is an int subclass, and this runs per coordinate.
        t = type(v)
        if t is not float and t is not int:
            return None
        f = float(v)
        if not math.isfinite(f):
            return None
        out.append(f)
    return out


class AtomicFile:
    """A text or binary file written under a temporary name and moved over ``dest`` only on commit.

    A reader never sees a half-written export, and :meth:`discard` leaves ``dest`` as it was.
    """

    def __init__(self, dest: Path, *, binary: bool = False, newline: str | None = None) -> None:
        self.dest = dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        self.tmp = Path(tmp)
        mode = "wb" if binary else "w"
        encoding = None if binary else "utf-8"
        self.handle: IO[Any] = os.fdopen(fd, mode, encoding=encoding, newline=newline)

    def commit(self) -> None:
        """Close the file and move it to its destination."""
        self.handle.close()
        os.replace(self.tmp, self.dest)

    def discard(self) -> None:
        """Close the file and delete it; the destination is left untouched."""
        self.handle.close()
        self.tmp.unlink(missing_ok=True)


class AtomicDir:
    """A folder built under a temporary sibling name and renamed to ``dest`` only on commit.

    ``dest`` must not exist or be an empty folder, so a commit never overwrites someone's files.
    """

    def __init__(self, dest: Path) -> None:
        if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
            raise FormatError(f"{dest} already exists and is not an empty folder", file=str(dest))
        self.dest = dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))

    def path(self, rel: str) -> Path:
        """Return the path of ``rel`` inside the folder being built, creating its parent folders."""
        target = self.tmp / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def commit(self) -> None:
        """Move the finished folder to its destination."""
        if self.dest.is_dir():
            self.dest.rmdir()  # empty, checked in __init__; os.replace cannot move onto it on every OS
        os.replace(self.tmp, self.dest)

    def discard(self) -> None:
        """Delete everything written so far."""
        shutil.rmtree(self.tmp, ignore_errors=True)


def copy_media(src: Path, target: Path) -> None:
    """Copy a media file, raising FormatError naming the source when it cannot be read."""
    try:
        shutil.copyfile(src, target)
    except OSError as exc:
        raise FormatError(f"cannot copy media file {src}: {exc}", file=str(src)) from None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Return a context in which the cyclic garbage collector does not run.

    Parsing a large JSON file creates millions of containers, and each few hundred allocations start a
    collection that walks them all again: pausing it makes orjson 3x faster. Plain JSON has no cycles,
    so nothing is left for the collector to find afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
