"""Fill between slices: the masks of the slices between two drawn ones, by shape-based interpolation.

A person outlines a structure on slice ``a`` and on slice ``b`` of a volume; the slices between get masks
that morph one outline into the other, as 3D Slicer's "Fill between slices" and ITK-SNAP's interpolation do.
The method is shape-based interpolation (Raya & Udupa 1990; Herman, Zheng & Bucholtz 1992): each end mask
becomes a signed distance map (negative inside, positive outside, zero on the boundary half a pixel outside
the last inside pixel), the maps are blended linearly, ``(1 - t) * d_a + t * d_b`` at the fraction ``t`` of the
way from ``a`` to ``b``, and the blend's negative part is the mask. Two concentric disks of radii ``r_a`` and
``r_b`` give disks of radius ``(1 - t) r_a + t r_b``; identical masks give that mask on every slice.

Plain interpolation of the whole slices loses what does not overlap: a blob that moved sideways between ``a``
and ``b`` fades out in the middle instead of sliding, and a blob present on one end only is cut off at once.
So each end is split into connected parts (8-connected) first:

- parts that overlap a part of the other end are interpolated together (a part that splits in two on the other
  end stays one group, so the fill shows the split);
- parts left without an overlapping partner on both ends are paired by nearest centroid; a pair is aligned on
  its centroids, interpolated there, and placed at the centroid blended by ``t`` (the "empty intersection" of
  a tilted tube);
- a part left over on one end only vanishes towards the other: it erodes evenly, reaching its deepest point at
  the other end (as if the other end held that point only).

Hand-written because no installed library offers it: scipy has the distance transform used here
(:func:`scipy.ndimage.distance_transform_edt`) but no interpolation between masks, scikit-image has none either
(and is not a dependency), and SimpleITK's ``MorphologicalContourInterpolator`` (what 3D Slicer uses) would add
a large native package for one function.

Masks are 2-D ``uint8`` arrays (non-zero = inside) of one shape; every mask returned is ``uint8`` 0/1.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import ndimage  # type: ignore[import-untyped]

from labelhub.errors import ValidationError

__all__ = ["fill_between", "signed_distance"]

_EIGHT = np.ones((3, 3), dtype=bool)  # 8-connectivity: a diagonal touch is one part, as an outline drawn by hand


@dataclass(frozen=True, slots=True)
class _Part:
    """A region of one end (one or more connected parts), inside ``box`` = (row0, col0, row1, col1)."""

    mask: np.ndarray  # bool, the full slice
    box: tuple[int, int, int, int]
    centroid: tuple[float, float]  # (row, column)


def signed_distance(mask: np.ndarray) -> np.ndarray:
    """Return the signed distance map of a 2-D mask: negative inside, positive outside, in pixels (float64).

    The boundary lies half a pixel beyond the outermost inside pixels, so an inside pixel is at most -0.5 and an
    outside one at least 0.5. A mask without any inside pixel has no boundary: every value is +inf.
    """
    inside = mask != 0
    if not inside.any():
        return np.full(inside.shape, np.inf)
    outside_dist = ndimage.distance_transform_edt(~inside)  # outside pixels: distance to the nearest inside one
    inside_dist = ndimage.distance_transform_edt(inside)  # inside pixels: distance to the nearest outside one
    if inside.all():  # no outside pixel: the image border is the boundary
        inside_dist = _border_distance(inside.shape)
    out: np.ndarray = np.where(inside, 0.5 - inside_dist, outside_dist - 0.5)
    return out


def fill_between(first: np.ndarray, last: np.ndarray, count: int) -> list[np.ndarray]:
    """Return ``count`` masks for the slices strictly between ``first`` and ``last``, evenly spaced.

    Mask ``i`` (0-based) lies at ``t = (i + 1) / (count + 1)`` of the way from ``first`` to ``last``. Either end
    may be empty (the structure then grows from or shrinks to nothing); both empty give empty masks.
    """
    if first.ndim != 2 or last.ndim != 2:
        raise ValidationError(f"masks must be 2-D, got shapes {first.shape} and {last.shape}", field="mask")
    if first.shape != last.shape:
        raise ValidationError(f"the two masks differ in shape: {first.shape} and {last.shape}", field="mask")
    if count < 0:
        raise ValidationError(f"count must be 0 or more, got {count}", field="count")
    out = [np.zeros(first.shape, dtype=np.uint8) for _ in range(count)]
    ts = [(i + 1) / (count + 1) for i in range(count)]
    blends = [g for a, b in _pairs(first != 0, last != 0) if (g := _blend(a, b, first.shape)) is not None]
    for mask, t in zip(out, ts, strict=True):
        for g in blends:
            _stamp(mask, *g.at(t))
    return out


def _pairs(a: np.ndarray, b: np.ndarray) -> Iterator[tuple[_Part | None, _Part | None]]:
    """Yield the groups to interpolate: overlapping parts together, the others by nearest centroid or alone."""
    la, na = ndimage.label(a, structure=_EIGHT)
    lb, nb = ndimage.label(b, structure=_EIGHT)
    # Union-find over the parts of both ends (a's parts 1..na, b's parts na+1..na+nb) joined by overlaps.
    parent = list(range(na + nb + 1))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    both = (la > 0) & (lb > 0)
    for i, j in set(zip(la[both].tolist(), lb[both].tolist(), strict=True)):
        parent[root(i)] = root(na + j)
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for i in range(1, na + 1):
        groups.setdefault(root(i), ([], []))[0].append(i)
    for j in range(1, nb + 1):
        groups.setdefault(root(na + j), ([], []))[1].append(j)
    alone_a: list[_Part] = []
    alone_b: list[_Part] = []
    for ids_a, ids_b in groups.values():
        part_a = _part(np.isin(la, ids_a)) if ids_a else None
        part_b = _part(np.isin(lb, ids_b)) if ids_b else None
        if part_a is not None and part_b is not None:
            yield part_a, part_b
        elif part_a is not None:
            alone_a.append(part_a)
        elif part_b is not None:
            alone_b.append(part_b)
    # Greedy nearest centroids: the closest pair first, so a far-off stray part does not take a near one's partner.
    dists = sorted(
        (_distance(pa.centroid, pb.centroid), i, j) for i, pa in enumerate(alone_a) for j, pb in enumerate(alone_b)
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    for _, i, j in dists:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            yield alone_a[i], alone_b[j]
    yield from ((p, None) for i, p in enumerate(alone_a) if i not in used_a)
    yield from ((None, p) for j, p in enumerate(alone_b) if j not in used_b)


def _part(mask: np.ndarray) -> _Part:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    box = (int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)
    inside_r, inside_c = np.nonzero(mask[box[0] : box[2], box[1] : box[3]])
    return _Part(mask, box, (float(inside_r.mean()) + box[0], float(inside_c.mean()) + box[1]))


def _distance(p: tuple[float, float], q: tuple[float, float]) -> float:
    return float(np.hypot(p[0] - q[0], p[1] - q[1]))


@dataclass(frozen=True, slots=True)
class _Blend:
    """One group's two signed distance maps, computed once for every slice between; ``shift`` moves the
    result from the first end's centroid to the last end's (zero for parts that overlap)."""

    da: np.ndarray
    db: np.ndarray
    top: int
    left: int
    shift: tuple[float, float] = (0.0, 0.0)

    def at(self, t: float) -> tuple[np.ndarray, int, int]:
        """Return the group's mask at ``t`` and the (row, column) of its corner in the slice."""
        shape = (1.0 - t) * self.da + t * self.db < 0
        return shape, self.top + round(t * self.shift[0]), self.left + round(t * self.shift[1])


