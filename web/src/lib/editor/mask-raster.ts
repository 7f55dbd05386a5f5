/**
 * Shapes to pixels, free of the DOM: which pixels of an image-sized bitmap a polygon or a box covers. A pixel is
 * covered when its centre (x + 0.5, y + 0.5) lies inside the shape: for a polygon by the even-odd rule (a
 * self-crossing outline leaves the doubly wound part out, as a canvas `fill('evenodd')` does), for a box its pixel
 * rectangle. A centre exactly on a left or top edge is inside, on a right or bottom edge outside, so two shapes
 * sharing an edge never both take a pixel and a box [10, 20, 30, 40] covers exactly 20 × 20 pixels. Everything is
 * clipped to the image.
 *
 * Hand-written: a scanline fill of a few lines; the npm packages that rasterise polygons draw on a canvas (not
 * testable without a browser, and anti-aliased) or test one point at a time (`point-in-polygon`: a full scan of
 * the edges per pixel).
 */

import type { Bitmap } from './rle';

/**
 * Calls `span(y, x1, x2)` for every run of covered pixels of the polygons `rings` (flat `[x, y, x, y, ...]`
 * outlines, closed implicitly; all of them together by the even-odd rule) in a `w` × `h` image: the pixels
 * x1 <= x < x2 of row y.
 */
export function polygonSpans(
  rings: readonly (readonly number[])[],
  w: number,
  h: number,
  span: (y: number, x1: number, x2: number) => void,
): void {
  let top = Infinity;
  let bottom = -Infinity;
  const edges: number[] = []; // x1, y1, x2, y2 per edge, y1 < y2 (horizontal edges take no part)
  for (const pts of rings) {
    const n = Math.floor(pts.length / 2);
    if (n < 3) continue;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const ax = pts[2 * i]!, ay = pts[2 * i + 1]!;
      const bx = pts[2 * j]!, by = pts[2 * j + 1]!;
      if (ay === by) continue;
      if (ay < by) edges.push(ax, ay, bx, by);
      else edges.push(bx, by, ax, ay);
      top = Math.min(top, ay, by);
      bottom = Math.max(bottom, ay, by);
    }
  }
  if (edges.length === 0) return;
  // Rows whose centre y + 0.5 lies in [top, bottom).
  const y0 = Math.max(0, Math.ceil(top - 0.5));
  const y1 = Math.min(h - 1, Math.ceil(bottom - 0.5) - 1);
  const xs: number[] = [];
  for (let y = y0; y <= y1; y++) {
    const cy = y + 0.5;
    xs.length = 0;
    for (let e = 0; e < edges.length; e += 4) {
      const ey1 = edges[e + 1]!, ey2 = edges[e + 3]!;
      // Half-open in y: an edge counts for the rows whose centre is in [ey1, ey2), so a vertex is crossed once.
      if (cy < ey1 || cy >= ey2) continue;
      const ex1 = edges[e]!, ex2 = edges[e + 2]!;
      xs.push(ex1 + ((cy - ey1) * (ex2 - ex1)) / (ey2 - ey1));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      // Columns whose centre x + 0.5 lies in [xs[k], xs[k + 1]).
      const a = Math.max(0, Math.ceil(xs[k]! - 0.5));
      const b = Math.min(w, Math.ceil(xs[k + 1]! - 0.5));
      if (b > a) span(y, a, b);
    }
  }
}

/** Sets every pixel of `bm` that the polygon `points` (flat `[x, y, ...]`, in image pixels) covers to `value`;
 * returns how many pixels changed. */
export function fillPolygon(bm: Bitmap, points: readonly number[], value: 0 | 1): number {
  const { h, w, data } = bm;
  let changed = 0;
  polygonSpans([points], w, h, (y, x1, x2) => {
    for (let x = x1; x < x2; x++) {
      const i = x * h + y;
      if (data[i] !== value) {
        data[i] = value;
        changed += 1;
      }
    }
  });
  return changed;
}

/** The pixel rectangle of a box `[x1, y1, x2, y2]` (pixels whose centre lies inside; x2, y2 exclusive), clipped to
 * a `w` × `h` image; null when it covers no pixel. */
export function boxPixels(bbox: readonly number[], w: number, h: number): { x1: number; y1: number; x2: number; y2: number } | null {
  const [bx1, by1, bx2, by2] = bbox as [number, number, number, number];
  const x1 = Math.max(0, Math.ceil(Math.min(bx1, bx2) - 0.5));
  const y1 = Math.max(0, Math.ceil(Math.min(by1, by2) - 0.5));
  const x2 = Math.min(w, Math.ceil(Math.max(bx1, bx2) - 0.5));
  const y2 = Math.min(h, Math.ceil(Math.max(by1, by2) - 0.5));
  return x2 > x1 && y2 > y1 ? { x1, y1, x2, y2 } : null;
}

/** Sets the pixels of the box `bbox` in `bm` to `value`; returns how many changed. */
export function fillBox(bm: Bitmap, bbox: readonly number[], value: 0 | 1): number {
  const r = boxPixels(bbox, bm.w, bm.h);
  if (!r) return 0;
  let changed = 0;
  for (let x = r.x1; x < r.x2; x++) {
    for (let i = x * bm.h + r.y1, end = x * bm.h + r.y2; i < end; i++) {
      if (bm.data[i] !== value) {
        bm.data[i] = value;
        changed += 1;
      }
    }
  }
  return changed;
}

/** How many pixels of a `w` × `h` image the polygons `rings` cover together (even-odd: an outline with its holes). */
export function coveredPixels(rings: readonly (readonly number[])[], w: number, h: number): number {
  let n = 0;
  polygonSpans(rings, w, h, (_y, x1, x2) => (n += x2 - x1));
  return n;
}

/** An empty bitmap of an image's size. */
export function emptyBitmap(h: number, w: number): Bitmap {
  return { h, w, data: new Uint8Array(h * w) };
}
