"""The contract every format module fulfils: a streaming importer and a streaming exporter.

An importer is a context manager and an iterator. It yields :class:`ItemRecord` objects, and a
:class:`Problem` for each thing it cannot read (a missing image, an unknown category, a duplicate id), so
the import service can refuse the whole import or, with ``skip_invalid``, skip just those records. A file
that cannot be read at all raises :class:`FormatError` naming the file and line.

An exporter is a context manager that receives records one at a time and streams them to disk; on an error
it removes what it wrote, so a failed export leaves no half-written file behind.

Both sides speak the internal convention of :mod:`labelhub.domain.geometry` and convert at the boundary.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import ItemRecord, Problem
from labelhub.domain.splits import SplitRule

MediaMode = Literal["copy", "link", "none"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportOptions:
    """How to read a source.

    ``media``: ``copy`` stores media files in the media store, ``link`` keeps them in place, ``none`` imports
    metadata only (no file is opened; a missing file is then not a problem).
    ``images_dir``: where media files named by the annotation file live, when not next to it.
    ``extra``: format-specific options, e.g. ``{"text_column": "text", "label_column": "category"}``.
    ``split``: assign train/val/test to every imported item (replacing what the source said).
    """

    media: MediaMode = "copy"
    images_dir: Path | None = None
    skip_invalid: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    split: SplitRule | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportOptions:
    """How to write.

    ``copy_media`` also writes media files next to the annotations when they are stored. ``split`` assigns
    train/val/test to each exported item (formats with a split layout, such as YOLO, write one part per split).
    """

    copy_media: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    split: SplitRule | None = None


@dataclass(slots=True)
class ExportItem:
    """A record to export, with the stored media file when there is one (None for metadata-only items)."""

    record: ItemRecord
    media_file: Path | None = None
    # The stored frames of an image-sequence video, in order (empty otherwise).
    frame_files: list[Path] = field(default_factory=list)


class FormatImporter(ABC):
    """Reads one source; use as ``with Importer(src, opts) as imp: for rec in imp: ...``."""

    #: The item kind the format produces.
    item_kind: ItemKind = ItemKind.IMAGE

    def __init__(self, source: Path, options: ImportOptions) -> None:
        self.source = source
        self.options = options

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release open files; the default has nothing to release."""

    @abstractmethod
    def labels(self) -> list[str]:
        """Return the class names the source declares, in the source's order (may read the source)."""

    def total(self) -> int | None:
        """Return how many items the source holds when cheaply known, for progress bars."""
        return None

    def schema_meta(self) -> dict[str, Any]:
        """Return format facts the project schema should keep for a faithful export (e.g. COCO category ids)."""
        return {}

    @abstractmethod
    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield every item, or a Problem where an item or annotation cannot be read."""


class FormatExporter(ABC):
    """Writes one destination; use as ``with Exporter(dest, labels, opts) as exp: exp.write(item)``."""

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        self.dest = dest
        self.labels = labels
        self.options = options

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            self.abort()
            return
        try:
            self.finish()
        except BaseException:
            self.abort()
            raise

    @abstractmethod
    def open(self) -> None:
        """Create the destination and write any header."""

    @abstractmethod
    def write(self, item: ExportItem) -> None:
        """Write one item and its annotations."""

    @abstractmethod
    def finish(self) -> None:
        """Write any trailer and close files."""

    @abstractmethod
    def abort(self) -> None:
        """Close files and remove everything this exporter wrote."""
