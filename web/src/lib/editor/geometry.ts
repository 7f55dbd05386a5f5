/** Pure geometry in image pixels: rectangles, the eight resize handles, polygons, clamping and hit distances. */

import { maskBounds } from './masks';
import type { Ann, Geometry, Handle, Point, Rect } from './types';

/** The smallest box side (image pixels) a drawn or resized box may have; smaller drags count as clicks. */
export const MIN_BOX = 2;

/** The smallest box side (image pixels) the server segments with "Box → polygon" (grabcut.py MIN_BOX_SIDE). */
export const SEGMENT_MIN_SIDE = 4;

/** A length in pixels to at most 2 decimals, rounded down so that 3.999 reads 3.99 and not 4 (as the server words it). */
export function pxText(v: number): string {
  return String(Math.floor(v * 100 + 1e-9) / 100);
}

/** Why the server would refuse to segment the box `[x1, y1, x2, y2]` for its size (its message), or null. */
export function segmentTooSmall(box: readonly number[]): string | null {
  const [x1 = 0, y1 = 0, x2 = 0, y2 = 0] = box;
  if (x2 - x1 >= SEGMENT_MIN_SIDE && y2 - y1 >= SEGMENT_MIN_SIDE) return null;
  return `box is ${pxText(x2 - x1)} x ${pxText(y2 - y1)} px; draw one at least ${SEGMENT_MIN_SIDE} px on each side`;
}

/** Coordinates are kept to 1/100 pixel so saved JSON stays short and round trips are exact. */
export function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

export function rectFromPoints(a: Point, b: Point): Rect {
  return { x1: Math.min(a.x, b.x), y1: Math.min(a.y, b.y), x2: Math.max(a.x, b.x), y2: Math.max(a.y, b.y) };
}

export function clampRect(r: Rect, width: number, height: number): Rect {
  return { x1: clamp(r.x1, 0, width), y1: clamp(r.y1, 0, height), x2: clamp(r.x2, 0, width), y2: clamp(r.y2, 0, height) };
}

export function rectWidth(r: Rect): number {
  return r.x2 - r.x1;
}

export function rectHeight(r: Rect): number {
  return r.y2 - r.y1;
}

export function rectArea(r: Rect): number {
  return Math.max(0, r.x2 - r.x1) * Math.max(0, r.y2 - r.y1);
}

export function rectsIntersect(a: Rect, b: Rect): boolean {
  return a.x1 <= b.x2 && b.x1 <= a.x2 && a.y1 <= b.y2 && b.y1 <= a.y2;
}

export function rectContains(r: Rect, p: Point, tol = 0): boolean {
  return p.x >= r.x1 - tol && p.x <= r.x2 + tol && p.y >= r.y1 - tol && p.y <= r.y2 + tol;
}

export function boxToRect(bbox: readonly number[]): Rect {
  const [x1 = 0, y1 = 0, x2 = 0, y2 = 0] = bbox;
  return { x1, y1, x2, y2 };
}

export function rectToBox(r: Rect): number[] {
  return [round2(r.x1), round2(r.y1), round2(r.x2), round2(r.y2)];
}

/** The bounding rectangle of a flat `[x, y, ...]` list. */
export function pointsBounds(points: readonly number[]): Rect {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = points[i]!;
    const y = points[i + 1]!;
    if (x < x1) x1 = x;
    if (x > x2) x2 = x;
    if (y < y1) y1 = y;
    if (y > y2) y2 = y;
  }
  return { x1, y1, x2, y2 };
}

/** The image-space bounds of a drawable annotation (box, polygon, mask), or null for tags, empty masks and unsupported kinds. */
export function annBounds(a: Pick<Ann, 'kind' | 'geometry'>): Rect | null {
  const g = a.geometry;
  if ((a.kind === 'box' || a.kind === 'track_box') && Array.isArray(g.bbox) && g.bbox.length === 4) {
    return boxToRect(g.bbox);
  }
  if (a.kind === 'polygon' && Array.isArray(g.points) && g.points.length >= 6) return pointsBounds(g.points);
  if (a.kind === 'mask') return maskBounds(g);
  return null;
}

export function isDrawable(a: Pick<Ann, 'kind' | 'geometry'>): boolean {
  return annBounds(a) !== null;
}

/** Handle positions of a rectangle (corners and edge midpoints). */
export function handlePoints(r: Rect): Record<Handle, Point> {
  const cx = (r.x1 + r.x2) / 2;
  const cy = (r.y1 + r.y2) / 2;
  return {
    nw: { x: r.x1, y: r.y1 },
    n: { x: cx, y: r.y1 },
    ne: { x: r.x2, y: r.y1 },
    e: { x: r.x2, y: cy },
    se: { x: r.x2, y: r.y2 },
    s: { x: cx, y: r.y2 },
    sw: { x: r.x1, y: r.y2 },
    w: { x: r.x1, y: cy },
  };
}

/**
 * Resize `r` by dragging `handle` to `p`, within the image. Dragging past the opposite side flips the box (the
 * result is always normalised), and no side gets shorter than MIN_BOX.
 */
export function resizeRect(r: Rect, handle: Handle, p: Point, width: number, height: number): Rect {
  const x = clamp(p.x, 0, width);
  const y = clamp(p.y, 0, height);
  let { x1, y1, x2, y2 } = r;
  if (handle.includes('w')) x1 = x;
  if (handle.includes('e')) x2 = x;
  if (handle.includes('n')) y1 = y;
  if (handle.includes('s')) y2 = y;
  const out = { x1: Math.min(x1, x2), y1: Math.min(y1, y2), x2: Math.max(x1, x2), y2: Math.max(y1, y2) };
  return ensureMinSize(out, width, height);
}

