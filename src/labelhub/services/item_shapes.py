"""Labels reduced for drawing on the grid's thumbnails: a few numbers per shape, for up to a page of items.

What the project grid needs to draw an item's labels over its thumbnail (about 200 px wide) is far less than
what the editor reads: boxes stay as they are (``x1, y1, x2, y2``), polygons keep at most :data:`MAX_POINTS`
points, keypoints stay ``x, y, v`` triples, and a mask becomes its outline, a few polygons of at most
:data:`MAX_POINTS` points each (plus its bounding box). Coordinates stay in the image's pixels (the convention of
:mod:`labelhub.domain.geometry`), rounded to 0.1 px; the browser maps them onto the thumbnail.

A volume item's thumbnail is its middle axial slice, so its shapes are that slice's (in the slice's pixels).
Left out: track boxes (a video keeps its plain thumbnail), text spans and whole-item classes (nothing to draw),
rejected annotations (the count badge leaves them out too), and items of other kinds or other projects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from labelhub._lru import Lru
from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind
from labelhub.domain.permissions import Action
from labelhub.domain.rle import decode_counts
from labelhub.errors import ValidationError
from labelhub.services.access import Actor, check_access
from labelhub.storage.models import Annotation, Item

MAX_IDS = 100  # a page of the grid
MAX_SHAPES = 300  # per item; beyond, ``more`` counts the rest
MAX_POINTS = 32  # per polygon, and per part of a mask's outline
MAX_PARTS = 4  # a mask's largest outlines; smaller specks are left out
# approxPolyDP's tolerance as a share of the outline's perimeter (grabcut.py uses the same): 0.5 % keeps the shape.
EPSILON_SHARE = 0.005
# Masks' outlines per (annotation id, version): a version changes with every edit, so a hit is never stale.
_OUTLINES: Lru[tuple[list[float], list[list[float]]]] = Lru(20_000)

# Drawn from their stored geometry (masks from their cached outline, see _annotation_rows).
_OUTLINED = (AnnotationKind.BOX.value, AnnotationKind.POLYGON.value, AnnotationKind.KEYPOINTS.value)
_A = Annotation
_DRAWN_ITEMS = (ItemKind.IMAGE.value, ItemKind.VOLUME.value)


@dataclass(frozen=True, slots=True)
class Shape:
    """One label as drawn: ``points`` is the box (4 numbers), the polygon (x, y pairs), the keypoints (x, y, v
    triples) or a mask's bounding box; ``parts`` a mask's outline polygons (empty for the other kinds)."""

    kind: str
    label: str | None
    source: str
    proposed: bool
    points: list[float]
    parts: list[list[float]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ItemShapes:
    """An image's (or a volume's middle slice's) shapes, in annotation order; ``more`` counts those past
    :data:`MAX_SHAPES`."""

    item_id: int
    width: int | None
    height: int | None
    shapes: list[Shape]
    more: int = 0


def parse_ids(text: str) -> list[int]:
    """Return the item ids of a comma-separated list (``1,2,3``), in order and without repeats."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise ValidationError("ids must list at least one item id, e.g. ids=1,2,3", field="ids")
    if len(parts) > MAX_IDS:
        raise ValidationError(f"ids lists {len(parts)} items; at most {MAX_IDS} at once", field="ids")
    out: dict[int, None] = {}
    for p in parts:
        if not p.isascii() or not p.isdigit() or len(p) > 18:
            raise ValidationError(f"ids must be item ids (whole numbers), got {p[:40]!r}", field="ids")
        out[int(p)] = None
    return list(out)