def _blend(part_a: _Part | None, part_b: _Part | None, size: tuple[int, int]) -> _Blend | None:
    """Return the distance maps of one group: two overlapping regions, a moved pair, or a region on one end."""
    if part_a is not None and part_b is not None and not (part_a.mask & part_b.mask).any():
        return _moved(part_a, part_b)
    parts = [p for p in (part_a, part_b) if p is not None]
    if not parts:
        return None
    # The blend is negative only where one end is inside, so the union's box (plus a ring of outside pixels
    # that keeps the distances exact) holds the whole result.
    r0 = max(min(p.box[0] for p in parts) - 1, 0)
    c0 = max(min(p.box[1] for p in parts) - 1, 0)
    r1 = min(max(p.box[2] for p in parts) + 1, size[0])
    c1 = min(max(p.box[3] for p in parts) + 1, size[1])
    da = None if part_a is None else signed_distance(part_a.mask[r0:r1, c0:c1])
    db = None if part_b is None else signed_distance(part_b.mask[r0:r1, c0:c1])
    if da is None and db is not None:
        da = db - db.min()  # vanishing towards a: its deepest point reaches the boundary there
    elif db is None and da is not None:
        db = da - da.min()
    if da is None or db is None:
        return None
    return _Blend(da, db, r0, c0)


