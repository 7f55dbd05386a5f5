/**
 * A mask's outlines as polygons, free of the DOM ("Convert to polygon"): each connected region of set pixels
 * becomes one polygon, its outer boundary simplified.
 *
 * - Tracing is d3-contour's marching squares (npm `d3-contour`) at the level 0.5 over the pixel values, with the
 *   pixel centres as grid points: it finds each region's outer ring and its holes' rings, and which hole is in
 *   which region. Its outline runs half-way between a set pixel's centre and its unset neighbour's: along the
 *   pixel edges on straight sides, cutting pixel corners diagonally elsewhere; a lone corner between two straight
 *   sides is put back (`flatRing`), so a rectangle of pixels gives its four corners. Rasterised again
 *   (`mask-raster.ts`: pixel centres inside) the outline gives back exactly the region's pixels. Regions are
 *   4-connected: pixels that touch only at a corner are separate regions.
 * - Simplifying is the Douglas-Peucker algorithm of npm `simplify-js` (its "high quality" mode: no radial
 *   pre-pass) with a tolerance of `TOLERANCE` = 1 image pixel: no point of the traced outline lies more than
 *   1 px from the polygon, so a 300-px blob gives a few tens of points rather than a thousand. An outline that
 *   would fall under 3 points (a region one pixel thin) is simplified again at half the tolerance, and so on.
 * - A polygon has no holes: a region's holes are filled in (the polygon covers their pixels), and counted, so
 *   the editor can say so. Regions of fewer than `MIN_REGION_PIXELS` pixels (specks, a stray brush dab) are
 *   left out, and counted too.
 *
 * Hand-written here: cropping the bitmap round its pixels (so tracing a small mask on a large image costs the
 * mask's size), putting rectangle corners back, handing each ring to the simplifier from a corner of it, and the
 * counting.
 */

import { contours } from 'd3-contour';
import simplify from 'simplify-js';
import { coveredPixels } from './mask-raster';
import type { Bitmap } from './rle';

/** The Douglas-Peucker tolerance, in image pixels. */
export const TOLERANCE = 1;
/** Regions with fewer pixels than this are left out of "Convert to polygon". */
export const MIN_REGION_PIXELS = 5;

export interface TracedRegion {
  /** The simplified outer boundary, flat `[x, y, x, y, ...]` in image pixels (at most 2 decimals). */
  points: number[];
  /** The region's pixels (its holes not counted). */
  pixels: number;
  /** How many holes the region has (the polygon fills them in). */
  holes: number;
  /** The pixels in those holes (now covered by the polygon). */
  holePixels: number;
}

export interface TraceResult {
  /** The regions kept, largest first. */
  regions: TracedRegion[];
  /** Regions left out for having fewer than `MIN_REGION_PIXELS` pixels, and their pixels. */
  skipped: number;
  skippedPixels: number;
}

export interface TraceOptions {
  tolerance?: number;
  minPixels?: number;
}

/** The rectangle the set pixels of `bm` cover (`x2`, `y2` exclusive), or null for an empty bitmap. */
export function bitmapBounds(bm: Bitmap): { x1: number; y1: number; x2: number; y2: number } | null {
  const { h, w, data } = bm;
  let x1 = w, y1 = h, x2 = -1, y2 = -1;
  for (let x = 0; x < w; x++) {
    const col = x * h;
    for (let y = 0; y < h; y++) {
      if (data[col + y] === 0) continue;
      if (x < x1) x1 = x;
      x2 = x;
      if (y < y1) y1 = y;
      if (y > y2) y2 = y;
    }
  }
  return x2 < 0 ? null : { x1, y1, x2: x2 + 1, y2: y2 + 1 };
}

