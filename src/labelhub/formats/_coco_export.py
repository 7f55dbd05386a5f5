"""The COCO exporter, kept apart from the importer so each module stays one concern.

Boxes leave as COCO ``[x, y, width, height]`` in absolute pixels. The box, polygons, mask and keypoints of
one object become one COCO annotation again (:mod:`labelhub.formats._coco_objects`). Other annotation kinds
(class, span) are left out of the file; the tally counts them by kind, and counts every box, polygon, mask and
keypoints record written (so an object of a box and a polygon counts two).

A video item is written frame by frame (:mod:`labelhub.formats._coco_video`): one COCO image per frame,
``file_name`` ``<item name>/<frame:06d>.<ext>`` with the keys ``video`` (the item's name) and ``frame_index``,
and on it the frame's boxes, shapes and visible track boxes. The records of one track on one frame are one
object, whose annotation carries ``attributes: {"track_id", "keyframe"}`` (CVAT's COCO layout); ``outside``
boxes and annotations without a frame are not written. The same ``attributes`` object, on any annotation, holds
the values of the attributes the project declares, and ``occluded``, when the object's records carry them.

``dest`` ending in ``.json`` is the JSON file, and ``copy_media`` puts the media in ``images/`` next to it (a
folder that must not exist or be empty). Any other ``dest`` is a folder in the layout of COCO's own releases
and CVAT's COCO export: ``annotations/instances_default.json`` and, with ``copy_media``, ``images/``. Either way
the importer finds each image under its ``file_name`` in ``images/`` (a video file's frames are decoded with
OpenCV and written as JPEG). With ``copy_media``, an item whose media is not stored fails the export, naming it.
Everything is streamed, one item (and one decoded frame) at a time; the output is built under a temporary name
and moved into place at the end.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import orjson

from labelhub.domain.enums import ItemKind
from labelhub.domain.keypoints import to_coco
from labelhub.domain.records import ItemRecord
from labelhub.errors import FormatError
from labelhub.formats._attributes import schema_attributes
from labelhub.formats._coco_objects import OWN_ATTRIBUTES, WRITTEN, Ids, as_int, coco_annotation, group_objects
from labelhub.formats._coco_video import MediaFolder, check_frames_written, frame_annotations, on_a_frame, video_frames
from labelhub.formats._common import AtomicDir, AtomicFile
from labelhub.formats._export_base import AtomicExporter, Spool, frame_total
from labelhub.formats._keypoint_schema import schema_keypoints
from labelhub.formats.base import ExportItem, ExportOptions

_IMAGE_OWN_KEYS = frozenset({"id", "file_name", "width", "height"})
#: Where ``copy_media`` puts the images and frames: this folder next to the JSON file, or in the export folder.
MEDIA_FOLDER = "images"
#: The JSON file of a folder export, as CVAT names it (COCO's own are ``instances_<split>.json``).
ANNOTATION_FILE = "annotations/instances_default.json"


class CocoExporter(AtomicExporter[AtomicFile | AtomicDir]):
    """Writes one COCO JSON file, streaming images while annotations wait in a temporary file.

    Category ids come from ``options.extra["format_meta"]["coco"]["categories"]`` (as given by
    ``CocoImporter.schema_meta``) for the names found there; other labels get new ids above the largest.
    Without that metadata the ids are 1..N in ``labels`` order. A category's ``keypoints`` and (1-based)
    ``skeleton`` are the class's declaration in the schema (``options.extra["schema_keypoints"]``), else the
    ones the metadata kept.
    """

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        self._single = dest.suffix.lower() == ".json"
        self._categories: list[dict[str, Any]] = []
        self._category_ids: dict[str, int] = {}
        self._keypoint_counts: dict[str, int] = {}
        self._plan_categories()
        declared = (s.name for s in schema_attributes(options.extra))
        self._attributes = tuple(n for n in dict.fromkeys(["occluded", *declared]) if n not in OWN_ATTRIBUTES)
        self._image_ids = Ids()
        self._ann_ids = Ids()
        self._anns = Spool(dest, ".anns")
        self._json: IO[bytes] | None = None
        self._media: MediaFolder | None = None
        self._n_images = 0
        self._n_anns = 0

    def _plan_categories(self) -> None:
        meta = self.options.extra.get("format_meta")
        coco = meta.get("coco") if isinstance(meta, dict) else None
        known = coco.get("categories") if isinstance(coco, dict) else None
        by_name: dict[str, dict[str, Any]] = {}
        for cat in known if isinstance(known, list) else []:
            if isinstance(cat, dict) and isinstance(cat.get("name"), str) and as_int(cat.get("id")) is not None:
                by_name.setdefault(cat["name"], cat)
        taken: set[int] = set()
        planned: dict[str, dict[str, Any]] = {}
        for label in dict.fromkeys(self.labels):
            cat = by_name.get(label)
            cid = as_int(cat["id"]) if cat is not None else None
            if cat is not None and cid is not None and cid > 0 and cid not in taken:
                taken.add(cid)
                planned[label] = {"id": cid, "name": label, "supercategory": cat.get("supercategory", "")}
                planned[label].update((k, cat[k]) for k in ("keypoints", "skeleton") if isinstance(cat.get(k), list))
        next_id = max(taken, default=0) + 1
        declared = schema_keypoints(self.options.extra)
        for label in dict.fromkeys(self.labels):
            entry = planned.get(label)
            if entry is None:
                entry = {"id": next_id, "name": label, "supercategory": ""}
                next_id += 1
            if label in declared:  # the schema's declaration wins over what an import once kept
                entry.update(to_coco(declared[label]))
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

    def _create(self) -> AtomicFile | AtomicDir:
        return AtomicFile(self.dest, binary=True) if self._single else AtomicDir(self.dest)

    def _handle(self) -> IO[bytes]:
        if self._json is None:
            raise FormatError(f"{type(self).__name__} used before open() or after finish()", file=str(self.dest))
        return self._json

    def open(self) -> None:
        """Start the JSON file, the temporary annotation buffer and, with ``copy_media``, the media folder."""
        super().open()
        try:
            out = self._opened("open")
            if isinstance(out, AtomicFile):
                self._json, media_folder = out.handle, self.dest.parent / MEDIA_FOLDER
            else:
                # Kept open across write() calls and closed in _release(), so no with-block fits.
                self._json = out.path(ANNOTATION_FILE).open("wb")
                media_folder = out.tmp / MEDIA_FOLDER
            self._anns.open()
            if self.options.copy_media:
                self._media = MediaFolder(media_folder)
            info = {"description": "exported by labelhub"}
            self._json.write(b'{"info":' + orjson.dumps(info) + b',"licenses":[],"images":[\n')
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
        image_id = self._image_ids.take(as_int(rec.external_id))
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
        if self._media is not None and self.wants_media(item) and item.media_file is not None:
            self._media.add_image(rec.name, item.media_file)
        self._write_objects(rec, image_id)
        self.tally.count(rec.annotations, lambda a: a.kind in WRITTEN)

    def _write_video(self, item: ExportItem) -> None:
        """Write one image per frame, with the frame's annotations, and with ``copy_media`` the frame's file."""
        rec = item.record
        media = self._media if self._media is not None and self.wants_media(item) else None
        if media is not None:
            media.add_video(rec.name)
        by_frame = frame_annotations(rec)
        self.tally.count(rec.annotations, on_a_frame)
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
        self._handle().write((b",\n" if self._n_images else b"") + orjson.dumps(image))
        self._n_images += 1

    def _write_objects(self, rec: ItemRecord, image_id: int) -> None:
        lines = [
            orjson.dumps(
                coco_annotation(
                    obj,
                    rec,
                    image_id,
                    ann_id=self._ann_ids.take(obj.coco_id),
                    category_id=self._category_id(obj.label),
                    n_points=self._keypoint_counts.get(obj.label),
                    attributes=self._attributes,
                )
            )
            for obj in group_objects(rec)
        ]
        if lines:  # one write per image, not one per annotation
            self._anns.write((b",\n" if self._n_anns else b"") + b",\n".join(lines))
            self._n_anns += len(lines)

    def _complete(self, out: AtomicFile | AtomicDir) -> None:
        """Append the buffered annotations and the categories, and move the media folder into place."""
        handle = self._handle()
        handle.write(b'\n],"annotations":[\n')
        self._anns.copy_to(handle)
        handle.write(b'\n],"categories":' + orjson.dumps(self._categories) + b"}\n")
        if self._media is not None:
            self._media.commit()

    def _release(self) -> None:
        self._anns.close()
        if self._json is not None and not self._single:
            self._json.close()  # the folder's JSON file; an AtomicFile closes its own handle
        self._json = None

    def finish(self) -> None:
        """Complete the file; the media folder, moved into place with it, is no longer this exporter's to remove."""
        super().finish()
        self._media = None

    def abort(self) -> None:
        """Delete the media folder and what was written so far (in that order, so their folder can go too)."""
        media, self._media = self._media, None
        if media is not None:
            media.remove()
        super().abort()
