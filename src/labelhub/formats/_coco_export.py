"""The COCO exporter, kept apart from the importer so each module stays one concern.

Boxes leave as COCO ``[x, y, width, height]`` in absolute pixels. The box, polygons, mask and keypoints of
one object (the same ``attributes["coco_id"]`` and label, as the importer reads them) become one COCO
annotation again: the box gives ``bbox``, the polygons or the mask give ``segmentation`` and ``area``.
A polygon, mask or keypoints record without a box of its own is written alone, with the ``bbox`` that
encloses it. Other annotation kinds (class, span) are left out of the file.

A video item is written frame by frame (:mod:`labelhub.formats._coco_video`): one COCO image per frame,
``file_name`` ``<item name>/<frame:06d>.<ext>`` with the keys ``video`` (the item's name) and ``frame_index``,
and on it the frame's boxes, shapes and visible track boxes. The records of one track on one frame are one
object, whose annotation carries ``attributes: {"track_id", "keyframe"}`` (CVAT's COCO layout); ``outside``
boxes and annotations without a frame are not written.

With ``copy_media`` the media go to ``images/`` next to the JSON file (a folder that must not exist or be
empty), where the importer looks: each image under its item name, each frame under its ``file_name`` (a video
file's frames decoded with OpenCV and written as JPEG). Everything is streamed, one item (and one decoded
frame) at a time; the folder is built under a temporary name and renamed into place with the JSON file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats._coco_segm import compress, decode_counts, mask_area_bbox, polygons_area, polygons_bbox, same_area
from labelhub.formats._coco_video import (
    MediaFolder,
    check_frames_written,
    frame_annotations,
    is_sequence,
    video_frames,
)
from labelhub.formats._common import AtomicFile
from labelhub.formats._export_base import FileExporter, Spool, frame_total
from labelhub.formats.base import ExportItem, ExportOptions

_BOX, _POLYGON, _MASK, _KEYPOINTS = (
    AnnotationKind.BOX,
    AnnotationKind.POLYGON,
    AnnotationKind.MASK,
    AnnotationKind.KEYPOINTS,
)
_WRITTEN = frozenset({_BOX, _POLYGON, _MASK, _KEYPOINTS})

_IMAGE_OWN_KEYS = frozenset({"id", "file_name", "width", "height"})
#: Where ``copy_media`` puts the images and frames: this folder next to the JSON file.
MEDIA_FOLDER = "images"


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


@dataclass(slots=True)
class _Object:
    """The records that make one COCO annotation."""

    label: str
    coco_id: int | None
    track_id: int | None = None
    box: AnnotationRecord | None = None
    polygons: list[AnnotationRecord] = field(default_factory=list)
    mask: AnnotationRecord | None = None
    keypoints: AnnotationRecord | None = None

    def accepts(self, kind: AnnotationKind) -> bool:
        """Return True when a record of ``kind`` has a free place here (COCO has one segmentation form)."""
        if kind is _BOX:
            return self.box is None
        if kind is _POLYGON:
            return self.mask is None
        if kind is _MASK:
            return self.mask is None and not self.polygons
        return self.keypoints is None

    def add(self, ann: AnnotationRecord) -> None:
        if ann.kind is _BOX:
            self.box = ann
        elif ann.kind is _POLYGON:
            self.polygons.append(ann)
        elif ann.kind is _MASK:
            self.mask = ann
        else:
            self.keypoints = ann

    def members(self) -> list[AnnotationRecord]:
        found = [self.box, *self.polygons, self.mask, self.keypoints]
        return [a for a in found if a is not None]


def _objects(rec: ItemRecord) -> list[_Object]:
    """Group the item's boxes, polygons, masks and keypoints into COCO objects, in order of first appearance."""
    objects: list[_Object] = []
    by_key: dict[tuple[str, int, str], _Object] = {}
    for ann in rec.annotations:
        if ann.kind not in _WRITTEN:
            continue
        if ann.label is None:
            msg = f"a {ann.kind.value} of item {rec.name!r} has no label, which COCO requires"
            raise FormatError(msg, item=rec.name)
        cid, group, tid = ann.attributes.get("coco_id"), ann.attributes.get("coco_group"), ann.track_id
        key: tuple[str, int, str] | None = None
        if type(cid) is int:
            key = ("id", cid, ann.label)
        elif type(group) is int:
            key = ("group", group, ann.label)
        elif tid is not None:  # on a video frame: the records of one track are one object
            key = ("track", tid, ann.label)
        obj = by_key.get(key) if key is not None else None
        if obj is None or not obj.accepts(ann.kind):
            obj = _Object(ann.label, cid if type(cid) is int else None, tid)
            objects.append(obj)
            if key is not None:
                by_key.setdefault(key, obj)
        obj.add(ann)
    return objects


