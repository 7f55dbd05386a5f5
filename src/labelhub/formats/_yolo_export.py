"""The YOLO exporter: ``images/<split>/``, ``labels/<split>/`` and a ``data.yaml`` Ultralytics can train on.

Boxes leave as ``class cx cy w h`` normalised by the image size, six decimals. Only boxes are written;
items without boxes get an empty label file, which YOLO reads as a background image.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import yaml

from labelhub.errors import FormatError
from labelhub.formats._common import AtomicDir, copy_media, is_safe_relative, labelled_boxes, safe_component
from labelhub.formats.base import ExportItem, ExportOptions, FormatExporter

_DEFAULT_SPLIT = "train"


def _yaml_key(split: str) -> str:
    """Return the data.yaml key a split folder belongs to: train2017 -> train, valid -> val."""
    lowered = split.lower()
    for key in ("train", "val", "test"):
        if lowered.startswith(key):
            return key
    return split


class YoloExporter(FormatExporter):
    """Writes a YOLO dataset folder; class ids follow ``labels`` order, and labels met later are appended."""

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        self._names: list[str] = list(dict.fromkeys(labels))
        self._ids = {name: i for i, name in enumerate(self._names)}
        self._splits: dict[str, None] = {}  # an ordered set: splits in the order items used them
        self._written: set[str] = set()
        self._dir: AtomicDir | None = None

    def open(self) -> None:
        """Start building the dataset folder under a temporary name next to ``dest``."""
        self._dir = AtomicDir(self.dest)

    def _class_id(self, label: str) -> int:
        cid = self._ids.get(label)
        if cid is None:
            cid = self._ids[label] = len(self._names)
            self._names.append(label)
        return cid

    def write(self, item: ExportItem) -> None:
        """Write the item's label file, and copy its image when ``copy_media`` is set."""
        if self._dir is None:
            raise FormatError("YoloExporter.write() called before open()", file=str(self.dest))
        rec = item.record
        if not rec.width or not rec.height:
            raise FormatError(
                f"item {rec.name!r} has no width/height, which YOLO needs to normalise its boxes",
                item=rec.name,
            )
        if not is_safe_relative(rec.name):
            raise FormatError(f"item name {rec.name!r} cannot be used as a file path", item=rec.name)
        split = safe_component(rec.split or _DEFAULT_SPLIT, "split", rec.name)
        rel = PurePosixPath(rec.name)
        label_rel = f"labels/{split}/{rel.with_suffix('.txt')}"
        if label_rel in self._written:
            raise FormatError(f"two items of split {split!r} would both write {label_rel}", item=rec.name)
        lines: list[str] = []
        for _ann, label, x1, y1, x2, y2 in labelled_boxes(rec, "YOLO"):
            cx, cy = (x1 + x2) / 2 / rec.width, (y1 + y2) / 2 / rec.height
            w, h = (x2 - x1) / rec.width, (y2 - y1) / rec.height
            lines.append(f"{self._class_id(label)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}\n")
        with self._dir.path(label_rel).open("w", encoding="utf-8") as fh:
            fh.writelines(lines)
        self._written.add(label_rel)
        self._splits[split] = None
        if self.options.copy_media and item.media_file is not None:
            copy_media(item.media_file, self._dir.path(f"images/{split}/{rel}"))

    def _data_yaml(self) -> dict[str, object]:
        grouped: dict[str, list[str]] = {}
        for split in self._splits or {_DEFAULT_SPLIT: None}:
            grouped.setdefault(_yaml_key(split), []).append(f"images/{split}")
        data: dict[str, object] = {"path": "."}
        for key, folders in grouped.items():
            data[key] = folders[0] if len(folders) == 1 else folders
        # Ultralytics refuses a data.yaml without 'val'; validating on the training images is its fallback too.
        data.setdefault("val", data.get("train", f"images/{_DEFAULT_SPLIT}"))
        data["names"] = dict(enumerate(self._names))
        return data

    def finish(self) -> None:
        """Write data.yaml and move the folder into place."""
        if self._dir is None:
            raise FormatError("YoloExporter.finish() called before open()", file=str(self.dest))
        # A failure here is cleaned up by FormatExporter.__exit__, which calls abort().
        with self._dir.path("data.yaml").open("w", encoding="utf-8") as fh:
            yaml.safe_dump(self._data_yaml(), fh, sort_keys=False, allow_unicode=True)
        self._dir.commit()
        self._dir = None

    def abort(self) -> None:
        """Delete the partly built folder."""
        if self._dir is not None:
            self._dir.discard()
            self._dir = None
