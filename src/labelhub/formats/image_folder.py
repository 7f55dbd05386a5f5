"""A folder of images; when every image sits in a first-level sub-folder, that folder names its class.

This is torchvision's ImageFolder layout (``ants/1.jpg``, ``bees/2.jpg``). Labels become whole-image
``class`` annotations, which have no geometry, so nothing is converted at this boundary. The exporter
puts images without a label in ``unlabeled/``, and the importer reads that folder back as no label.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats._common import absolute, copy_media, image_size, is_image, list_images, safe_component
from labelhub.formats._export_base import FolderExporter
from labelhub.formats._guards import bad_label, storable
from labelhub.formats.base import ExportItem, ExportOptions, FormatImporter, ImportOptions

__all__ = ["ImageFolderExporter", "ImageFolderImporter", "detect"]

_UNLABELED = "unlabeled"


def detect(path: Path) -> bool:
    """Return True when ``path`` is a folder with at least one image file somewhere below it."""
    if not path.is_dir():
        return False
    # Stop at the first image: a large folder need not be listed in full to be recognised.
    return any(p.is_file() and is_image(p) for p in path.rglob("*"))


class ImageFolderImporter(FormatImporter):
    """Reads a folder of images, recursively; items are named by their path relative to the folder."""

    item_kind = ItemKind.IMAGE

    def __init__(self, source: Path, options: ImportOptions) -> None:
        super().__init__(source, options)
        self.root = options.images_dir or source
        if not self.root.is_dir():
            raise FormatError(f"{self.root} is not a folder", file=str(self.root))
        self._files: list[Path] | None = None

    def _listing(self) -> list[Path]:
        if self._files is None:
            self._files = list_images(self.root)
        return self._files

    def _classed(self) -> bool:
        # Class folders only when *every* image is exactly one level down; a mixed tree is just a tree.
        files = self._listing()
        return bool(files) and all(len(f.relative_to(self.root).parts) == 2 for f in files)

    def labels(self) -> list[str]:
        """Return the class folder names, sorted, or [] when the images are not in class folders."""
        if not self._classed():
            return []
        names = {f.relative_to(self.root).parts[0] for f in self._listing()} - {_UNLABELED}
        # A folder name that cannot be a class (too long) is left out; its images come as Problems.
        return sorted(n for n in names if bad_label(n) is None)

    def total(self) -> int | None:
        """Return the number of image files found."""
        return len(self._listing())

    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield one item per image file, or a Problem when its header cannot be read."""
        return storable(self._records(), self.root)

    def _records(self) -> Iterator[ItemRecord | Problem]:
        classed = self._classed()
        with_media = self.options.media != "none"
        for path in self._listing():
            rel = path.relative_to(self.root)
            name = rel.as_posix()
            item = ItemRecord(kind=ItemKind.IMAGE, name=name, origin=name)
            if classed and rel.parts[0] != _UNLABELED:
                item.annotations.append(AnnotationRecord(kind=AnnotationKind.CLASS, label=rel.parts[0], origin=name))
            if with_media:
                try:
                    item.width, item.height = image_size(path)
                except FormatError as exc:
                    yield Problem(exc.detail, file=str(path))
                    continue
                item.media_path = absolute(path)
            yield item


class ImageFolderExporter(FolderExporter):
    """Copies each item's image into ``dest/<label>/<file name>``, or ``dest/unlabeled/`` without a label."""

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        self._used: set[str] = set()

    def write(self, item: ExportItem) -> None:
        """Copy the item's stored image into its class folder."""
        out = self._opened("write")
        rec = item.record
        if item.media_file is None:
            raise FormatError(f"item {rec.name!r} has no stored image to export", item=rec.name)
        labels = list(dict.fromkeys(a.label for a in rec.annotations if a.kind is AnnotationKind.CLASS and a.label))
        if len(labels) > 1:
            raise FormatError(
                f"item {rec.name!r} has {len(labels)} class labels but an image folder holds one", item=rec.name
            )
        self.tally.count(rec.annotations, lambda a: a.kind is AnnotationKind.CLASS and a.label is not None)
        folder = safe_component(labels[0], "label", rec.name) if labels else _UNLABELED
        base = PurePosixPath(rec.name).name or item.media_file.name
        target = f"{folder}/{base}"
        # Items from different sub-folders may share a file name; number the later ones.
        stem, suffix, k = PurePosixPath(base).stem, PurePosixPath(base).suffix, 1
        while target in self._used:
            target = f"{folder}/{stem}-{k}{suffix}"
            k += 1
        self._used.add(target)
        copy_media(item.media_file, out.path(target))
