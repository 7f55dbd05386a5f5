"""The Label Studio JSON exporter: the task list Label Studio imports, and :mod:`.label_studio` reads back.

One task per item: ``{"id", "data": {"image" | "video" | "text": ...}, "annotations": [{"result": [...]}],
"predictions": [{"model_version", "score", "result": [...]}]}``. Accepted annotations go to the task's one
annotation; open model proposals (an export that includes the proposed state) to one prediction per model version,
each result with its own ``score``. Regions are written in percent of ``original_width`` / ``original_height``:
boxes as ``rectanglelabels`` (a box imported rotated goes back rotated), polygons as ``polygonlabels``, class
annotations as ``choices``, text spans as ``labels`` with ``start``, ``end`` and the covered ``text``, video tracks
as ``videorectangle`` sequences of their keyframes (a keyframe followed by an ``outside`` box gets ``enabled:
false``; Label Studio interpolates between keyframes, so propagated boxes are not written). The project's declared
attributes of a region follow it as results with its ``id`` (see :mod:`labelhub.formats._label_studio_attributes`).
Masks, keypoints, other annotations on a video frame, rejected annotations and regions of an image or video whose
size is unknown are left out and counted.

The media reference is the item's name (URL-quoted), which the importer looks up next to the JSON file (or in
``--images-dir``). A ``.json`` dest is the task list alone; any other dest is a folder holding ``tasks.json``
and, with ``copy_media``, each item's file under its name beside it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import orjson

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats._attributes import schema_attributes
from labelhub.formats._common import AtomicDir, AtomicFile, copy_media, is_safe_relative
from labelhub.formats._export_base import FileOrFolderExporter
from labelhub.formats._label_studio_attributes import attribute_results
from labelhub.formats.base import ExportItem, ExportOptions

__all__ = ["TASKS_FILE", "LabelStudioExporter"]

#: The task list's file name inside a folder export.
TASKS_FILE = "tasks.json"
_DATA_KEY = {ItemKind.IMAGE: "image", ItemKind.VIDEO: "video", ItemKind.TEXT: "text"}
_DIGITS = re.compile(r"[1-9][0-9]{0,17}\Z")
_ImageSize = tuple[int, int] | None


class LabelStudioExporter(FileOrFolderExporter):
    """Writes the items as a Label Studio task list (see the module docstring)."""

    file_suffix: ClassVar[str] = ".json"

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        self._n = 0
        self._ids: set[Any] = set()
        self._json: Any = None
        self._specs = schema_attributes(options.extra)

    def _create(self) -> AtomicFile | AtomicDir:
        out = super()._create()
        if isinstance(out, AtomicFile):
            self._json = out.handle
        else:
            self._json = out.path(TASKS_FILE).open("wb")
        self._json.write(b"[")
        return out

    def _release(self) -> None:
        if self._json is not None and not isinstance(self._out, AtomicFile):
            self._json.close()
        self._json = None

    def _complete(self, out: AtomicFile | AtomicDir) -> None:
        self._json.write(b"\n]\n" if self._n else b"]\n")

    def write(self, item: ExportItem) -> None:
        """Write the item's task, and its media file with ``copy_media``."""
        out = self._opened("write")
        rec = item.record
        task = self._task(rec)
        self._json.write((b"\n" if not self._n else b",\n") + orjson.dumps(task))
        self._n += 1
        # An image-sequence video has no one file Label Studio can play: its frames are not copied.
        if isinstance(out, AtomicDir) and self.wants_media(item) and item.media_file and not item.frame_files:
            if not is_safe_relative(rec.name) or rec.name == TASKS_FILE:
                raise FormatError(f"item name {rec.name!r} cannot be a file name in the export", item=rec.name)
            copy_media(item.media_file, out.path(rec.name))

    def _task_id(self, rec: ItemRecord) -> Any:
        """The task id: the item's name for text (the importer names text items by it), else its external id."""
        key = rec.name if rec.kind is ItemKind.TEXT else (rec.external_id or rec.name)
        tid: Any = int(key) if _DIGITS.match(key) else key
        if tid in self._ids or str(tid) in self._ids:
            tid = rec.name
            if tid in self._ids:
                raise FormatError(f"two items share the task id {tid!r}", item=rec.name)
        self._ids.update((tid, str(tid)))
        return tid

    def _task(self, rec: ItemRecord) -> dict[str, Any]:
        key = _DATA_KEY[rec.kind]
        ls_meta = rec.meta.get("label_studio")
        extra = ls_meta.get("data") if isinstance(ls_meta, dict) else None
        data: dict[str, Any] = dict(extra) if isinstance(extra, dict) else {}
        if rec.kind is ItemKind.TEXT:
            if rec.text is None:
                raise FormatError(f"item {rec.name!r} has no text to export", item=rec.name)
            data[key] = rec.text
        else:
            data[key] = quote(rec.name, safe="/")
        accepted: list[dict[str, Any]] = []
        proposed: dict[str | None, list[dict[str, Any]]] = {}
        size = (rec.width, rec.height) if rec.width and rec.height else None
        tracks: dict[tuple[Any, ...], list[AnnotationRecord]] = {}
        for n, ann in enumerate(rec.annotations):
            if _in_track(rec, ann, size):
                tracks.setdefault((ann.track_id, ann.label, ann.state, ann.model_version), []).append(ann)
                continue
            result = self._result(rec, ann, size, f"r{n}")
            if result is None or ann.state is AnnotationState.REJECTED:
                self.tally.skip(ann)
                continue
            self.tally.annotations += 1
            held = self._attributes(result, ann)
            if ann.state is AnnotationState.PROPOSED:
                if ann.score is not None:
                    result["score"] = ann.score
                proposed.setdefault(ann.model_version, []).extend([result, *held])
            else:
                accepted.extend([result, *held])
        for n, ((_, _, state, version), boxes) in enumerate(tracks.items()):
            result = self._track(rec, boxes, size, f"t{n}")
            if result is None or state is AnnotationState.REJECTED:
                continue
            held = self._attributes(result, min(boxes, key=lambda a: a.frame or 0))
            if state is AnnotationState.PROPOSED:
                proposed.setdefault(version, []).extend([result, *held])
            else:
                accepted.extend([result, *held])
        task: dict[str, Any] = {"id": self._task_id(rec), "data": data, "annotations": [], "predictions": []}
        if accepted:
            task["annotations"].append({"result": accepted})
        for version, results in proposed.items():
            scores = [r["score"] for r in results if "score" in r]
            pred: dict[str, Any] = {"model_version": version or "", "result": results}
            if scores:
                pred["score"] = sum(scores) / len(scores)
            task["predictions"].append(pred)
        return task

    def _attributes(self, region: dict[str, Any], ann: AnnotationRecord) -> list[dict[str, Any]]:
        """The results holding the declared attributes of a region (none for a class annotation: no region)."""
        if not self._specs or ann.kind is AnnotationKind.CLASS:
            return []
        return attribute_results(region, ann.label, ann.attributes, self._specs)

    def _track(
        self, rec: ItemRecord, boxes: list[AnnotationRecord], size: _ImageSize, rid: str
    ) -> dict[str, Any] | None:
        """Return one track as a ``videorectangle`` of its keyframes (Label Studio interpolates between them), a
        keyframe followed by an ``outside`` box marked ``enabled: false``; count what it holds and leave out."""
        assert size is not None  # _in_track checked it
        if boxes[0].state is AnnotationState.REJECTED:
            for ann in boxes:
                self.tally.skip(ann)
            return None
        boxes = sorted(boxes, key=lambda a: a.frame or 0)
        sequence: list[dict[str, Any]] = []
        for n, ann in enumerate(boxes):
            outside = ann.attributes.get("outside") is True
            if outside:
                if sequence and sequence[-1]["frame"] == ann.frame:  # the box right before: it disappears after it
                    sequence[-1]["enabled"] = False
                    self.tally.annotations += 1
                elif n == 0 or boxes[n - 1].attributes.get("outside") is True:
                    self.tally.annotations += 1  # still gone: nothing to say
                else:
                    self.tally.skip(ann)  # gone after a box that is not a keyframe: no keyframe to mark
                continue
            closing = n + 1 < len(boxes) and boxes[n + 1].attributes.get("outside") is True
            if ann.attributes.get("keyframe") is False and not closing:
                self.tally.skip(ann)  # a propagated box: Label Studio interpolates between keyframes instead
                continue
            entry = {"frame": (ann.frame or 0) + 1, **_rect(ann, *size), "enabled": True}
            if rec.fps:
                entry["time"] = (ann.frame or 0) / rec.fps
            sequence.append(entry)
            self.tally.annotations += 1
        if not sequence:
            return None
        value: dict[str, Any] = {"sequence": sequence, "labels": [boxes[0].label]}
        if rec.frame_count:
            value["framesCount"] = rec.frame_count
            if rec.fps:
                value["duration"] = rec.frame_count / rec.fps
        result: dict[str, Any] = {"id": rid, "type": "videorectangle", "from_name": "box", "to_name": "video"}
        result["value"] = value
        scores = [a.score for a in boxes if a.score is not None]
        if boxes[0].state is AnnotationState.PROPOSED and scores:
            result["score"] = sum(scores) / len(scores)
        return result

    def _result(self, rec: ItemRecord, ann: AnnotationRecord, size: _ImageSize, rid: str) -> dict[str, Any] | None:
        """Return the Label Studio result of ``ann``, or None when the format has no place for it."""
        if ann.label is None or ann.frame is not None:
            return None
        to_name = _DATA_KEY[rec.kind]
        if ann.kind is AnnotationKind.CLASS:
            return {"id": rid, "type": "choices", "from_name": "choice", "to_name": to_name,
                    "value": {"choices": [ann.label]}}  # fmt: skip
        if ann.kind is AnnotationKind.SPAN and rec.text is not None:
            start, end = ann.geometry["start"], ann.geometry["end"]
            value = {"start": start, "end": end, "text": rec.text[start:end], "labels": [ann.label]}
            return {"id": rid, "type": "labels", "from_name": "label", "to_name": to_name, "value": value}
        if rec.kind is not ItemKind.IMAGE or size is None:
            return None
        w, h = size
        if ann.kind is AnnotationKind.BOX:
            value = _rect(ann, w, h)
            value["rectanglelabels"] = [ann.label]
            rtype, from_name = "rectanglelabels", "label"
        elif ann.kind is AnnotationKind.POLYGON:
            pts = ann.geometry["points"]
            points = [[x * 100 / w, y * 100 / h] for x, y in zip(pts[0::2], pts[1::2], strict=True)]
            value = {"points": points, "closed": True, "polygonlabels": [ann.label]}
            rtype, from_name = "polygonlabels", "polygon"
        else:
            return None
        return {"id": rid, "type": rtype, "from_name": from_name, "to_name": to_name, "original_width": w,
                "original_height": h, "image_rotation": 0, "value": value}  # fmt: skip


def _in_track(rec: ItemRecord, ann: AnnotationRecord, size: _ImageSize) -> bool:
    """True for a track box this format writes as part of a ``videorectangle``."""
    return (
        rec.kind is ItemKind.VIDEO
        and size is not None
        and ann.kind is AnnotationKind.TRACK_BOX
        and ann.track_id is not None
        and ann.frame is not None
        and ann.label is not None
    )


def _rect(ann: AnnotationRecord, w: int, h: int) -> dict[str, Any]:
    """Return a box's x, y, width, height and rotation in percent: the turned box it was imported as, if any."""
    rotation, turned = ann.attributes.get("rotation"), ann.attributes.get("ls_rotated_box")
    if (
        isinstance(rotation, int | float)
        and rotation
        and isinstance(turned, list)
        and len(turned) == 4
        and all(isinstance(v, int | float) and math.isfinite(v) for v in turned)
    ):
        x, y, bw, bh = turned
    else:
        x1, y1, x2, y2 = ann.geometry["bbox"]
        x, y, bw, bh, rotation = x1, y1, x2 - x1, y2 - y1, 0
    return {"x": x * 100 / w, "y": y * 100 / h, "width": bw * 100 / w, "height": bh * 100 / h, "rotation": rotation}