def _mask_counts(ann: AnnotationRecord, rec: ItemRecord) -> tuple[int, int, list[int], bool]:
    """Return ``height, width, counts, was_compressed`` of a mask, checked, or raise naming the item."""
    size, counts = ann.geometry.get("size"), ann.geometry.get("counts")
    compressed = isinstance(counts, str)
    if isinstance(counts, str):
        counts = decode_counts(counts)
    ok = isinstance(size, list) and len(size) == 2 and all(type(v) is int and v > 0 for v in size)
    if not ok or not isinstance(counts, list) or not all(type(c) is int and 0 <= c < 2**32 for c in counts):
        raise FormatError(f"a mask of item {rec.name!r} is not a valid RLE", item=rec.name)
    h, w = size  # type: ignore[misc]
    if (h, w) != (rec.height, rec.width) or sum(counts) != h * w:
        msg = f"a mask of item {rec.name!r} is {h}x{w} or covers another size than the image {rec.height}x{rec.width}"
        raise FormatError(msg, item=rec.name)
    return h, w, counts, compressed or ann.attributes.get("coco_rle") == "compressed"


def _whole(v: float) -> float | int:
    return int(v) if float(v).is_integer() else v


class CocoExporter(FileExporter):
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
        self._keypoint_counts: dict[str, int] = {}
        self._plan_categories()
        self._image_ids = _Ids()
        self._ann_ids = _Ids()
        self._anns = Spool(dest, ".anns")
        self._media: MediaFolder | None = None
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
                planned[label].update((k, cat[k]) for k in ("keypoints", "skeleton") if isinstance(cat.get(k), list))
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
        if isinstance(entry.get("keypoints"), list):
            self._keypoint_counts[entry["name"]] = len(entry["keypoints"])

    def _category_id(self, label: str) -> int:
        cid = self._category_ids.get(label)
        if cid is None:
            # A label used on a box but missing from the project's list still gets a category.
            cid = max(self._category_ids.values(), default=0) + 1
            self._add_category({"id": cid, "name": label, "supercategory": ""})
        return cid

    def open(self) -> None:
        """Start the JSON file, the temporary annotation buffer and, with ``copy_media``, the media folder."""
        super().open()
        try:
            self._anns.open()
            if self.options.copy_media:
                self._media = MediaFolder(self.dest.parent / MEDIA_FOLDER)
            info = {"description": "exported by labelhub"}
            self._opened("open").handle.write(b'{"info":' + orjson.dumps(info) + b',"licenses":[],"images":[\n')
        except BaseException:
            self.abort()  # __exit__ does not run when open() fails: remove what was started
            raise

    def write(self, item: ExportItem) -> None:
        """Write the image entry (a video: one per frame) now and its annotations to the annotation buffer."""
        self._opened("write")
        rec = item.record
        if rec.width is None or rec.height is None:
            raise FormatError(
                f"item {rec.name!r} has no width/height, which COCO requires; import it with its media",
                item=rec.name,
            )
        if rec.kind is ItemKind.VIDEO:
            self._write_video(item)
            return
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
        self._write_image(image)
        if self._media is not None and item.media_file is not None:
            self._media.add_image(rec.name, item.media_file)
        self._write_objects(rec, image_id)

    def _write_video(self, item: ExportItem) -> None:
        """Write one image per frame, with the frame's annotations, and with ``copy_media`` the frame's file."""
        rec = item.record
        media = self._media
        if media is not None:
            if is_sequence(item) and not item.frame_files:
                raise FormatError(f"some stored frames of sequence {rec.name!r} are missing", item=rec.name)
            media.add_video(rec.name)
        by_frame = frame_annotations(rec)
        written = 0
        for frame in video_frames(item, frame_total(item), decode=media is not None):
            file_name = f"{rec.name}/{frame.index:06d}.{frame.ext}"
            image_id = self._image_ids.take()
            self._write_image({"id": image_id, "file_name": file_name, "width": rec.width, "height": rec.height,
                               "video": rec.name, "frame_index": frame.index})  # fmt: skip
            if media is not None:
                media.add_frame(rec.name, file_name, frame)
            anns = by_frame.pop(frame.index, None)
            if anns:
                on_frame = ItemRecord(
                    kind=rec.kind, name=rec.name, width=rec.width, height=rec.height, annotations=anns
                )
                self._write_objects(on_frame, image_id)
            written += 1
        check_frames_written(rec, list(by_frame), written)

    def _write_image(self, image: dict[str, Any]) -> None:
        self._opened("write").handle.write((b",\n" if self._n_images else b"") + orjson.dumps(image))
        self._n_images += 1

    def _write_objects(self, rec: ItemRecord, image_id: int) -> None:
        for obj in _objects(rec):
            ann = self._annotation(obj, rec, image_id)
            self._anns.write((b",\n" if self._n_anns else b"") + orjson.dumps(ann))
            self._n_anns += 1

    def _annotation(self, obj: _Object, rec: ItemRecord, image_id: int) -> dict[str, Any]:
        """Return the COCO annotation of one object: bbox from its box, segmentation and area from its shape."""
        bbox: list[float] | None = None
        if obj.box is not None:
            x1, y1, x2, y2 = (float(v) for v in obj.box.geometry["bbox"])
            bbox = [x1, y1, x2 - x1, y2 - y1]
        segmentation: Any = []
        if obj.polygons:
            parts = [[float(v) for v in a.geometry["points"]] for a in obj.polygons]
            segmentation, area = parts, polygons_area(parts)
            bbox = bbox or polygons_bbox(parts)
        elif obj.mask is not None:
            h, w, counts, compressed = _mask_counts(obj.mask, rec)
            area, mask_box = mask_area_bbox(counts, h, w)
            segmentation = {"size": [h, w], "counts": compress(counts, h, w) if compressed else counts}
            bbox = bbox or mask_box
        elif bbox is None and obj.keypoints is not None:
            pts = obj.keypoints.geometry["points"]
            xs = [x for x, v in zip(pts[0::3], pts[2::3], strict=True) if v > 0] or pts[0::3]
            ys = [y for y, v in zip(pts[1::3], pts[2::3], strict=True) if v > 0] or pts[1::3]
            bbox = [float(min(xs)), float(min(ys)), float(max(xs) - min(xs)), float(max(ys) - min(ys))]
        assert bbox is not None  # every object has a box, a polygon, a mask or keypoints
        if not segmentation:
            area = bbox[2] * bbox[3]
        kept = obj.box.attributes.get("coco_area") if obj.box is not None else None
        if (
            isinstance(kept, dict)
            and isinstance(kept.get("computed"), int | float)
            and same_area(kept["computed"], area)
        ):
            area = kept["area"]  # the file's own area, for geometry that has not changed since the import
        members = obj.members()
        out: dict[str, Any] = {
            "id": self._ann_ids.take(obj.coco_id),
            "image_id": image_id,
            "category_id": self._category_id(obj.label),
            "bbox": bbox,
            "area": area,
            "iscrowd": 1 if any(a.attributes.get("iscrowd") for a in members) else 0,
            "segmentation": segmentation,
        }
        n_points = self._keypoint_counts.get(obj.label)
        if obj.keypoints is not None:
            pts = obj.keypoints.geometry["points"]
            out["keypoints"] = [_whole(v) for v in pts]
            out["num_keypoints"] = sum(1 for v in pts[2::3] if v > 0)
        elif n_points:
            out["keypoints"], out["num_keypoints"] = [0] * (3 * n_points), 0
        score = next((a.score for a in members if a.score is not None), None)
        if score is not None:
            out["score"] = score
        if obj.track_id is not None:
            # CVAT's COCO layout; "keyframe" as the video convention has it (a box without the flag was set by hand).
            flag = next((a.attributes["keyframe"] for a in members if "keyframe" in a.attributes), True)
            out["attributes"] = {"track_id": obj.track_id, "keyframe": bool(flag)}
        return out

    def _complete(self, out: AtomicFile) -> None:
        """Append the buffered annotations and the categories, and move the media folder into place."""
        out.handle.write(b'\n],"annotations":[\n')
        self._anns.copy_to(out.handle)
        out.handle.write(b'\n],"categories":' + orjson.dumps(self._categories) + b"}\n")
        if self._media is not None:
            self._media.commit()

    def _release(self) -> None:
        self._anns.close()

    def finish(self) -> None:
        """Complete the file; the media folder, moved into place with it, is no longer this exporter's to remove."""
        super().finish()
        self._media = None

    def abort(self) -> None:
        """Delete the media folder and the file written so far (in that order, so their folder can go too)."""
        media, self._media = self._media, None
        if media is not None:
            media.remove()
        super().abort()
