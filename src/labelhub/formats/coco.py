"""COCO detection JSON: ``images``, ``annotations`` (``bbox = [x, y, width, height]``) and ``categories``.

At this boundary COCO's ``[x, y, w, h]`` boxes in absolute pixels become labelhub's ``[x1, y1, x2, y2]``
and back. Each COCO annotation becomes one ``box`` (its ``bbox``, which box-only formats and detectors use)
plus, when it has them, one ``polygon`` per polygon part, one ``mask`` for an RLE segmentation and one
``keypoints`` record; all carry the COCO id in ``attributes["coco_id"]`` so the exporter can put them back
together into one COCO annotation. An annotation's ``attributes`` object (CVAT's COCO layout: ``occluded`` and
the task's attributes) comes in as the records' attributes, values as given, but for the keys the format keeps
to itself (``track_id``, ``keyframe``, ...). ``extra["segmentation"] = False`` reads boxes only. Segmentation details
are in :mod:`labelhub.formats._coco_segm`.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats._coco_export import CocoExporter
from labelhub.formats._coco_files import find_annotation_file, split_of
from labelhub.formats._coco_objects import OWN_ATTRIBUTES
from labelhub.formats._coco_segm import SegmentationError, keep_area, read_shapes
from labelhub.formats._coco_states import StateError, mark_state
from labelhub.formats._common import MediaResolver, absolute, checked_size, gc_paused, is_safe_relative, list_images
from labelhub.formats._encoding import json_error
from labelhub.formats._guards import MAX_INT, bad_label, check_meta, find_media, storable
from labelhub.formats._mismatch import not_this_format
from labelhub.formats.base import FormatImporter, ImportOptions
from labelhub.formats.coco_captions import is_captions_head, sniff

__all__ = ["CocoExporter", "CocoImporter", "detect", "find_annotation_file"]

# Enough of the head of a JSON file to see its top-level keys without reading a huge file.
_DETECT_BYTES = 1 << 20
_IMAGE_OWN_KEYS = frozenset({"id", "file_name", "width", "height"})
_NUMBER = (int, float)
_OFF = frozenset({"0", "false", "no", "off", "none", "boxes"})


def detect(path: Path) -> bool:
    """Return True when ``path`` is a COCO JSON file or a folder with one under ``annotations/``."""
    try:
        json_path = find_annotation_file(path)
        head, tail = sniff(json_path, _DETECT_BYTES)
    except (FormatError, OSError):
        return False
    # Writers put "images" first or after the annotations; either key with COCO's own field names will do.
    # A captions file has the same keys but no boxes: that one is coco_captions'.
    if is_captions_head(json_path, head, tail):
        return False
    return head.lstrip().startswith(b"{") and (b'"images"' in head or b'"image_id"' in head)


def _pixels(value: Any) -> int | None:
    # Some writers store sizes as 640.0; a size that is not a positive whole number is left to the header.
    if type(value) is float and value.is_integer():
        value = int(value)
    return value if type(value) is int and 0 < value <= MAX_INT else None


def _int_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(slots=True)
class _Index:
    """The parsed file: the valid images in file order, and the annotations grouped by image."""

    images: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (index in file, entry)
    annotations: list[Any] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    category_names: dict[int, str] = field(default_factory=dict)
    keypoint_counts: dict[int, int] = field(default_factory=dict)  # category id -> number of keypoint names
    problems: list[Problem] = field(default_factory=list)
    # ``order`` lists the valid annotation indices grouped by image (in file order within an image), and
    # ``order[starts[k]:starts[k + 1]]`` are those of ``images[k]``: two flat int arrays, not 100k lists.
    order: array[int] = field(default_factory=lambda: array("q"))
    starts: array[int] = field(default_factory=lambda: array("q", [0]))


class CocoImporter(FormatImporter):
    """Reads a COCO JSON file; yields one image item per ``images`` entry with its box annotations."""

    item_kind = ItemKind.IMAGE

    def __init__(self, source: Path, options: ImportOptions) -> None:
        super().__init__(source, options)
        try:
            self.json_path = find_annotation_file(source)
        except FormatError as exc:
            raise not_this_format(source, "coco", exc.detail) from None
        self._file = str(self.json_path)
        self._fname = self.json_path.name
        self._index: _Index | None = None
        self._basenames: dict[str, Path] | None = None
        flag = options.extra.get("segmentation", True)
        self._shapes = flag is not False and str(flag).strip().lower() not in _OFF

    def close(self) -> None:
        """Drop the parsed file."""
        self._index = None

    def labels(self) -> list[str]:
        """Return the category names in the order the file lists them."""
        return list(dict.fromkeys(c["name"] for c in self._load().categories))

    def total(self) -> int | None:
        """Return the number of valid image entries."""
        return len(self._load().images)

    def schema_meta(self) -> dict[str, Any]:
        """Return ``{"coco": {"categories": [...]}}`` so an export can reuse the original category ids."""
        cats = [
            {"id": c["id"], "name": c["name"], "supercategory": c.get("supercategory", "")}
            | {k: c[k] for k in ("keypoints", "skeleton") if isinstance(c.get(k), list)}
            for c in self._load().categories
        ]
        return check_meta({"coco": {"categories": cats}}, self.json_path, "categories")

    def _problem(self, message: str, where: str) -> Problem:
        return Problem(message, file=self._file, field=where)

    def _load(self) -> _Index:
        if self._index is not None:
            return self._index
        try:
            raw = self.json_path.read_bytes()
        except OSError as exc:
            raise FormatError(f"cannot read {self.json_path}: {exc}", file=self._file) from None
        with gc_paused():
            index = self._parse(raw)
        self._index = index
        return index

    def _parse(self, raw: bytes) -> _Index:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise json_error(self.json_path, exc, raw) from None
        if not isinstance(data, dict) or not isinstance(data.get("images"), list):
            raise FormatError("a COCO file is an object with an 'images' list", file=self._file, field="images")
        for key in ("annotations", "categories"):
            if not isinstance(data.get(key, []), list):
                raise FormatError(f"'{key}' must be a list", file=self._file, field=key)
        index = _Index()
        self._index_categories(data.get("categories", []), index)
        positions, bad_ids = self._index_images(data["images"], index)
        self._index_annotations(data.get("annotations", []), positions, bad_ids, index)
        return index

    def _index_categories(self, categories: list[Any], index: _Index) -> None:
        for i, cat in enumerate(categories):
            cid = _int_id(cat.get("id")) if isinstance(cat, dict) else None
            name = cat.get("name") if isinstance(cat, dict) else None
            if cid is None or not isinstance(name, str) or not name:
                index.problems.append(self._problem("a category needs an integer id and a name", f"categories[{i}]"))
            elif (why := bad_label(name)) is not None:
                index.problems.append(self._problem(f"category name {name[:80]!r} {why}", f"categories[{i}].name"))
            elif cid in index.category_names:
                index.problems.append(self._problem(f"duplicate category id {cid}", f"categories[{i}].id"))
            else:
                index.category_names[cid] = name
                index.categories.append(cat)
                if isinstance(cat.get("keypoints"), list):
                    index.keypoint_counts[cid] = len(cat["keypoints"])

    def _index_images(self, images: list[Any], index: _Index) -> tuple[dict[int, int], set[int]]:
        positions: dict[int, int] = {}
        first_seen: dict[int, int] = {}
        bad_ids: set[int] = set()  # ids of entries already reported; their annotations are not reported again
        for i, img in enumerate(images):
            iid = img.get("id") if type(img) is dict else None
            if type(iid) is not int:
                index.problems.append(self._problem("an image needs an integer id", f"images[{i}].id"))
                continue
            if iid in first_seen:
                msg = f"duplicate image id {iid} (first at images[{first_seen[iid]}])"
                index.problems.append(self._problem(msg, f"images[{i}].id"))
                continue
            first_seen[iid] = i
            name = img.get("file_name")
            if type(name) is str and "\\" in name:
                # Written on Windows; the item name and the lookup both use posix separators.
                name = img["file_name"] = name.replace("\\", "/")
            if type(name) is not str or not is_safe_relative(name):
                msg = f"file_name must be a relative path without '..', got {name!r}"
                index.problems.append(self._problem(msg, f"images[{i}].file_name"))
                bad_ids.add(iid)
                continue
            positions[iid] = len(index.images)
            index.images.append((i, img))
        return positions, bad_ids

    def _index_annotations(
        self, annotations: list[Any], positions: dict[int, int], bad_ids: set[int], index: _Index
    ) -> None:
        # Only grouping happens here; each annotation is checked when its image is read, so a 300k-row
        # file is walked once for grouping and once for records.
        owner: list[int] = [-1] * len(annotations)
        counts = [0] * (len(index.images) + 1)
        for j, ann in enumerate(annotations):
            image_id = ann.get("image_id") if type(ann) is dict else None
            pos = positions.get(image_id) if type(image_id) is int else None
            if pos is not None:
                owner[j] = pos
                counts[pos + 1] += 1
            elif type(ann) is not dict:
                index.problems.append(self._problem("an annotation must be an object", f"annotations[{j}]"))
            elif type(image_id) is not int or image_id not in bad_ids:
                msg = f"unknown image_id {image_id!r}"
                index.problems.append(self._problem(msg, f"annotations[{j}].image_id"))
        # A stable sort keeps the file's annotation order within each image.
        valid = [j for j, pos in enumerate(owner) if pos >= 0]
        valid.sort(key=owner.__getitem__)
        index.order = array("q", valid)
        index.starts = array("q", accumulate(counts))
        index.annotations = annotations

    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield the problems found while indexing, then per image its annotation problems and the item."""
        return storable(self._records(), self.json_path)

    def _records(self) -> Iterator[ItemRecord | Problem]:
        index = self._load()
        yield from index.problems
        json_dir = self.json_path.parent
        split = split_of(self.json_path)
        guess = split or self.json_path.stem.rpartition("_")[2]
        resolver = MediaResolver(
            self.options.images_dir,
            [json_dir, json_dir / "images", json_dir.parent / "images" / guess, json_dir.parent / "images"],
        )
        with_media = self.options.media != "none"
        order, starts, anns = index.order, index.starts, index.annotations
        seen_ids: dict[int, int] = {}
        fname = self._fname
        shapes = self._shapes
        for pos, (i, img) in enumerate(index.images):
            boxes: list[AnnotationRecord] = []
            width, height = _pixels(img.get("width")), _pixels(img.get("height"))
            for j in order[starts[pos] : starts[pos + 1]]:
                ann = anns[j]
                with_shapes = shapes and (ann.get("segmentation") or "keypoints" in ann)
                rec = self._box(j, ann, index.category_names, seen_ids, not with_shapes)
                if isinstance(rec, Problem):
                    yield rec
                    continue
                parts = self._with_shapes(j, ann, rec, index, width, height) if with_shapes else [rec]
                if isinstance(parts, Problem):
                    yield parts
                    continue
                if "score" in ann or "state" in ann:  # a model's proposal, or labelhub's own export of a state
                    try:
                        mark_state(parts, ann)
                    except StateError as exc:
                        yield self._problem(exc.message, f"annotations[{j}].{exc.key}")
                        continue
                boxes.extend(parts)
            name: str = img["file_name"]
            item = ItemRecord(
                kind=ItemKind.IMAGE,
                name=name,
                width=width,
                height=height,
                external_id=str(img["id"]),
                split=split,
                annotations=boxes,
                origin=f"{fname}: images[{i}]",
            )
            extra = {k: v for k, v in img.items() if k not in _IMAGE_OWN_KEYS}
            if extra:
                item.meta["coco"] = extra
            if with_media:
                found = self._find_media(resolver, name)
                if found is None:
                    where = ", ".join(str(f) for f in resolver.folders) or "no existing folder"
                    msg = f"image file {name!r} not found (looked in {where})"
                    yield self._problem(msg, f"images[{i}].file_name")
                    continue
                item.media_path = found
                try:  # the file is stored anyway: one header read checks it is an image of the declared size
                    item.width, item.height = checked_size(found, width, height)
                except FormatError as exc:
                    yield self._problem(exc.detail, f"images[{i}].{exc.context.get('field', 'file_name')}")
                    continue
            yield item

    def _box(
        self, j: int, ann: dict[str, Any], cats: dict[int, str], seen_ids: dict[int, int], check_area: bool
    ) -> AnnotationRecord | Problem:
        # Runs once per annotation: type() checks instead of isinstance, and no allocation unless it is valid.
        aid = ann.get("id")
        if type(aid) is int:
            first = seen_ids.setdefault(aid, j)
            if first != j:
                msg = f"duplicate annotation id {aid} (first at annotations[{first}])"
                return self._problem(msg, f"annotations[{j}].id")
        category_id = ann.get("category_id")
        label = cats.get(category_id) if type(category_id) is int else None
        if label is None:
            return self._problem(f"unknown category_id {category_id!r}", f"annotations[{j}].category_id")
        bbox: Any = ann.get("bbox")
        try:
            x, y, w, h = bbox
            # type() not isinstance: booleans are ints but not coordinates. The sum is finite only when
            # every term is, and NaN fails every comparison.
            valid = (
                type(x) in _NUMBER
                and type(y) in _NUMBER
                and type(w) in _NUMBER
                and type(h) in _NUMBER
                and w > 0
                and h > 0
                and math.isfinite(x + y + w + h)
            )
        except (TypeError, ValueError, OverflowError):  # not 4 values, or an int too large for a float
            valid = False
        if not valid or type(bbox) is not list:
            msg = f"bbox must be 4 finite numbers [x, y, width, height], width and height > 0: {bbox!r}"
            return self._problem(msg, f"annotations[{j}].bbox")
        x1, y1 = float(x), float(y)
        attributes: dict[str, Any] = {"iscrowd": 1 if ann.get("iscrowd") else 0}
        if type(aid) is int:
            attributes["coco_id"] = aid
        more = ann.get("attributes")  # CVAT's COCO layout: occluded and the task's attributes, as given
        if type(more) is dict and more:
            attributes.update((k, v) for k, v in more.items() if k not in OWN_ATTRIBUTES)
        box = AnnotationRecord(
            kind=AnnotationKind.BOX,
            label=label,
            geometry={"bbox": [x1, y1, x1 + w, y1 + h]},
            attributes=attributes,
            origin=f"{self._fname}: annotations[{j}]",
        )
        area = ann.get("area") if check_area else None  # a shape's area is checked with the shape
        if area is not None and area != w * h:  # the common case costs one comparison
            keep_area(box, ann, ((x1 + w) - x1) * ((y1 + h) - y1))
        return box

    def _with_shapes(
        self, j: int, ann: dict[str, Any], box: AnnotationRecord, index: _Index, width: int | None, height: int | None
    ) -> list[AnnotationRecord] | Problem:
        """Return the box followed by the polygons, mask and keypoints of annotation ``j``, or one Problem."""
        label = box.label or ""
        if "coco_id" not in box.attributes:
            box.attributes["coco_group"] = j  # no usable id: the index in the file still ties the parts together
        keypoint_count = index.keypoint_counts.get(ann["category_id"])
        try:
            more, area = read_shapes(ann, label, box.attributes, box.origin or "", keypoint_count, width, height)
        except SegmentationError as exc:
            return self._problem(exc.message, f"annotations[{j}].{exc.where}")
        if area is None:
            x1, y1, x2, y2 = box.geometry["bbox"]
            area = (x2 - x1) * (y2 - y1)
        keep_area(box, ann, area)
        return [box, *more]

    def _find_media(self, resolver: MediaResolver, name: str) -> Path | None:
        found = find_media(resolver, name)
        if found is not None:
            return found
        # A dataset folder may keep its images anywhere under images/: look them up by base name.
        if self._basenames is None:
            root = self.source / "images" if self.source.is_dir() else None
            files = list_images(root) if root is not None and root.is_dir() else []
            self._basenames = {}
            for f in files:
                self._basenames.setdefault(f.name, f)
        found = self._basenames.get(PurePosixPath(name).name)
        return absolute(found) if found is not None else None
