"""The contract every format module fulfils: a streaming importer and a streaming exporter.

An importer is a context manager and an iterator. It yields :class:`ItemRecord` objects, and a
:class:`Problem` for each thing it cannot read (a missing image, an unknown category, a duplicate id), so
the import service can refuse the whole import or, with ``skip_invalid``, skip just those records. A file
that cannot be read at all raises :class:`FormatError` naming the file and line.

An exporter is a context manager that receives records one at a time and streams them to disk; on an error
it removes what it wrote, so a failed export leaves no half-written file behind. Its :class:`ExportTally`
counts the annotations it wrote and, by kind, those it left out, for the export's report.

Both sides speak the internal convention of :mod:`labelhub.domain.geometry` and convert at the boundary.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.enums import ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.domain.splits import SplitRule

MediaMode = Literal["copy", "link", "none"]
#: How many items without media an export's tally (and so its error) names.
LISTED_MISSING = 200


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


def has_media(item: ExportItem) -> bool:
    """Return True when the item's media is all at hand: its stored file, or every stored frame of a sequence."""
    if item.frame_files:
        return True
    if isinstance(item.record.meta.get("frames"), list):
        return False  # an image sequence with a stored frame missing (the export service then passes none)
    return item.media_file is not None


@dataclass(slots=True)
class ExportTally:
    """What an exporter wrote, for the export's report.

    ``annotations`` counts the project's annotations whose label and geometry went into the output (several may
    make one record of the format: COCO joins an object's box and polygons into one annotation); ``skipped``
    counts by kind those left out because the format, or the layout chosen, has no place for them.
    ``media_missing`` counts the items whose media ``copy_media`` asked for but that have no stored file, and
    ``media_missing_names`` names the first :data:`LISTED_MISSING` of them.
    """

    annotations: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    media_missing: int = 0
    media_missing_names: list[str] = field(default_factory=list)

    def no_media(self, name: str) -> None:
        """Note that the item ``name`` has no stored media to write."""
        self.media_missing += 1
        if len(self.media_missing_names) < LISTED_MISSING:
            self.media_missing_names.append(name)

    def skip(self, ann: AnnotationRecord) -> None:
        """Count ``ann`` as left out."""
        kind = ann.kind.value
        self.skipped[kind] = self.skipped.get(kind, 0) + 1

    def count(self, annotations: Iterable[AnnotationRecord], written: Callable[[AnnotationRecord], bool]) -> None:
        """Count each annotation as written when ``written(ann)`` says so, else as left out."""
        for ann in annotations:
            if written(ann):
                self.annotations += 1
            else:
                self.skip(ann)

    def count_at(self, annotations: Iterable[AnnotationRecord], written: Container[int]) -> None:
        """Count the annotations at the positions in ``written`` as written, the others as left out."""
        for i, ann in enumerate(annotations):
            if i in written:
                self.annotations += 1
            else:
                self.skip(ann)


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

    def attribute_specs(self) -> list[AttributeSpec]:
        """Return the attributes the source declares, one per label and attribute in the source's order (CVAT's
        ``<meta>``); the import declares those the project does not yet (see ``services.projects``)."""
        return []

    @abstractmethod
    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield every item, or a Problem where an item or annotation cannot be read."""


class FormatExporter(ABC):
    """Writes one destination; use as ``with Exporter(dest, labels, opts) as exp: exp.write(item)``."""

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        self.dest = dest
        self.labels = labels
        self.options = options
        self.tally = ExportTally()

    def wants_media(self, item: ExportItem) -> bool:
        """Return True when ``copy_media`` is set and the item's media is at hand to be written.

        An item ``copy_media`` asks media of but whose media is not stored (imported without media, a linked file
        that moved, a frame of a sequence gone) is noted in the tally: the export then fails at the end, naming
        such items, instead of succeeding without their files.
        """
        if not self.options.copy_media or item.record.kind is ItemKind.TEXT:
            return False  # a text item has no media to write
        if has_media(item):
            return True
        self.tally.no_media(item.record.name)
        return False

    def note_missing_media(self, item: ExportItem) -> None:
        """With ``copy_media``, note an item whose media is not stored (the export then fails naming it).

        For formats that write whatever media is stored, ``copy_media`` or not, and only need the check.
        """
        self.wants_media(item)

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
