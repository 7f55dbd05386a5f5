/**
 * Where a pasted shape lands (`clipboard.ts`), pure functions. The rule: a shape keeps its pixel positions, moved
 * by the paste's offset; one that would then stick out of the image is moved back inside whole (it keeps its
 * size), and one larger than the image is cut at the image's edges (moved onto it first if it would miss it).
 * Masks follow the same rule pixel for pixel (no scaling: a mask pasted on an image of another size is re-laid on
 * that image's pixel grid). A shape left with nothing inside the image lands nowhere (null).
 */

import { boxToRect, clamp, pointsBounds, round2 } from './geometry';
import { keypointsBounds, translatedKeypoints } from './keypoint-shapes';
import { pointCount } from './keypoints';
import { maskBitmap, maskBounds } from './masks';
import { maskGeometry, pixelCount, type Bitmap } from './rle';
import type { AnnotationKind, Geometry, Point, Rect } from './types';

/** The smallest side (image pixels) a pasted box or polygon may keep after being cut at the image's edges. */
const MIN_SIDE = 1;

/** The offset (dx, dy) corrected so that `r` lies inside a `width` x `height` image, on each axis where it fits;
 * on an axis where it is larger than the image it keeps its place (the edges cut it) unless it would then miss
 * the image (less than `MIN_SIDE` px inside): then it is moved onto the image, which it covers. */
export function fitOffset(r: Rect, dx: number, dy: number, width: number, height: number): Point {
  const axis = (lo: number, hi: number, d: number, size: number): number => {
    if (hi - lo > size) {
      if (lo + d > size - MIN_SIDE) return size - hi; // past the far edge: its far edge on the image's
      if (hi + d < MIN_SIDE) return -lo;
      return d;
    }
    if (hi + d > size) return size - hi;
    if (lo + d < 0) return -lo;
    return d;
  };
  return { x: axis(r.x1, r.x2, dx, width), y: axis(r.y1, r.y2, dy, height) };
}

/** The geometry of a `kind` shape pasted with the offset (dx, dy) on a `width` x `height` image, or null when
 * nothing of it would be inside. */
export function placedGeometry(kind: AnnotationKind, g: Geometry, dx: number, dy: number, width: number, height: number): Geometry | null {
  if (kind === 'box' && Array.isArray(g.bbox) && g.bbox.length === 4) return placedBox(boxToRect(g.bbox), dx, dy, width, height);
  if (kind === 'polygon' && Array.isArray(g.points) && g.points.length >= 6) return placedPolygon(g.points, dx, dy, width, height);
  if (kind === 'keypoints' && Array.isArray(g.points)) return placedKeypoints(g.points, dx, dy, width, height);
  if (kind === 'mask') return placedMask(g, dx, dy, width, height);
  return null;
}

function placedBox(r: Rect, dx: number, dy: number, W: number, H: number): Geometry | null {
  const m = fitOffset(r, dx, dy, W, H);
  const x1 = clamp(r.x1 + m.x, 0, W), y1 = clamp(r.y1 + m.y, 0, H);
  const x2 = clamp(r.x2 + m.x, 0, W), y2 = clamp(r.y2 + m.y, 0, H);
  if (x2 - x1 < MIN_SIDE || y2 - y1 < MIN_SIDE) return null;
  return { bbox: [x1, y1, x2, y2].map(round2) };
}

function placedPolygon(points: readonly number[], dx: number, dy: number, W: number, H: number): Geometry | null {
  const m = fitOffset(pointsBounds(points), dx, dy, W, H);
  const out = points.map((v, i) => round2(clamp(v + (i % 2 === 0 ? m.x : m.y), 0, i % 2 === 0 ? W : H)));
  const b = pointsBounds(out);
  if (b.x2 - b.x1 < MIN_SIDE || b.y2 - b.y1 < MIN_SIDE) return null;
  return { points: out };
}

/** Labelled points move and are clamped into the image; points not labelled stay as they were (not drawn). */
function placedKeypoints(points: readonly number[], dx: number, dy: number, W: number, H: number): Geometry | null {
  const r = keypointsBounds(points);
  if (!r) return null;
  const m = fitOffset(r, dx, dy, W, H);
  const out = translatedKeypoints(points, m.x, m.y);
  for (let i = 0; i < pointCount(out); i++) {
    if ((out[3 * i + 2] ?? 0) === 0) continue;
    out[3 * i] = clamp(out[3 * i]!, 0, W);
    out[3 * i + 1] = clamp(out[3 * i + 1]!, 0, H);
  }
  return { points: out };
}

/** The mask's pixels moved by whole pixels onto a new `H` x `W` grid; those falling outside are dropped. */
function placedMask(g: Geometry, dx: number, dy: number, W: number, H: number): Geometry | null {
  const src = maskBitmap(g);
  const r = maskBounds(g);
  if (!src || !r) return null;
  const m = fitOffset(r, Math.round(dx), Math.round(dy), W, H);
  const sx = Math.round(m.x), sy = Math.round(m.y);
  const data = new Uint8Array(W * H);
  for (let x = r.x1; x < r.x2; x++) {
    const tx = x + sx;
    if (tx < 0 || tx >= W) continue;
    for (let y = r.y1; y < r.y2; y++) {
      const ty = y + sy;
      if (ty >= 0 && ty < H && src.data[x * src.h + y] === 1) data[tx * H + ty] = 1;
    }
  }
  const out: Bitmap = { h: H, w: W, data };
  return pixelCount(out) === 0 ? null : maskGeometry(out);
}
