"""The YOLO exporter: ``images/<split>/``, ``labels/<split>/`` and a ``data.yaml`` Ultralytics can train on.

Boxes leave as ``class cx cy w h`` and polygons as segmentation lines ``class x1 y1 ... xn yn``, normalised by
the image size with six decimals and clipped to 0..1 (the domain lets geometry overhang the image by up to a
pixel; Ultralytics rejects values above 1). Masks, tags, spans and track boxes are not written. Items
without annotations get an empty label file, which YOLO reads as a background image. The tally counts one
written annotation per line; every other annotation, also the polygon or box that another line already stands
for (below), is counted as left out, by kind.

Ultralytics misreads a label file that mixes box and polygon lines (one long line makes it read every line as
a polygon), and one object often carries both a box and a polygon (COCO's bbox and segmentation). So each file
holds one kind, chosen by ``extra["task"]``:

- ``detect``: every box as a box line, plus the bounding box of each polygon whose object has no box, so no
  object is lost and none is written twice;
- ``segment``: every polygon as a polygon line, plus each box whose object has no polygon, as a four-corner
  polygon;
- ``auto`` (default): per item, ``segment`` when it has polygons and no boxes, ``detect`` otherwise; so a box
  project gives box lines, a polygon project polygon lines, and a project with both the detection labels;
- ``pose``: the ``detect`` lines, each followed by its object's keypoints (an Ultralytics pose dataset, with
  ``kpt_shape`` in data.yaml; :mod:`labelhub.formats._yolo_pose_export`). ``auto`` chooses it for the whole
  dataset when the classes that declare keypoints all declare the same number of them.

Keypoints are written in pose datasets only.

A box and a polygon are one object when they share ``attributes["coco_id"]`` or ``coco_group`` (the importers'
link);
shapes without it are one object when they have the same label and the polygon lies inside the box.

``data.yaml`` has ``path: ''`` (Ultralytics then takes the folder of the YAML file as the root, wherever the
folder is moved), one key per split present (``train2017`` goes under ``train``, ``valid`` under ``val``; a
split that is none of train/val/test keeps its own name as key), ``val`` pointing at the training images when
there is no validation split (Ultralytics refuses a YAML without ``val``), and ``names`` as ``{id: name}``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import yaml

from labelhub.domain.enums import AnnotationKind
from labelhub.domain.geometry import EDGE_TOLERANCE
from labelhub.domain.records import ItemRecord
from labelhub.errors import FormatError, ValidationError
from labelhub.formats._common import AtomicDir, copy_media, is_safe_relative, safe_component
from labelhub.formats._export_base import FolderExporter
from labelhub.formats._yolo_pose_export import flip_idx, pose_lines, pose_points
from labelhub.formats.base import ExportItem, ExportOptions

_DEFAULT_SPLIT = "train"
_TASKS = ("auto", "detect", "segment", "pose")
_YAML_KEYS = (("train", "train"), ("val", "val"), ("valid", "val"), ("dev", "val"), ("test", "test"))
# Keys Ultralytics reads for something else: a split of that name cannot be its own key.
_RESERVED_KEYS = frozenset({"path", "names", "nc", "download", "channels", "yaml_file", "kpt_shape", "flip_idx"})


def _yaml_key(split: str) -> str:
    """Return the data.yaml key a split folder belongs to: train2017 -> train, valid -> val, holdout -> holdout."""
    lowered = split.lower()
    for prefix, key in _YAML_KEYS:
        if lowered.startswith(prefix):
            return key
    return split


def _clip(v: float) -> float:
    return 0.0 if v < 0.0 else 1.0 if v > 1.0 else v


def _bounds(points: list[float]) -> list[float]:
    xs, ys = points[0::2], points[1::2]
    return [min(xs), min(ys), max(xs), max(ys)]


def _inside(inner: list[float], outer: list[float]) -> bool:
    return (
        inner[0] >= outer[0] - EDGE_TOLERANCE
        and inner[1] >= outer[1] - EDGE_TOLERANCE
        and inner[2] <= outer[2] + EDGE_TOLERANCE
        and inner[3] <= outer[3] + EDGE_TOLERANCE
    )


# A shape as the exporter plans it: label, the object id it shares with the other shapes of its object (COCO's
# annotation id, when it came from COCO), its box (x1, y1, x2, y2) or its polygon points, and its annotation's
# position in the item.
_Shape = tuple[str, object, list[float], int]


def _alone(shapes: list[_Shape], partners: list[_Shape], *, shape_inside: bool) -> list[_Shape]:
    """Return the shapes (with box bounds) whose object none of ``partners`` stands for.

    A partner stands for a shape's object when both carry the same object id or, when either has none, when
    it has the same label and one lies inside the other: the shape inside the partner when ``shape_inside``,
    else the partner inside the shape.
    """
    ids = {oid for _, oid, _, _ in partners if oid is not None}
    by_label: dict[str, list[tuple[object, list[float]]]] = {}
    for label, oid, bounds, _ in partners:
        by_label.setdefault(label, []).append((oid, bounds))
    out: list[_Shape] = []
    for label, oid, bounds, at in shapes:
        if oid is not None and oid in ids:
            continue
        if any(
            (oid is None or p_oid is None) and (_inside(bounds, pb) if shape_inside else _inside(pb, bounds))
            for p_oid, pb in by_label.get(label, ())
        ):
            continue
        out.append((label, oid, bounds, at))
    return out


def _object_id(attributes: dict[str, object]) -> object:
    """The id the importers give all shapes of one object: COCO's annotation id, else ``coco_group``."""
    for key in ("coco_id", "coco_group"):
        value = attributes.get(key)
        if value is not None:
            return (key, value)
    return None


