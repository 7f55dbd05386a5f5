/**
 * What the editor knows about each mask geometry, worked out once per geometry object (annotations are never
 * mutated, so an edit makes a new geometry and a pan or zoom finds everything here): its runs and where each
 * ends, the rectangle its pixels cover, its area. A hit test searches the runs; the bitmap (a byte per image
 * pixel, 2 MB at 1920x1080) is decoded only for a stroke or an outline, and only the last few are kept, so
 * masks held by the undo history cost their runs, not their bitmaps.
 */

import { type Bitmap, decodeMask, maskSize, RleError, runsBounds, runsOf } from './rle';
import type { Geometry, Rect } from './types';

export interface MaskInfo {
  h: number;
  w: number;
  /** Null when the geometry cannot be read (`error` says why): such a mask is listed but not drawn. */
  runs: number[] | null;
  /** Where each run ends (exclusive pixel index), for the hit test's binary search. */
  ends: Float64Array | null;
  bounds: Rect | null;
  area: number;
  error: string | null;
}

const infos = new WeakMap<Geometry, MaskInfo>();
/** The bitmaps decoded last, most recent last (a stroke's target, the selected mask's outline). */
const bitmaps = new Map<Geometry, Bitmap>();
const BITMAPS_KEPT = 4;

export function maskInfo(g: Geometry): MaskInfo {
  let info = infos.get(g);
  if (info) return info;
  try {
    const [h, w] = maskSize(g);
    const runs = runsOf(g);
    let area = 0;
    for (let i = 1; i < runs.length; i += 2) area += runs[i]!;
    const ends = new Float64Array(runs.length);
    let at = 0;
    runs.forEach((n, i) => (ends[i] = at += n));
    info = { h, w, runs, ends, bounds: runsBounds(runs, h), area, error: null };
  } catch (err) {
    const error = err instanceof RleError ? err.message : String(err);
    info = { h: 0, w: 0, runs: null, ends: null, bounds: null, area: 0, error };
  }
  infos.set(g, info);
  return info;
}

/** The rectangle a mask's pixels cover (`x2`, `y2` exclusive), or null for an empty or unreadable mask. */
export function maskBounds(g: Geometry): Rect | null {
  return maskInfo(g).bounds;
}

/** The bitmap of a mask (decoded once), or null when it cannot be read. */
export function maskBitmap(g: Geometry): Bitmap | null {
  const b = bitmaps.get(g);
  if (b) {
    rememberBitmap(g, b);
    return b;
  }
  if (maskInfo(g).runs === null) return null;
  return rememberBitmap(g, decodeMask(g));
}

/** Whether the pixel under image point (x, y) is part of the mask. */
export function maskHas(g: Geometry, x: number, y: number): boolean {
  const r = maskBounds(g);
  const px = Math.floor(x);
  const py = Math.floor(y);
  if (!r || px < r.x1 || py < r.y1 || px >= r.x2 || py >= r.y2) return false;
  const { ends, h } = maskInfo(g);
  if (!ends) return false;
  // The run holding pixel index i is the first whose end is past i; odd runs are the mask's.
  const i = px * h + py;
  let lo = 0;
  let hi = ends.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ends[mid]! > i) hi = mid;
    else lo = mid + 1;
  }
  return lo % 2 === 1;
}

/** Remember `b` as the bitmap of `g` (a stroke made both: the next stroke on it needs no decoding); returns `b`. */
export function rememberBitmap(g: Geometry, b: Bitmap): Bitmap {
  bitmaps.delete(g);
  bitmaps.set(g, b);
  for (const old of bitmaps.keys()) {
    if (bitmaps.size <= BITMAPS_KEPT) break;
    bitmaps.delete(old);
  }
  return b;
}
