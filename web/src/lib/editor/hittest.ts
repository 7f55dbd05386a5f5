/**
 * Hit testing in image coordinates: which annotation, and which part of it (body, resize handle, polygon vertex
 * or edge), lies under a point. Candidates come from the spatial index, so a test costs a few cells, not the list.
 */

import {
  annBounds,
  distToRectEdge,
  handlePoints,
  nearestPolygonEdge,
  nearestVertex,
  pointInPolygon,
  polygonArea,
  rectArea,
  rectContains,
} from './geometry';
import { maskHas, maskInfo } from './masks';
import type { GridIndex } from './spatial';
import { type Ann, HANDLES, type Handle, type Point } from './types';

export type HitPart =
  | { type: 'body' }
  | { type: 'handle'; handle: Handle }
  | { type: 'vertex'; index: number }
  | { type: 'edge'; index: number };

const CORNERS: readonly Handle[] = ['nw', 'ne', 'se', 'sw'];

export interface Hit {
  key: string;
  part: HitPart;
}

export interface HitOptions {
  /** Tolerance in image pixels (callers convert a screen tolerance with the zoom). */
  tol: number;
  /** The selected annotation: its handles and vertices win over everything else. */
  selected?: Ann | null;
  /** Annotations for which this returns false are not hit (hidden classes, rejected proposals). */
  visible?: (a: Ann) => boolean;
}

/** Handles and vertices of the selected annotation under `p`, or null. */
export function hitSelectedParts(a: Ann, p: Point, tol: number): Hit | null {
  if (a.kind === 'box' || a.kind === 'track_box') {
    const r = annBounds(a);
    if (!r) return null;
    const hp = handlePoints(r);
    // On a small box the handles would cover it all: shrink their reach (the middle is for moving) and keep
    // only the corners, so a small box can still be dragged.
    const w = r.x2 - r.x1;
    const h0 = r.y2 - r.y1;
    const small = w < 4 * tol || h0 < 4 * tol;
    let best: Handle | null = null;
    let bestD = small ? Math.min(tol, w / 4, h0 / 4) : tol;
    for (const h of small ? CORNERS : HANDLES) {
      const d = Math.max(Math.abs(hp[h].x - p.x), Math.abs(hp[h].y - p.y));
      if (d <= bestD) {
        bestD = d;
        best = h;
      }
    }
    return best ? { key: a.key, part: { type: 'handle', handle: best } } : null;
  }
  if (a.kind === 'polygon' && Array.isArray(a.geometry.points)) {
    const pts = a.geometry.points;
    const v = nearestVertex(pts, p, tol);
    if (v >= 0) return { key: a.key, part: { type: 'vertex', index: v } };
    const e = nearestPolygonEdge(pts, p);
    if (e.dist <= tol) return { key: a.key, part: { type: 'edge', index: e.edge } };
  }
  return null;
}

/** True when `p` is on the annotation: inside it, or within `tol` of its outline. */
export function covers(a: Ann, p: Point, tol: number): boolean {
  const r = annBounds(a);
  if (!r || !rectContains(r, p, tol)) return false;
  if (a.kind === 'mask') return maskHas(a.geometry, p.x, p.y);
  if (a.kind === 'polygon') {
    const pts = a.geometry.points ?? [];
    return pointInPolygon(pts, p) || nearestPolygonEdge(pts, p).dist <= tol;
  }
  return rectContains(r, p) || distToRectEdge(r, p) <= tol;
}

export function annArea(a: Ann): number {
  if (a.kind === 'polygon') return polygonArea(a.geometry.points ?? []);
  if (a.kind === 'mask') return maskInfo(a.geometry).area;
  const r = annBounds(a);
  return r ? rectArea(r) : 0;
}

/**
 * Every annotation under `p`, best first: boxes and polygons before masks (drawn over them), then the smallest
 * area first (so a small box inside a large one can be picked), and among equal areas the one drawn last (on top).
 */
export function candidatesAt(index: GridIndex<Ann>, p: Point, opts: HitOptions): Ann[] {
  const { tol, visible } = opts;
  const found = index.query({ x1: p.x - tol, y1: p.y - tol, x2: p.x + tol, y2: p.y + tol });
  const hits: { a: Ann; mask: number; area: number; order: number }[] = [];
  for (const e of found) {
    const a = e.value;
    if (visible && !visible(a)) continue;
    if (covers(a, p, tol)) hits.push({ a, mask: a.kind === 'mask' ? 1 : 0, area: annArea(a), order: e.order });
  }
  hits.sort((x, y) => x.mask - y.mask || x.area - y.area || y.order - x.order);
  return hits.map((h) => h.a);
}

/** The hit under `p`: the selected annotation's handles and vertices first, then the best candidate's body. */
export function hitTest(index: GridIndex<Ann>, p: Point, opts: HitOptions): Hit | null {
  const sel = opts.selected;
  if (sel && (!opts.visible || opts.visible(sel))) {
    const h = hitSelectedParts(sel, p, opts.tol);
    if (h) return h;
  }
  const best = candidatesAt(index, p, opts)[0];
  return best ? { key: best.key, part: { type: 'body' } } : null;
}

/**
 * The annotation a plain click at `p` selects. Clicking again on the same spot cycles through the annotations
 * stacked there: after the selected one comes the next larger one, then it wraps around.
 */
export function clickTarget(index: GridIndex<Ann>, p: Point, opts: HitOptions): Ann | null {
  const list = candidatesAt(index, p, opts);
  if (list.length === 0) return null;
  const sel = opts.selected;
  const at = sel ? list.findIndex((a) => a.key === sel.key) : -1;
  return at >= 0 ? list[(at + 1) % list.length]! : list[0]!;
}
