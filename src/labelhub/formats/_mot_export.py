"""The MOT challenge exporter: one sequence folder per video item, with ``gt/gt.txt`` and ``seqinfo.ini``.

Track boxes leave as ``frame,id,x,y,w,h,conf,class,visibility`` lines (1-based frames, top-left corner and
size in pixels), sorted by id and frame. Track ids are kept; ids MOT cannot use (0 or negative) and boxes
outside any track get new ids above the largest. ``conf`` is 0 for boxes flagged ``ignore`` and 1 otherwise;
``visibility`` is the attribute of that name, or 0/1 from ``occluded``. Boxes flagged ``outside`` are left
out (MOT has no such rows). A box clipped to the frame on import goes back unclipped when it was not edited.
Model proposals outside tracks go to ``det/det.txt`` (``frame,-1,x,y,w,h,score,-1,-1,-1``).

Class ids: MOT17/MOT20's when every label of the project is one of their classes; otherwise the project's
labels in order, listed in ``gt/labels.txt`` (class ``i`` is line ``i``, the file CVAT and Datumaro write).
With ``copy_media`` the frames go to ``img1/000001.jpg ...`` (a video file is decoded with OpenCV); a video
whose media is not stored fails the export, naming it. Polygons, masks, keypoints, tags, outside boxes and
annotations without a frame have no MOT row: the tally counts them as left out, by kind.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import cv2

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats._common import AtomicDir, copy_media, is_safe_relative
from labelhub.formats._export_base import FolderExporter, frame_total
from labelhub.formats._media_names import file_suffix
from labelhub.formats.base import ExportItem, ExportOptions

MOT_CLASSES = ("pedestrian", "person_on_vehicle", "car", "bicycle", "motorbike", "non_motorized_vehicle",
               "static_person", "distractor", "occluder", "occluder_on_the_ground", "occluder_full", "reflection",
               "crowd")  # fmt: skip
_BOX_KINDS = frozenset({AnnotationKind.BOX, AnnotationKind.TRACK_BOX})


def _fmt(value: float) -> str:
    """Return a pixel value with at most two decimals and no trailing zeros (``12``, ``12.5``)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _has_row(ann: AnnotationRecord) -> bool:
    """Return True when the annotation is a visible box on a frame, which MOT writes as a row."""
    visible = not ann.attributes.get("outside")
    return ann.kind in _BOX_KINDS and ann.frame is not None and ann.label is not None and visible


def _unclipped(ann: AnnotationRecord, box: list[float], width: int | None, height: int | None) -> list[float]:
    """Return the box as MOT had it before the import clipped it to the frame, when that clip is unchanged."""
    raw: Any = ann.attributes.get("unclipped")
    if not width or not height or not isinstance(raw, list) or len(raw) != 4:
        return box
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw):
        return box
    x1, y1, x2, y2 = (float(v) for v in raw)
    clipped = (max(x1, 0.0), max(y1, 0.0), min(x2, float(width)), min(y2, float(height)))
    same = all(math.isclose(a, b, abs_tol=1e-6) for a, b in zip(clipped, box, strict=True))
    return [x1, y1, x2, y2] if same else box


