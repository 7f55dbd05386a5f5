"""Helpers shared by the format modules: image headers, media lookup, safe names and all-or-nothing output."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any

from PIL import Image, UnidentifiedImageError

from labelhub.domain.enums import AnnotationKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError

# The process' umask, read once at import (os.umask can only be read by setting it): exports written under a
# temporary name get the mode a plain open() would have given them.
_UMASK = os.umask(0o022)
os.umask(_UMASK)
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
# What the running import allows to be read: a media file's path -> why it may not be (None: it may). Set by the
# import service (services/imports.py) around an import; formats ask it before opening a media file.
MediaCheck = Callable[[Path], str | None]
_MEDIA_CHECK: ContextVar[MediaCheck | None] = ContextVar("labelhub_media_check", default=None)


@contextmanager
def media_checked(check: MediaCheck | None) -> Iterator[None]:
    """Return a context in which :func:`media_refusal` asks ``check`` (None: every file may be read)."""
    token = _MEDIA_CHECK.set(check)
    try:
        yield
    finally:
        _MEDIA_CHECK.reset(token)


def media_refusal(path: Path) -> str | None:
    """Say why the running import may not read the media file ``path`` (a link out of the import folders);
    None when it may, or when no import set a check."""
    check = _MEDIA_CHECK.get()
    return check(path) if check is not None else None


def is_image(path: Path) -> bool:
    """Return True when ``path`` has an image extension (case-insensitive)."""
    return path.suffix.lower() in IMAGE_EXTENSIONS


def image_size(path: Path) -> tuple[int, int]:
    """Return ``(width, height)`` read from the image header, or raise FormatError naming the file.

    PIL reads the header lazily, so this does not decode the pixels. A file the running import may not read
    (:func:`media_refusal`) is refused before it is opened.
    """
    refused = media_refusal(path)
    if refused is not None:
        raise FormatError(refused, file=str(path))
    try:
        with Image.open(path) as im:
            width, height = im.size
    except FileNotFoundError:
        raise FormatError(f"image file {path} does not exist", file=str(path)) from None
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise FormatError(f"cannot read the image header of {path}: {exc}", file=str(path)) from None
    return int(width), int(height)


def checked_size(path: Path, width: int | None, height: int | None) -> tuple[int, int]:
    """Return ``(width, height)`` from the header of the image file ``path``, checked against the size an
    annotation file declares (None: not declared).

    Raises FormatError naming the file when it is not an image labelhub can read, and, with ``field`` set to
    ``width`` or ``height``, when a declared size differs from the file's: boxes placed on the declared size
    would not lie where they were drawn. Importers that read or copy the file anyway call this (one header read);
    metadata-only imports open no file and keep the declared size.
    """
    real = image_size(path)
    for field, declared, actual in (("width", width, real[0]), ("height", height, real[1])):
        if declared is not None and declared != actual:
            raise FormatError(
                f"image file {path} is {real[0]}x{real[1]} pixels, but the annotation file gives {field} {declared}",
                file=str(path),
                field=field,
            )
    return real


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


def absolute(path: Path) -> Path:
    """Return ``path`` made absolute with ``..`` folded away, without resolving symlinks.

    Linked media keep this path, so it must not depend on the working directory, and a symlinked dataset
    folder should stay the folder the user named.
    """
    return Path(os.path.abspath(path))


class MediaResolver:
    """Finds media files named relative to an annotation file: in the folder the user named, then in guesses."""

    def __init__(self, named: Path | None, guesses: Sequence[Path]) -> None:
        self.named = named
        self.guesses: list[Path] = []
        for folder in guesses:
            if folder not in self.guesses and folder != named and folder.is_dir():
                self.guesses.append(folder)
        # The guess that matched last is tried first: in a dataset the files live side by side, and this
        # saves a few failed stat calls per file on 100k images.
        self._last: Path | None = None

    @property
    def folders(self) -> list[Path]:
        """Return every folder looked in, in order."""
        return ([self.named] if self.named is not None else []) + self.guesses

    def find(self, rel: str) -> Path | None:
        """Return the first existing file ``folder / rel`` as an absolute path, or None when none has it."""
        if self.named is not None and (self.named / rel).is_file():
            return absolute(self.named / rel)
        if self._last is not None and (self._last / rel).is_file():
            return absolute(self._last / rel)
        for folder in self.guesses:
            candidate = folder / rel
            if candidate.is_file():
                self._last = folder
                return absolute(candidate)
        return None


def make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing ancestors; return the ones created, outermost first."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        current = current.parent
    folder.mkdir(parents=True, exist_ok=True)
    return missing[::-1]


def remove_empty(folders: list[Path]) -> None:
    """Remove the folders ``make_parents`` created, innermost first, as long as they are empty."""
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (someone else wrote there) or already gone: leave it and its parents


class AtomicFile:
    """A text or binary file written under a temporary name and moved over ``dest`` only on commit.

    A reader never sees a half-written export, and :meth:`discard` leaves ``dest`` as it was.
    """

    def __init__(self, dest: Path, *, binary: bool = False, newline: str | None = None) -> None:
        self.dest = dest
        self.created = make_parents(dest.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        self.tmp = Path(tmp)
        mode = "wb" if binary else "w"
        encoding = None if binary else "utf-8"
        self.handle: IO[Any] = os.fdopen(fd, mode, encoding=encoding, newline=newline)

    def commit(self) -> None:
        """Close the file and move it to its destination, readable as any new file is (mkstemp made it 0600)."""
        self.handle.close()
        os.chmod(self.tmp, 0o666 & ~_UMASK)
        os.replace(self.tmp, self.dest)

    def discard(self) -> None:
        """Close the file and delete it; the destination is left untouched."""
        self.handle.close()
        self.tmp.unlink(missing_ok=True)
        remove_empty(self.created)


class AtomicDir:
    """A folder built under a temporary sibling name and renamed to ``dest`` only on commit.

    ``dest`` must not exist or be an empty folder, so a commit never overwrites someone's files.
    """

    def __init__(self, dest: Path) -> None:
        if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
            raise FormatError(f"{dest} already exists and is not an empty folder", file=str(dest))
        self.dest = dest
        self.created = make_parents(dest.parent)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))

    def path(self, rel: str) -> Path:
        """Return the path of ``rel`` inside the folder being built, creating its parent folders."""
        target = self.tmp / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def commit(self) -> None:
        """Move the finished folder to its destination, with the mode a new folder gets (mkdtemp made it 0700)."""
        os.chmod(self.tmp, 0o777 & ~_UMASK)
        if self.dest.is_dir():
            self.dest.rmdir()  # empty, checked in __init__; os.replace cannot move onto it on every OS
        os.replace(self.tmp, self.dest)

    def discard(self) -> None:
        """Delete everything written so far."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        remove_empty(self.created)


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


def labelled_boxes(
    rec: ItemRecord, format_name: str
) -> Iterator[tuple[AnnotationRecord, str, float, float, float, float]]:
    """Yield each box of ``rec`` with its label and ``x1, y1, x2, y2``; other kinds are skipped.

    Raises FormatError naming the item when a box has no label, which box formats cannot write.
    """
    for ann in rec.annotations:
        if ann.kind is not AnnotationKind.BOX:
            continue
        if ann.label is None:
            raise FormatError(f"a box of item {rec.name!r} has no label, which {format_name} requires", item=rec.name)
        x1, y1, x2, y2 = (float(v) for v in ann.geometry["bbox"])
        yield ann, ann.label, x1, y1, x2, y2