/** Traces the regions of `bm` (see the module's comment). */
export function traceMask(bm: Bitmap, opts: TraceOptions = {}): TraceResult {
  const tolerance = opts.tolerance ?? TOLERANCE;
  const minPixels = opts.minPixels ?? MIN_REGION_PIXELS;
  const out: TraceResult = { regions: [], skipped: 0, skippedPixels: 0 };
  const r = bitmapBounds(bm);
  if (!r) return out;
  // The pixels' rectangle with a margin of one unset pixel all round, row by row as d3-contour reads a grid; the
  // margin keeps d3-contour's own treatment of the grid's border out of play (and lets outlines reach the
  // image's edge: they then run along it).
  const ox = r.x1 - 1;
  const oy = r.y1 - 1;
  const cw = r.x2 - r.x1 + 2;
  const ch = r.y2 - r.y1 + 2;
  const grid = new Uint8Array(cw * ch);
  for (let x = r.x1; x < r.x2; x++) {
    const col = x * bm.h;
    for (let y = r.y1; y < r.y2; y++) if (bm.data[col + y]) grid[(y - oy) * cw + (x - ox)] = 1;
  }
  const shape = contours().size([cw, ch]).smooth(false).contour(grid as unknown as number[], 0.5);
  for (const polygon of shape.coordinates) {
    const [outer, ...holes] = polygon.map((ring) => flatRing(ring, ox, oy));
    if (!outer) continue;
    const all = coveredPixels([outer], bm.w, bm.h);
    const holePixels = holes.reduce((n, ring) => n + coveredPixels([ring], bm.w, bm.h), 0);
    const pixels = all - holePixels;
    if (pixels < minPixels) {
      out.skipped += 1;
      out.skippedPixels += pixels;
      continue;
    }
    out.regions.push({ points: simplifyRing(outer, tolerance), pixels, holes: holes.length, holePixels });
  }
  out.regions.sort((a, b) => b.pixels - a.pixels);
  return out;
}

/**
 * A d3-contour ring (closed: its last point is its first) in the cropped grid as flat image points, open. Each
 * point of the ring is the middle of one pixel edge on the boundary (x whole and y half-way on a vertical edge,
 * the other way round on a horizontal one), and where two in a row differ in x and in y the ring cuts a pixel's
 * corner diagonally. Where such a cut lies between two straight runs (the corner of a rectangle of pixels), the
 * corner itself goes back in (the vertical edge's x, the horizontal edge's y), so a box converted to a mask and
 * back keeps its corners; cuts in a row (a slanted or curved side) are kept, so its outline stays a slope rather
 * than a staircase and simplifies to fewer points.
 */
function flatRing(ring: readonly (readonly number[])[], ox: number, oy: number): number[] {
  const n = ring.length > 1 && sameXY(ring[0]!, ring[ring.length - 1]!) ? ring.length - 1 : ring.length;
  const pt = (i: number): readonly number[] => ring[((i % n) + n) % n]!;
  const cut = (i: number): boolean => pt(i)[0] !== pt(i + 1)[0] && pt(i)[1] !== pt(i + 1)[1];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const [x, y] = pt(i) as [number, number];
    const [nx, ny] = pt(i + 1) as [number, number];
    out.push(x + ox, y + oy);
    if (cut(i) && !cut(i - 1) && !cut(i + 1)) {
      if (Number.isInteger(x)) out.push(x + ox, ny + oy);
      else out.push(nx + ox, y + oy);
    }
  }
  return out;
}

function sameXY(a: readonly number[], b: readonly number[]): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

/**
 * Douglas-Peucker on a closed outline (flat, open): started from its leftmost (then topmost) point, which is a
 * corner of the outline's convex hull and so never one a straight side would lose, and closed by that point
 * again. Under 3 points left (a thin sliver), the tolerance halves until 3 remain, or the outline is kept as is.
 */
export function simplifyRing(points: readonly number[], tolerance: number = TOLERANCE): number[] {
  const n = Math.floor(points.length / 2);
  if (n <= 3) return points.map(round2);
  let start = 0;
  for (let i = 1; i < n; i++) {
    const x = points[2 * i]!, y = points[2 * i + 1]!;
    const sx = points[2 * start]!, sy = points[2 * start + 1]!;
    if (x < sx || (x === sx && y < sy)) start = i;
  }
  const ring: { x: number; y: number }[] = [];
  for (let k = 0; k <= n; k++) {
    const i = (start + k) % n;
    ring.push({ x: points[2 * i]!, y: points[2 * i + 1]! });
  }
  for (let tol = tolerance; tol >= 1 / 64; tol /= 2) {
    const kept = simplify(ring, tol, true);
    // The first point comes back as the last: drop it.
    if (kept.length - 1 >= 3) return kept.slice(0, -1).flatMap((p) => [round2(p.x), round2(p.y)]);
  }
  return points.map(round2);
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
