"""What every exporter does the same way: one all-or-nothing output made in ``open()``, moved into place in
``finish()`` and deleted in ``abort()``, so a format's exporter keeps only its format's logic.

- :class:`FolderExporter` builds a folder (:class:`AtomicDir`),
- :class:`FileExporter` writes one file (:class:`AtomicFile`),
- :class:`FileOrFolderExporter` writes a file when ``dest`` ends in the format's file suffix, else a folder
  (which alone can take media files).

A subclass writes its items in ``write()`` (reaching the output through ``_opened("write")``), anything that
goes last in ``_complete()``, and closes what it keeps open across ``write()`` calls in ``_release()``. It copies
an item's media only when ``wants_media(item)`` says so; ``finish()`` then refuses the export, naming the items,
when ``copy_media`` was asked for and some items had no stored media (see :func:`check_media`).
"""

from __future__ import annotations

import shutil
import tempfile
from abc import abstractmethod
from pathlib import Path
from typing import IO, ClassVar, Generic, Protocol, TypeVar

from labelhub.errors import FormatError
from labelhub.formats._common import AtomicDir, AtomicFile
from labelhub.formats.base import ExportItem, ExportOptions, ExportTally, FormatExporter

# How many items without media the error's message names (its ``items`` lists the tally's first 200).
_NAMED_IN_MESSAGE = 10


class _Output(Protocol):
    def commit(self) -> None: ...

    def discard(self) -> None: ...


_Out = TypeVar("_Out", bound=_Output)


class AtomicExporter(FormatExporter, Generic[_Out]):
    """An exporter whose whole output is one :class:`AtomicFile` or :class:`AtomicDir`, committed on finish."""

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        self._out: _Out | None = None

    @abstractmethod
    def _create(self) -> _Out:
        """Return the new, empty output (under a temporary name next to ``dest``)."""

    def _complete(self, out: _Out) -> None:
        """Write what goes last (a trailer, an index, labels.txt); the default writes nothing."""

    def _release(self) -> None:
        """Close the files kept open across ``write()`` calls; the default keeps none."""

    def _opened(self, method: str) -> _Out:
        """Return the output, or raise naming ``method`` when ``open()`` has not made it (or it is finished)."""
        if self._out is None:
            raise FormatError(f"{type(self).__name__}.{method}() called before open()", file=str(self.dest))
        return self._out

    def open(self) -> None:
        """Start the output under a temporary name next to ``dest``."""
        self._out = self._create()

    def finish(self) -> None:
        """Write what goes last, close every file and move the output into place.

        Raises FormatError naming the items whose media ``copy_media`` could not write (nothing is kept then).
        """
        out = self._opened("finish")
        # A failure here is cleaned up by FormatExporter.__exit__, which calls abort().
        check_media(self.tally)
        self._complete(out)
        self._release()
        out.commit()
        self._out = None

    def abort(self) -> None:
        """Delete everything written so far; an existing ``dest`` is left as it was."""
        self._release()
        if self._out is not None:
            self._out.discard()
            self._out = None


def check_media(tally: ExportTally) -> None:
    """Raise FormatError naming the items ``tally`` noted as having no stored media to write, if any."""
    n = tally.media_missing
    if not n:
        return
    names = tally.media_missing_names
    shown = ", ".join(repr(name) for name in names[:_NAMED_IN_MESSAGE])
    more = f" and {n - _NAMED_IN_MESSAGE:,} more" if n > _NAMED_IN_MESSAGE else ""
    raise FormatError(
        f"cannot write the media of {n:,} item{'s' if n > 1 else ''}, which labelhub has no stored file for: "
        f"{shown}{more} (imported without media, or a linked file or frame was moved or deleted); nothing was "
        "exported. Export without the media files to write the annotations alone.",
        items=names,
    )


class FolderExporter(AtomicExporter[AtomicDir]):
    """An exporter that builds the folder ``dest`` (which must not exist or be empty)."""

    def _create(self) -> AtomicDir:
        return AtomicDir(self.dest)


class FileExporter(AtomicExporter[AtomicFile]):
    """An exporter that writes the single binary file ``dest``."""

    def _create(self) -> AtomicFile:
        return AtomicFile(self.dest, binary=True)


class FileOrFolderExporter(AtomicExporter[AtomicFile | AtomicDir]):
    """An exporter that writes one binary file when ``dest`` ends in :attr:`file_suffix`, else a folder.

    Only a folder has room for media files, so ``copy_media`` with a file ``dest`` is refused up front.
    """

    file_suffix: ClassVar[str] = ".xml"

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        self._single = dest.suffix.lower() == self.file_suffix
        if self._single and options.copy_media:
            raise FormatError(f"copying media needs a folder to export to, not the file {dest}", file=str(dest))

    def _create(self) -> AtomicFile | AtomicDir:
        return AtomicFile(self.dest, binary=True) if self._single else AtomicDir(self.dest)


class Spool:
    """A temporary file next to ``dest`` where part of the output waits until what must precede it is known.

    COCO writes its annotations after every image, and CVAT its ``<meta>`` (declaring the labels and
    attributes met on the way) before every image; the spooled part is copied into place at the end.
    """

    def __init__(self, dest: Path, suffix: str) -> None:
        self._dest = dest
        self._suffix = suffix
        self._fh: IO[bytes] | None = None

    def open(self) -> None:
        """Create the temporary file (``dest``'s folder must exist); it is deleted when closed."""
        # Kept open across write() calls and closed in close(), so no with-block fits.
        self._fh = tempfile.TemporaryFile(  # noqa: SIM115
            dir=self._dest.parent, prefix=f".{self._dest.name}.", suffix=self._suffix
        )

    def write(self, data: bytes) -> None:
        """Append ``data``."""
        assert self._fh is not None, "Spool.open() comes first"
        self._fh.write(data)

    def copy_to(self, out: IO[bytes]) -> None:
        """Copy everything written so far to ``out``."""
        assert self._fh is not None, "Spool.open() comes first"
        self._fh.seek(0)
        shutil.copyfileobj(self._fh, out, 1 << 20)

    def close(self) -> None:
        """Close and so delete the temporary file; closing twice is harmless."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def frame_total(item: ExportItem) -> int:
    """Return a video item's number of frames: as recorded, else its stored frames, else past its last annotation."""
    rec = item.record
    frames = [a.frame for a in rec.annotations if a.frame is not None]
    return rec.frame_count or len(item.frame_files) or (max(frames) + 1 if frames else 0)