function ensureMinSize(r: Rect, width: number, height: number): Rect {
  const out = { ...r };
  if (out.x2 - out.x1 < MIN_BOX) {
    out.x2 = Math.min(width, out.x1 + MIN_BOX);
    out.x1 = out.x2 - MIN_BOX;
  }
  if (out.y2 - out.y1 < MIN_BOX) {
    out.y2 = Math.min(height, out.y1 + MIN_BOX);
    out.y1 = out.y2 - MIN_BOX;
  }
  return out;
}

/** Clamp a move by (dx, dy) so that `bounds` stays inside the image; returns the allowed offset. */
export function clampMove(bounds: Rect, dx: number, dy: number, width: number, height: number): Point {
  return {
    x: clamp(dx, -bounds.x1, width - bounds.x2),
    y: clamp(dy, -bounds.y1, height - bounds.y2),
  };
}

/**
 * A shape's geometry moved by (dx, dy) image pixels, kept inside the image, or with `resize` a box's right and
 * bottom edges moved instead (no side under MIN_BOX): what the arrow keys do to the selected shape. Null when
 * nothing changes (the image's edge, or a resize of what is not a box).
 */
export function nudged(
  a: Pick<Ann, 'kind' | 'geometry'>,
  dx: number,
  dy: number,
  resize: boolean,
  width: number,
  height: number,
): Geometry | null {
  const r = annBounds(a);
  if (!r) return null;
  if (resize) {
    if (a.kind !== 'box') return null;
    const x2 = clamp(r.x2 + dx, r.x1 + MIN_BOX, width);
    const y2 = clamp(r.y2 + dy, r.y1 + MIN_BOX, height);
    return x2 === r.x2 && y2 === r.y2 ? null : { bbox: [r.x1, r.y1, x2, y2].map(round2) };
  }
  const m = clampMove(r, dx, dy, width, height);
  if (m.x === 0 && m.y === 0) return null;
  if (a.kind === 'box') return { bbox: [r.x1 + m.x, r.y1 + m.y, r.x2 + m.x, r.y2 + m.y].map(round2) };
  if (a.kind === 'polygon' && a.geometry.points) return { points: translatePoints(a.geometry.points, m.x, m.y) };
  return null;
}

export function translatePoints(points: readonly number[], dx: number, dy: number): number[] {
  const out = new Array<number>(points.length);
  for (let i = 0; i + 1 < points.length; i += 2) {
    out[i] = round2(points[i]! + dx);
    out[i + 1] = round2(points[i + 1]! + dy);
  }
  return out;
}

/** Even-odd rule point-in-polygon test over a flat `[x, y, ...]` list. */
export function pointInPolygon(points: readonly number[], p: Point): boolean {
  let inside = false;
  const n = points.length >> 1;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = points[2 * i]!;
    const yi = points[2 * i + 1]!;
    const xj = points[2 * j]!;
    const yj = points[2 * j + 1]!;
    if (yi > p.y !== yj > p.y && p.x < ((xj - xi) * (p.y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function distToSegment(p: Point, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 === 0 ? 0 : ((p.x - ax) * dx + (p.y - ay) * dy) / len2;
  t = clamp(t, 0, 1);
  return Math.hypot(p.x - (ax + t * dx), p.y - (ay + t * dy));
}

/** Distance from `p` to the outline of a rectangle. */
export function distToRectEdge(r: Rect, p: Point): number {
  return Math.min(
    distToSegment(p, r.x1, r.y1, r.x2, r.y1),
    distToSegment(p, r.x2, r.y1, r.x2, r.y2),
    distToSegment(p, r.x2, r.y2, r.x1, r.y2),
    distToSegment(p, r.x1, r.y2, r.x1, r.y1),
  );
}

/** Distance from `p` to the closed outline of a polygon, and the index of the nearest edge's first vertex. */
export function nearestPolygonEdge(points: readonly number[], p: Point): { dist: number; edge: number } {
  const n = points.length >> 1;
  let best = Infinity;
  let edge = -1;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const d = distToSegment(p, points[2 * i]!, points[2 * i + 1]!, points[2 * j]!, points[2 * j + 1]!);
    if (d < best) {
      best = d;
      edge = i;
    }
  }
  return { dist: best, edge };
}

/** Index of the vertex within `tol` of `p` (the nearest), or -1. */
export function nearestVertex(points: readonly number[], p: Point, tol: number): number {
  let best = tol;
  let idx = -1;
  for (let i = 0; i + 1 < points.length; i += 2) {
    const d = Math.hypot(points[i]! - p.x, points[i + 1]! - p.y);
    if (d <= best) {
      best = d;
      idx = i >> 1;
    }
  }
  return idx;
}

/** Shoelace area of a polygon (absolute). */
export function polygonArea(points: readonly number[]): number {
  let s = 0;
  const n = points.length >> 1;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    s += points[2 * j]! * points[2 * i + 1]! - points[2 * i]! * points[2 * j + 1]!;
  }
  return Math.abs(s) / 2;
}

export function setVertex(points: readonly number[], index: number, p: Point): number[] {
  const out = points.slice();
  out[2 * index] = round2(p.x);
  out[2 * index + 1] = round2(p.y);
  return out;
}

export function insertVertex(points: readonly number[], afterIndex: number, p: Point): number[] {
  const out = points.slice();
  out.splice(2 * (afterIndex + 1), 0, round2(p.x), round2(p.y));
  return out;
}

export function removeVertex(points: readonly number[], index: number): number[] {
  const out = points.slice();
  out.splice(2 * index, 2);
  return out;
}

/** Clamp a point into the image. */
export function clampPoint(p: Point, width: number, height: number): Point {
  return { x: clamp(p.x, 0, width), y: clamp(p.y, 0, height) };
}
