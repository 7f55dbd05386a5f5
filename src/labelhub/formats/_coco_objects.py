"""The objects of a COCO export: an item's annotations grouped into COCO annotations, and each one's JSON.

The box, polygons, mask and keypoints of one object (the same ``attributes["coco_id"]`` and label, as the
importer reads them, or the same ``coco_group``, or on a video frame the same track) become one COCO annotation:
the box gives ``bbox``, the polygons or the mask give ``segmentation`` and ``area``. A polygon, mask or keypoints
record without a box of its own is written alone, with the ``bbox`` that encloses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labelhub.domain.enums import AnnotationKind, AnnotationState
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats._coco_segm import compress, decode_counts, mask_area_bbox, polygons_area, polygons_bbox, same_area
from labelhub.formats._coco_states import state_keys

_BOX, _POLYGON, _MASK, _KEYPOINTS = (
    AnnotationKind.BOX,
    AnnotationKind.POLYGON,
    AnnotationKind.MASK,
    AnnotationKind.KEYPOINTS,
)
_ACCEPTED = AnnotationState.ACCEPTED
#: The kinds a COCO annotation holds (as its bbox, segmentation or keypoints).
WRITTEN = frozenset({_BOX, _POLYGON, _MASK, _KEYPOINTS})


def as_int(value: Any) -> int | None:
    """Return an id given as an integer or as digits, else None."""
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


class Ids:
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


#: Attribute names the COCO format keeps to itself: an ``attributes`` object's keys of these names are not read
#: as attributes (the track keys belong to videos, the others are labelhub's own record of the file).
OWN_ATTRIBUTES = frozenset(
    {"track_id", "keyframe", "outside", "coco_id", "coco_group", "coco_area", "coco_rle", "iscrowd"}
)


@dataclass(slots=True)
class CocoObject:
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
        """The records in the order their values count: box, polygons, mask, keypoints."""
        if self.mask is None and self.keypoints is None and not self.polygons:
            return [self.box] if self.box is not None else []  # a box alone: the common object
        found = [self.box, *self.polygons, self.mask, self.keypoints]
        return [a for a in found if a is not None]


def group_objects(rec: ItemRecord) -> list[CocoObject]:
    """Group the item's boxes, polygons, masks and keypoints into COCO objects, in order of first appearance."""
    objects: list[CocoObject] = []
    by_key: dict[tuple[str, int, str], CocoObject] = {}
    for ann in rec.annotations:
        kind, label = ann.kind, ann.label
        if kind not in WRITTEN:
            continue
        if label is None:
            msg = f"a {kind.value} of item {rec.name!r} has no label, which COCO requires"
            raise FormatError(msg, item=rec.name)
        attrs, tid = ann.attributes, ann.track_id
        cid = attrs.get("coco_id")
        key: tuple[str, int, str] | None = None
        if type(cid) is int:
            key = ("id", cid, label)
        else:
            cid = None
            group = attrs.get("coco_group")
            if type(group) is int:
                key = ("group", group, label)
            elif tid is not None:  # on a video frame: the records of one track are one object
                key = ("track", tid, label)
        obj = by_key.get(key) if key is not None else None
        if obj is None or not obj.accepts(kind):
            obj = CocoObject(label, cid, tid)
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


def coco_annotation(
    obj: CocoObject,
    rec: ItemRecord,
    image_id: int,
    *,
    ann_id: int,
    category_id: int,
    n_points: int | None,
    attributes: tuple[str, ...] = ("occluded",),
) -> dict[str, Any]:
    """Return the COCO annotation of one object: bbox from its box, segmentation and area from its shape.

    ``ann_id`` and ``category_id`` are the ids it takes; ``n_points`` is the number of keypoints its category
    names (None without), so an object without keypoints gets COCO's all-zero keypoints. ``attributes`` are the
    names whose values go into the annotation's ``attributes`` object (CVAT's COCO layout), from the first of
    the object's records that has one.
    """
    bbox: list[float] | None = None
    if obj.box is not None:
        x1, y1, x2, y2 = map(float, obj.box.geometry["bbox"])
        bbox = [x1, y1, _tidy(x2 - x1), _tidy(y2 - y1)]
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
        area = _tidy(bbox[2] * bbox[3])
    kept = obj.box.attributes.get("coco_area") if obj.box is not None else None
    if isinstance(kept, dict) and isinstance(kept.get("computed"), int | float) and same_area(kept["computed"], area):
        area = kept["area"]  # the file's own area, for geometry that has not changed since the import
    members = obj.members()
    first = members[0]
    crowd = first.attributes.get("iscrowd") or (len(members) > 1 and any(a.attributes.get("iscrowd") for a in members))
    out: dict[str, Any] = {
        "id": ann_id,
        "image_id": image_id,
        "category_id": category_id,
        "bbox": bbox,
        "area": area,
        "iscrowd": 1 if crowd else 0,
        "segmentation": segmentation,
    }
    if obj.keypoints is not None:
        pts = obj.keypoints.geometry["points"]
        out["keypoints"] = [_whole(v) for v in pts]
        out["num_keypoints"] = sum(1 for v in pts[2::3] if v > 0)
    elif n_points:
        out["keypoints"], out["num_keypoints"] = [0] * (3 * n_points), 0
    if len(members) > 1 or first.score is not None or first.state is not _ACCEPTED:  # else it adds nothing
        out.update(state_keys(members))  # "score", and "state" when not a plain accepted label
    values = None
    if attributes and (len(members) > 1 or not first.attributes.keys().isdisjoint(attributes)):  # else none found
        values = _values(members, attributes)
    if obj.track_id is not None:
        # CVAT's COCO layout; "keyframe" as the video convention has it (a box without the flag was set by hand).
        flag = next((a.attributes["keyframe"] for a in members if "keyframe" in a.attributes), True)
        values = {**(values or {}), "track_id": obj.track_id, "keyframe": bool(flag)}
    if values:
        out["attributes"] = values
    return out


def _values(members: list[AnnotationRecord], names: tuple[str, ...]) -> dict[str, Any] | None:
    """The value of each of ``names`` that one of ``members`` carries (the first one's), or None for none."""
    found: dict[str, Any] | None = None
    for a in members:
        attrs = a.attributes
        for name in names:
            value = attrs.get(name)
            if value is not None:
                if found is None:
                    found = {name: value}
                elif name not in found:
                    found[name] = value
    if found is not None and len(found) > 1:
        found = {n: found[n] for n in names if n in found}  # in the declared order
    return found


def _tidy(value: float) -> float:
    """``value`` to 12 significant digits: a width of ``x2 - x1`` is written ``143.95``, not ``143.95000000000002``."""
    return float(f"{value:.12g}")