def item_shapes(session: Session, actor: Actor, project_id: int, item_ids: Sequence[int]) -> list[ItemShapes]:
    """Return the shapes of the project's image and volume items among ``item_ids`` (others are left out), in order.

    The access check is the item list's (a non-member gets the same 404). Two indexed queries: the items, then
    their annotations (``ix_ann_item``).
    """
    check_access(session, actor, project_id, Action.READ)
    if not item_ids:
        return []
    rows = session.execute(
        select(Item.id, Item.width, Item.height, Item.kind, Item.frame_count).where(
            Item.id.in_(item_ids), Item.project_id == project_id, Item.kind.in_(_DRAWN_ITEMS)
        )
    ).all()
    if not rows:
        return []
    items = [(i, w, h) for i, w, h, _, _ in rows]
    # A volume's thumbnail is its middle slice (services.volumes.middle_slice_png: Z // 2): its shapes are drawn.
    slices = {i: (z or 0) // 2 for i, _, _, kind, z in rows if kind == ItemKind.VOLUME.value}
    found = [i for i, _, _ in items]
    shapes: dict[int, list[Shape]] = {i: [] for i in found}
    more: dict[int, int] = {}
    for aid, iid, kind, label, geometry, source, state, version in _annotation_rows(session, found, slices):
        drawn = shapes[iid]
        if len(drawn) >= MAX_SHAPES:
            more[iid] = more.get(iid, 0) + 1
            continue
        shape = reduce_shape(aid, version, kind, label, geometry, source, state == AnnotationState.PROPOSED.value)
        if shape is not None:
            drawn.append(shape)
    sizes = {i: (w, h) for i, w, h in items}
    order = [i for i in item_ids if i in sizes]
    return [ItemShapes(i, sizes[i][0], sizes[i][1], shapes[i], more.get(i, 0)) for i in order]


def _annotation_rows(session: Session, item_ids: list[int], slices: dict[int, int]) -> list[tuple[Any, ...]]:
    """Return the items' drawn annotations in (item, id) order; a mask's geometry only when its outline is not
    cached (a 1080p mask's RLE is a few kB of JSON to read, its cached outline a few numbers). For a volume
    (``slices``: item id -> the slice its thumbnail shows), only that slice's annotations."""
    images = [i for i in item_ids if i not in slices]
    where = or_(_A.item_id.in_(images), *(and_(_A.item_id == i, _A.frame == k) for i, k in slices.items()))
    base = (where, _A.state != AnnotationState.REJECTED.value)
    head = (_A.id, _A.item_id, _A.kind, _A.label)
    tail = (_A.source, _A.state, _A.version)
    rows: list[tuple[Any, ...]] = [
        tuple(r) for r in session.execute(select(*head, _A.geometry, *tail).where(*base, _A.kind.in_(_OUTLINED)))
    ]
    masks = session.execute(select(*head, *tail).where(*base, _A.kind == AnnotationKind.MASK.value)).all()
    missing = [m.id for m in masks if _OUTLINES.get((m.id, m.version)) is None]
    geometry: dict[int, Any] = {}
    if missing:
        geometry = {aid: g for aid, g in session.execute(select(_A.id, _A.geometry).where(_A.id.in_(missing)))}
    rows += [(aid, iid, kind, label, geometry.get(aid), *rest) for aid, iid, kind, label, *rest in masks]
    rows.sort(key=lambda r: (r[1], r[0]))
    return rows


def reduce_shape(
    annotation_id: int, version: int, kind: str, label: str | None, geometry: Any, source: str, proposed: bool
) -> Shape | None:
    """Return the annotation reduced for a thumbnail, or None when its geometry holds nothing to draw."""
    g = geometry if isinstance(geometry, dict) else {}
    if kind == AnnotationKind.BOX.value:
        box = g.get("bbox")
        return Shape(kind, label, source, proposed, _rounded(box)) if isinstance(box, list) and len(box) == 4 else None
    if kind == AnnotationKind.POLYGON.value:
        pts = g.get("points")
        if not isinstance(pts, list) or len(pts) < 6:
            return None
        return Shape(kind, label, source, proposed, _rounded(simplify(pts)))
    if kind == AnnotationKind.KEYPOINTS.value:
        pts = g.get("points")
        return Shape(kind, label, source, proposed, _rounded(pts)) if isinstance(pts, list) and pts else None
    outline = _OUTLINES.get((annotation_id, version))
    if outline is None:
        if not g:  # its outline was cached when the rows were read, and forgotten since: left out this once
            return None
        outline = mask_outline(g)
        _OUTLINES.put((annotation_id, version), outline)
    bbox, parts = outline
    return Shape(kind, label, source, proposed, bbox, parts) if bbox else None


def simplify(points: Sequence[float], max_points: int = MAX_POINTS) -> list[float]:
    """Return a flat ``[x, y, ...]`` polygon with at most ``max_points`` points.

    Douglas-Peucker (``cv2.approxPolyDP``) at 0.5 % of the perimeter first, which keeps corners; when that still
    leaves too many (a wiggly outline), every k-th of its points.
    """
    n = len(points) // 2
    if n <= max_points:
        return [float(v) for v in points[: 2 * n]]
    curve = np.asarray(points[: 2 * n], dtype=np.float32).reshape(-1, 1, 2)
    approx = cv2.approxPolyDP(curve, EPSILON_SHARE * cv2.arcLength(curve, True), True).reshape(-1, 2)
    if len(approx) < 3:  # a degenerate (flat) polygon: keep a spread of its own points instead
        approx = curve.reshape(-1, 2)
    if len(approx) > max_points:
        step = -(-len(approx) // max_points)  # ceil
        approx = approx[::step]
    return [float(v) for v in approx.reshape(-1)]


def mask_outline(geometry: dict[str, Any]) -> tuple[list[float], list[list[float]]]:
    """Return a mask's bounding box and its outline: the :data:`MAX_PARTS` largest outer contours, simplified.

    Hand-written decoding: pycocotools decodes the whole image (1.7 ms for a 1920x1080 mask) and has no way to
    decode a part of it, while an outline needs only the mask's bounding box. Column-major runs make the box's
    columns one contiguous range of pixels, so only that range is expanded (4x less work for a car in a street
    scene). The RLE was checked when it was stored (domain/geometry.py); an unreadable or empty one gives
    ``([], [])``.
    """
    size, counts = geometry.get("size"), geometry.get("counts")
    if not isinstance(size, list) or len(size) != 2:
        return [], []
    h = int(size[0])
    runs = decode_counts(counts) if isinstance(counts, str) else counts
    if not isinstance(runs, list) or not runs or h <= 0:
        return [], []
    c = np.asarray(runs, dtype=np.int64)
    ends = np.cumsum(c)
    starts = ends - c
    fg = (np.arange(len(c)) % 2 == 1) & (c > 0)  # runs alternate background, foreground, starting with background
    if not fg.any():
        return [], []
    fs, fe = starts[fg], ends[fg] - 1  # first and last pixel of each foreground run
    x0, x1 = int((fs // h).min()), int((fe // h).max()) + 1
    one_column = fs // h == fe // h  # a run that crosses a column covers every row between
    y0 = int(np.where(one_column, fs % h, 0).min())
    y1 = int(np.where(one_column, fe % h, h - 1).max()) + 1
    bbox = _rounded([x0, y0, x1, y1])
    lo, hi = x0 * h, x1 * h
    sel = (ends > lo) & (starts < hi)
    flat = np.repeat(
        (np.arange(len(c)) % 2).astype(np.uint8)[sel], np.minimum(ends[sel], hi) - np.maximum(starts[sel], lo)
    )
    crop = np.ascontiguousarray(flat.reshape(x1 - x0, h).T[y0:y1])
    # A zero border, so a mask touching its box's (or the image's) edge still has a closed outer contour.
    padded = cv2.copyMakeBorder(crop, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    contours, _ = cv2.findContours(padded, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    biggest = sorted(contours, key=cv2.contourArea, reverse=True)[:MAX_PARTS]
    offset = np.array([x0 - 1, y0 - 1], dtype=np.float32)
    parts = [_rounded(simplify((ct.reshape(-1, 2).astype(np.float32) + offset).reshape(-1).tolist()))
             for ct in biggest if len(ct) >= 3]  # fmt: skip
    return bbox, parts


def _rounded(values: Sequence[Any]) -> list[float]:
    return [round(float(v), 1) for v in values]
