/**
 * Lasso selection on the embedding map: the polygon a drag draws, and the points inside it.
 *
 * Hand-written: point-in-polygon is the classic even-odd ray test (a ray to the right crosses the outline an odd
 * number of times from inside), a dozen lines. The buckets narrow the candidates to the lasso's bounding box
 * first, so a small lasso over 100k points tests only the points near it.
 */

import type { PointBuckets } from "./buckets";
import type { Bounds, Pt } from "./view";

/** True when `p` is inside the closed polygon `poly` (even-odd rule; a polygon of fewer than 3 points is empty). */
export function pointInPolygon(p: Pt, poly: readonly Pt[]): boolean {
  const n = poly.length;
  if (n < 3) return false;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const a = poly[i] as Pt;
    const b = poly[j] as Pt;
    // The edge a-b straddles the horizontal line through p, and crosses it to the right of p.
    if (a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

export function polygonBounds(poly: readonly Pt[]): Bounds {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const p of poly) {
    x1 = Math.min(x1, p.x);
    y1 = Math.min(y1, p.y);
    x2 = Math.max(x2, p.x);
    y2 = Math.max(y2, p.y);
  }
  return { x1, y1, x2, y2 };
}

/** The indices of the points (x, y pairs in `xy`) inside the lasso `poly` (data units), in ascending order. */
export function lassoSelect(xy: ArrayLike<number>, buckets: PointBuckets, poly: readonly Pt[]): number[] {
  if (poly.length < 3) return [];
  return buckets
    .within(polygonBounds(poly))
    .filter((i) => pointInPolygon({ x: xy[2 * i] as number, y: xy[2 * i + 1] as number }, poly));
}

/** Adds `p` to the lasso being drawn unless it is within `minStep` of the last point (screen pixels keep the
 * outline light: a long drag would otherwise add hundreds of points a second). Returns the same array. */
export function extendLasso(poly: Pt[], p: Pt, minStep: number): Pt[] {
  const last = poly[poly.length - 1];
  if (!last || Math.hypot(p.x - last.x, p.y - last.y) >= minStep) poly.push(p);
  return poly;
}