class YoloExporter(FolderExporter):
    """Writes a YOLO dataset folder; class ids follow ``labels`` order, and labels met later are appended."""

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        task = options.extra.get("task", "auto")
        if task not in _TASKS:
            raise ValidationError(f"task must be one of {', '.join(_TASKS)}, got {task!r}", field="task")
        self.task: str = task
        self.pose_k = pose_points(options.extra, task)  # K of kpt_shape [K, 3]; None: no pose dataset
        self._names: list[str] = list(dict.fromkeys(labels))
        self._ids = {name: i for i, name in enumerate(self._names)}
        self._splits: dict[str, None] = {}  # an ordered set: splits in the order items used them
        self._written: set[str] = set()

    def _class_id(self, label: str) -> int:
        cid = self._ids.get(label)
        if cid is None:
            cid = self._ids[label] = len(self._names)
            self._names.append(label)
        return cid

    def _lines(self, rec: ItemRecord, width: int, height: int) -> list[str]:
        """Return the item's label lines, counting in the tally what they hold and what they leave out."""
        boxes: list[_Shape] = []
        polygons: list[_Shape] = []
        keypoints: list[_Shape] = []
        kinds = (AnnotationKind.BOX, AnnotationKind.POLYGON, AnnotationKind.KEYPOINTS)
        for at, ann in enumerate(rec.annotations):
            if ann.kind not in kinds or (ann.kind is AnnotationKind.KEYPOINTS and self.pose_k is None):
                continue
            if ann.label is None:
                msg = f"a {ann.kind.value} of item {rec.name!r} has no label, which YOLO requires"
                raise FormatError(msg, item=rec.name)
            oid = _object_id(ann.attributes)
            if ann.kind is AnnotationKind.BOX:
                boxes.append((ann.label, oid, [float(v) for v in ann.geometry["bbox"]], at))
            elif ann.kind is AnnotationKind.POLYGON:
                polygons.append((ann.label, oid, [float(v) for v in ann.geometry["points"]], at))
            else:
                keypoints.append((ann.label, oid, [float(v) for v in ann.geometry["points"]], at))
        task = self.task
        if task == "auto":
            task = "segment" if polygons and not boxes else "detect"
        lines: list[str] = []
        written: set[int] = set()
        outlines = [(label, oid, _bounds(pts), at) for label, oid, pts, at in polygons]
        if self.pose_k is not None:
            objects = boxes + _alone(outlines, boxes, shape_inside=True)
            size = (width, height)
            lines, written = pose_lines(objects, keypoints, size, self.pose_k, self._class_id, rec.name)
        elif task == "detect":
            for label, _oid, (x1, y1, x2, y2), at in boxes + _alone(outlines, boxes, shape_inside=True):
                x1, x2 = _clip(x1 / width), _clip(x2 / width)
                y1, y2 = _clip(y1 / height), _clip(y2 / height)
                cid = self._class_id(label)
                lines.append(f"{cid} {(x1 + x2) / 2:.6f} {(y1 + y2) / 2:.6f} {x2 - x1:.6f} {y2 - y1:.6f}\n")
                written.add(at)
        else:
            rects = [
                (label, oid, [x1, y1, x2, y1, x2, y2, x1, y2], at)
                for label, oid, (x1, y1, x2, y2), at in _alone(boxes, outlines, shape_inside=False)
            ]
            for label, _oid, pts, at in polygons + rects:
                xy = " ".join(f"{_clip(v / (width if i % 2 == 0 else height)):.6f}" for i, v in enumerate(pts))
                lines.append(f"{self._class_id(label)} {xy}\n")
                written.add(at)
        self.tally.count_at(rec.annotations, written)
        return lines

    def write(self, item: ExportItem) -> None:
        """Write the item's label file, and copy its image when ``copy_media`` is set."""
        out = self._opened("write")
        rec = item.record
        if not rec.width or not rec.height:
            raise FormatError(
                f"item {rec.name!r} has no width/height, which YOLO needs to normalise its boxes",
                item=rec.name,
            )
        if not is_safe_relative(rec.name):
            raise FormatError(f"item name {rec.name!r} cannot be used as a file path", item=rec.name)
        split = safe_component(rec.split or _DEFAULT_SPLIT, "split", rec.name)
        if _yaml_key(split) in _RESERVED_KEYS:
            raise FormatError(f"split {split!r} of item {rec.name!r} clashes with a data.yaml key", item=rec.name)
        rel = PurePosixPath(rec.name)
        label_rel = f"labels/{split}/{rel.with_suffix('.txt')}"
        if label_rel in self._written:
            raise FormatError(f"two items of split {split!r} would both write {label_rel}", item=rec.name)
        lines = self._lines(rec, rec.width, rec.height)
        with out.path(label_rel).open("w", encoding="utf-8") as fh:
            fh.writelines(lines)
        self._written.add(label_rel)
        self._splits[split] = None
        if self.wants_media(item) and item.media_file is not None:
            copy_media(item.media_file, out.path(f"images/{split}/{rel}"))

    def _data_yaml(self) -> dict[str, object]:
        grouped: dict[str, list[str]] = {}
        for split in self._splits or {_DEFAULT_SPLIT: None}:
            grouped.setdefault(_yaml_key(split), []).append(f"images/{split}")
        data: dict[str, object] = {"path": ""}
        standard = [k for k in ("train", "val", "test") if k in grouped]
        for key in [*standard, *(k for k in grouped if k not in standard)]:
            folders = grouped[key]
            data[key] = folders[0] if len(folders) == 1 else folders
        # Ultralytics refuses a data.yaml without 'train' or 'val'. Only folders that were written may be named:
        # with no train split (every item in, say, 'holdout') training uses all of them, and validating on the
        # training images is Ultralytics' own fallback.
        written = [f"images/{split}" for split in self._splits or {_DEFAULT_SPLIT: None}]
        data.setdefault("train", written[0] if len(written) == 1 else written)
        data.setdefault("val", data["train"])
        if self.pose_k is not None:
            data["kpt_shape"] = [self.pose_k, 3]
            flip = flip_idx(self.options.extra, self.pose_k)
            if flip is not None:
                data["flip_idx"] = flip
        data["names"] = dict(enumerate(self._names))
        return data

    def _complete(self, out: AtomicDir) -> None:
        """Write data.yaml."""
        with out.path("data.yaml").open("w", encoding="utf-8") as fh:
            yaml.safe_dump(self._data_yaml(), fh, sort_keys=False, allow_unicode=True)
