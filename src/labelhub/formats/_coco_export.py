"""The COCO exporter, kept apart from the importer so each module stays one concern.

Boxes leave as COCO ``[x, y, width, height]`` in absolute pixels. Only boxes are written yet; other
annotation kinds are left out of the file.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

import orjson

from labelhub.errors import FormatError
from labelhub.formats._common import AtomicFile, labelled_boxes
from labelhub.formats.base import ExportItem, ExportOptions, FormatExporter

_IMAGE_OWN_KEYS = frozenset({"id", "file_name", "width", "height"})


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


class _Ids:
    """Hands out unique positive ids, reusing a wanted id when it is still free."""

    def __init__(self) -> None:
        self.used: set[int] = set()
        self._next = 1

    def take(self, wanted: int | None = None) -> int:
        """Return ``wanted`` when it is a free positive id, else the next free id."""
        if wanted is not None and wanted > 0 and wanted not in self.used:
            self.used.add(wanted)
            return wanted
        while self._next in self.used:
            self._next += 1
        self.used.add(self._next)
        return self._next


class CocoExporter(FormatExporter):
    """Writes one COCO JSON file, streaming images while annotations wait in a temporary file.

    Category ids come from ``options.extra["format_meta"]["coco"]["categories"]`` (as given by
    ``CocoImporter.schema_meta``) for the names found there; other labels get new ids above the largest.
    Without that metadata the ids are 1..N in ``labels`` order.
    """

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        if dest.suffix.lower() != ".json":
            raise FormatError(f"a COCO export goes to a .json file, not {dest}", file=str(dest))
        self._categories: list[dict[str, Any]] = []
        self._category_ids: dict[str, int] = {}
        self._plan_categories()
        self._image_ids = _Ids()
        self._ann_ids = _Ids()
        self._out: AtomicFile | None = None
        self._anns: IO[bytes] | None = None
        self._n_images = 0
        self._n_anns = 0

    def _plan_categories(self) -> None:
        meta = self.options.extra.get("format_meta")
        coco = meta.get("coco") if isinstance(meta, dict) else None
        known = coco.get("categories") if isinstance(coco, dict) else None
        by_name: dict[str, dict[str, Any]] = {}
        for cat in known if isinstance(known, list) else []:
            if isinstance(cat, dict) and isinstance(cat.get("name"), str) and _as_int(cat.get("id")) is not None:
                by_name.setdefault(cat["name"], cat)
        taken: set[int] = set()
        planned: dict[str, dict[str, Any]] = {}
        for label in dict.fromkeys(self.labels):
            cat = by_name.get(label)
            cid = _as_int(cat["id"]) if cat is not None else None
            if cat is not None and cid is not None and cid > 0 and cid not in taken:
                taken.add(cid)
                planned[label] = {"id": cid, "name": label, "supercategory": cat.get("supercategory", "")}
        next_id = max(taken, default=0) + 1
        for label in dict.fromkeys(self.labels):
            entry = planned.get(label)
            if entry is None:
                entry = {"id": next_id, "name": label, "supercategory": ""}
                next_id += 1
            self._add_category(entry)

    def _add_category(self, entry: dict[str, Any]) -> None:
        self._categories.append(entry)
        self._category_ids[entry["name"]] = entry["id"]

    def _category_id(self, label: str) -> int:
        cid = self._category_ids.get(label)
        if cid is None:
            # A label used on a box but missing from the project's list still gets a category.
            cid = max(self._category_ids.values(), default=0) + 1
            self._add_category({"id": cid, "name": label, "supercategory": ""})
        return cid

    def open(self) -> None:
        """Start the JSON file and the temporary annotation buffer next to it."""
        self._out = AtomicFile(self.dest, binary=True)
        # Kept open across write() calls and closed in finish()/abort(), so no with-block fits.
        self._anns = tempfile.TemporaryFile(  # noqa: SIM115
            dir=self.dest.parent, prefix=f".{self.dest.name}.", suffix=".anns"
        )
        info = {"description": "exported by labelhub"}
        self._out.handle.write(b'{"info":' + orjson.dumps(info) + b',"licenses":[],"images":[\n')

    def write(self, item: ExportItem) -> None:
        """Write the image entry now and its boxes to the annotation buffer."""
        if self._out is None or self._anns is None:
            raise FormatError("CocoExporter.write() called before open()", file=str(self.dest))
        rec = item.record
        if rec.width is None or rec.height is None:
            raise FormatError(
                f"item {rec.name!r} has no width/height, which COCO requires; import it with its media",
                item=rec.name,
            )
        image_id = self._image_ids.take(_as_int(rec.external_id))
        image: dict[str, Any] = {
            "id": image_id,
            "file_name": rec.name,
            "width": rec.width,
            "height": rec.height,
        }
        extra = rec.meta.get("coco")
        if isinstance(extra, dict):
            image.update((k, v) for k, v in extra.items() if k not in _IMAGE_OWN_KEYS)
        self._out.handle.write((b",\n" if self._n_images else b"") + orjson.dumps(image))
        self._n_images += 1
        for ann, label, x1, y1, x2, y2 in labelled_boxes(rec, "COCO"):
            w, h = x2 - x1, y2 - y1
            obj = {
                "id": self._ann_ids.take(_as_int(ann.attributes.get("coco_id"))),
                "image_id": image_id,
                "category_id": self._category_id(label),
                "bbox": [x1, y1, w, h],
                "area": w * h,
                "iscrowd": 1 if ann.attributes.get("iscrowd") else 0,
                "segmentation": [],
            }
            if ann.score is not None:
                obj["score"] = ann.score
            self._anns.write((b",\n" if self._n_anns else b"") + orjson.dumps(obj))
            self._n_anns += 1

    def finish(self) -> None:
        """Append the buffered annotations and the categories, then move the file into place."""
        if self._out is None or self._anns is None:
            raise FormatError("CocoExporter.finish() called before open()", file=str(self.dest))
        # A failure here is cleaned up by FormatExporter.__exit__, which calls abort().
        out = self._out.handle
        out.write(b'\n],"annotations":[\n')
        self._anns.seek(0)
        shutil.copyfileobj(self._anns, out, 1 << 20)
        out.write(b'\n],"categories":' + orjson.dumps(self._categories) + b"}\n")
        self._anns.close()
        self._out.commit()
        self._out = self._anns = None

    def abort(self) -> None:
        """Delete the temporary files; an existing ``dest`` is left as it was."""
        if self._anns is not None:
            self._anns.close()
        if self._out is not None:
            self._out.discard()
        self._out = self._anns = None