def _text(out: AtomicDir, rel: str, lines: list[str]) -> None:
    with out.path(rel).open("w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(f"{line}\n" for line in lines)


def _frames(out: AtomicDir, item: ExportItem, suffix: str) -> None:
    """Copy a sequence's frames to ``img1/000001<suffix> ...``, or decode a video file's frames to JPEG."""
    rec = item.record
    if item.frame_files:
        for i, frame in enumerate(item.frame_files, start=1):
            copy_media(frame, out.path(f"{rec.name}/img1/{i:06d}{suffix}"))
        return
    if item.media_file is None:
        return
    capture = cv2.VideoCapture(str(item.media_file))
    try:
        if not capture.isOpened():
            raise FormatError(f"OpenCV cannot open the video of item {rec.name!r}", item=rec.name)
        n = 0
        while True:
            ok, image = capture.read()
            if not ok:
                break
            n += 1
            if not cv2.imwrite(str(out.path(f"{rec.name}/img1/{n:06d}.jpg")), image):
                raise FormatError(f"cannot write frame {n} of item {rec.name!r}", item=rec.name)
    finally:
        capture.release()


class MotExporter(FolderExporter):
    """Writes MOT sequence folders under ``dest`` (see the module docstring)."""

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        self._names = list(dict.fromkeys(labels))
        # A project without classes has no standard to keep: its labels go to labels.txt as they come.
        self._standard = bool(self._names) and all(name in MOT_CLASSES for name in self._names)
        self._written: set[str] = set()

    def _class(self, label: str) -> int:
        if self._standard:
            if label not in MOT_CLASSES:
                raise FormatError(f"label {label!r} is not a MOT class ({', '.join(MOT_CLASSES)})", field="label")
            return MOT_CLASSES.index(label) + 1
        if label not in self._names:
            self._names.append(label)
        return self._names.index(label) + 1

    def write(self, item: ExportItem) -> None:
        """Write one sequence: gt.txt, det.txt when there are proposals, labels.txt, seqinfo.ini, frames."""
        out = self._opened("write")
        rec = item.record
        if rec.kind is not ItemKind.VIDEO:
            raise FormatError(f"item {rec.name!r} is a {rec.kind.value}; MOT holds videos", item=rec.name)
        if not is_safe_relative(rec.name) or rec.name in self._written:
            raise FormatError(f"item name {rec.name!r} cannot be used as a folder name here", item=rec.name)
        self._written.add(rec.name)
        gt, det = self._rows(rec)
        _text(out, f"{rec.name}/gt/gt.txt", [",".join(row) for _, _, row in sorted(gt)])
        if det:
            _text(out, f"{rec.name}/det/det.txt", [",".join(row) for _, row in sorted(det, key=lambda r: r[0])])
        if not self._standard:
            _text(out, f"{rec.name}/gt/labels.txt", self._names)
        length = frame_total(item)
        suffix = file_suffix(item.frame_files[0], ".jpg") if item.frame_files else ".jpg"
        if rec.width and rec.height:
            fps = round(rec.fps) if rec.fps else 30
            lines = ["[Sequence]", f"name={rec.name.rsplit('/', 1)[-1]}", "imDir=img1", f"frameRate={fps}",
                     f"seqLength={length}", f"imWidth={rec.width}", f"imHeight={rec.height}",
                     f"imExt={suffix}"]  # fmt: skip
            _text(out, f"{rec.name}/seqinfo.ini", lines)
        if self.wants_media(item):
            _frames(out, item, suffix)

    def _rows(self, rec: ItemRecord) -> tuple[list[tuple[int, int, list[str]]], list[tuple[int, list[str]]]]:
        anns = [a for a in rec.annotations if _has_row(a)]
        self.tally.count(rec.annotations, _has_row)
        used = {a.track_id for a in anns if a.track_id is not None and a.track_id > 0}
        next_id = max(used, default=0) + 1
        renumbered: dict[int, int] = {}
        gt: list[tuple[int, int, list[str]]] = []
        det: list[tuple[int, list[str]]] = []
        for ann in anns:
            frame = (ann.frame or 0) + 1
            x1, y1, x2, y2 = _unclipped(ann, [float(v) for v in ann.geometry["bbox"]], rec.width, rec.height)
            box = [_fmt(x1), _fmt(y1), _fmt(x2 - x1), _fmt(y2 - y1)]
            proposal = ann.state is AnnotationState.PROPOSED or ann.source is Source.MODEL
            if ann.track_id is None and proposal:
                score = ann.score if ann.score is not None else 1.0
                det.append((frame, [str(frame), "-1", *box, f"{score:.6g}", "-1", "-1", "-1"]))
                continue
            tid = ann.track_id
            if tid is None:  # a box outside any track is a track of its own
                tid, next_id = next_id, next_id + 1
            elif tid <= 0:
                if tid not in renumbered:
                    renumbered[tid], next_id = next_id, next_id + 1
                tid = renumbered[tid]
            conf = "0" if ann.attributes.get("ignore") else "1"
            vis: Any = ann.attributes.get("visibility")
            if not isinstance(vis, int | float) or isinstance(vis, bool) or not math.isfinite(vis):
                vis = 0.0 if ann.attributes.get("occluded") else 1.0
            label = ann.label or ""
            gt.append((tid, frame, [str(frame), str(tid), *box, conf, str(self._class(label)), f"{float(vis):.6g}"]))
        return gt, det
