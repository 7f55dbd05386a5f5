/**
 * A keypoints instance as a shape among the others, pure functions: the rectangle its placed points span (for
 * Tab, the rubber band, Ctrl+A and the arrow keys, which the shared `annBounds` leaves out: a keypoints instance
 * has no area to hit), moving all its placed points at once, its points still missing, and the words the
 * Selection panel shows for its size (and for a mask's).
 */

import { annBounds, clampMove, round2 } from './geometry';
import { pointAt, pointCount, pointName, skeletonOf, type Skeleton } from './keypoints';
import { maskInfo } from './masks';
import type { Ann, Geometry, LabelClass, Rect } from './types';

/** The rectangle the labelled points (v > 0) span, or null when none is labelled. */
export function keypointsBounds(points: readonly number[]): Rect | null {
  let r: Rect | null = null;
  for (let i = 0; i < pointCount(points); i++) {
    const p = pointAt(points, i);
    if (!p) continue;
    if (!r) r = { x1: p.x, y1: p.y, x2: p.x, y2: p.y };
    else r = { x1: Math.min(r.x1, p.x), y1: Math.min(r.y1, p.y), x2: Math.max(r.x2, p.x), y2: Math.max(r.y2, p.y) };
  }
  return r;
}

/** The bounds of any shape the selection takes: `annBounds`, or a keypoints instance's labelled points. */
export function shapeBounds(a: Pick<Ann, 'kind' | 'geometry'>): Rect | null {
  if (a.kind === 'keypoints') return keypointsBounds(a.geometry.points ?? []);
  return annBounds(a);
}

/** Whether Tab, Shift+click, the band and Ctrl+A take `a`: a drawable shape, or keypoints with a labelled point. */
export function isSelectable(a: Pick<Ann, 'kind' | 'geometry'>): boolean {
  return shapeBounds(a) !== null;
}

/** The labelled points moved by (dx, dy); points not labelled stay (0, 0, 0) or wherever O left them. */
export function translatedKeypoints(points: readonly number[], dx: number, dy: number): number[] {
  const out = points.slice();
  for (let i = 0; i < pointCount(points); i++) {
    if ((points[3 * i + 2] ?? 0) === 0) continue;
    out[3 * i] = round2(points[3 * i]! + dx);
    out[3 * i + 1] = round2(points[3 * i + 1]! + dy);
  }
  return out;
}

/** The points moved by (dx, dy) as far as the image allows (every labelled point stays inside), or null when
 * they cannot move that way at all (an edge of the image, nothing labelled). */
export function movedKeypoints(points: readonly number[], dx: number, dy: number, width: number, height: number): number[] | null {
  const r = keypointsBounds(points);
  if (!r) return null;
  const m = clampMove(r, dx, dy, width, height);
  if (m.x === 0 && m.y === 0) return null;
  return translatedKeypoints(points, m.x, m.y);
}

/** The moved geometry of a keypoints instance (the arrow keys), or null when it does not move. */
export function nudgedKeypoints(g: Geometry, dx: number, dy: number, width: number, height: number): Geometry | null {
  const points = movedKeypoints(g.points ?? [], dx, dy, width, height);
  return points ? { ...g, points } : null;
}

/** The indices of the points the class declares that are not labelled (v 0), in order. */
export function missingPoints(points: readonly number[], sk: Skeleton): number[] {
  const out: number[] = [];
  for (let i = 0; i < sk.names.length; i++) if (!pointAt(points, i)) out.push(i);
  return out;
}

/** What the Selection panel shows as a shape's size: a keypoints instance's placed points (and which are missing),
 * a mask's pixel area and the size of its bounds, else the size of its bounds ("whole image" for a tag). */
export function sizeWords(a: Ann, classes: readonly LabelClass[]): string {
  if (a.kind === 'keypoints') {
    const points = a.geometry.points ?? [];
    const sk = skeletonOf(classes, a.label);
    const total = Math.max(sk.names.length, pointCount(points));
    const missing = missingPoints(points, { names: Array.from({ length: total }, (_, i) => pointName(sk, i)), edges: [] });
    const placed = `${total - missing.length} of ${total} points placed`;
    return missing.length === 0 ? placed : `${placed} · missing: ${missing.map((i) => pointName(sk, i)).join(', ')}`;
  }
  const r = annBounds(a);
  const bounds = r ? `${Math.round(r.x2 - r.x1)} × ${Math.round(r.y2 - r.y1)} px` : null;
  if (a.kind === 'mask') {
    const area = maskInfo(a.geometry).area;
    return `${area.toLocaleString('en-US')} px² area` + (bounds ? ` · ${bounds}` : '');
  }
  return bounds ?? 'whole image';
}