def _moved(part_a: _Part, part_b: _Part) -> _Blend:
    """Two parts that do not overlap: aligned on their centroids, the result moving from one to the other."""
    ha, wa = part_a.box[2] - part_a.box[0], part_a.box[3] - part_a.box[1]
    hb, wb = part_b.box[2] - part_b.box[0], part_b.box[3] - part_b.box[1]
    # A canvas both crops fit in, each placed with its centroid at the canvas' centre (the ring keeps it exact).
    half_h = max(ha, hb) + 2
    half_w = max(wa, wb) + 2
    da = signed_distance(_on_canvas(part_a, half_h, half_w))
    db = signed_distance(_on_canvas(part_b, half_h, half_w))
    (ra, ca), (rb, cb) = part_a.centroid, part_b.centroid
    return _Blend(da, db, round(ra) - half_h, round(ca) - half_w, (rb - ra, cb - ca))


def _on_canvas(part: _Part, half_h: int, half_w: int) -> np.ndarray:
    """Return the part on a (2 half_h + 1) x (2 half_w + 1) canvas, its rounded centroid at the centre."""
    canvas = np.zeros((2 * half_h + 1, 2 * half_w + 1), dtype=bool)
    cr, cc = (round(v) for v in part.centroid)
    r0, c0, r1, c1 = part.box
    canvas[r0 - cr + half_h : r1 - cr + half_h, c0 - cc + half_w : c1 - cc + half_w] = part.mask[r0:r1, c0:c1]
    return canvas


def _stamp(out: np.ndarray, shape: np.ndarray, top: int, left: int) -> None:
    """OR ``shape`` into ``out`` with its corner at (top, left), clipped to ``out``."""
    h, w = out.shape
    sr0, sc0 = max(0, -top), max(0, -left)
    dr0, dc0 = max(0, top), max(0, left)
    rows = min(shape.shape[0] - sr0, h - dr0)
    cols = min(shape.shape[1] - sc0, w - dc0)
    if rows <= 0 or cols <= 0:
        return
    out[dr0 : dr0 + rows, dc0 : dc0 + cols] |= shape[sr0 : sr0 + rows, sc0 : sc0 + cols].astype(np.uint8)


def _border_distance(shape: tuple[int, ...]) -> np.ndarray:
    """Return each pixel's distance to just outside the image (1 on the edge pixels)."""
    h, w = shape
    rows = np.minimum(np.arange(h) + 1, h - np.arange(h))[:, None]
    cols = np.minimum(np.arange(w) + 1, w - np.arange(w))[None, :]
    return np.minimum(rows, cols).astype(np.float64)
