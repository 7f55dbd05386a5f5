/**
 * The boxes on the current frame, as the stage draws them and the pointer finds them: one per track that has
 * a box there (outside ones only when "Show outside" is on) and is not hidden (`flags.ts`), each with its track's
 * colour and how it is drawn. Hit testing: the selected box's handles first (none on a locked track), then the box
 * under the point (the selected one, else the smallest). Pure functions in image pixels.
 */

import { handlePoints } from '../editor/geometry';
import { HANDLES, type Handle, type Point, type Rect } from '../editor/types';
import { boxAt } from './states';
import type { Box, FrameState, Track } from './types';

export interface FrameShape {
  id: number;
  label: string;
  color: string;
  rect: Rect;
  state: FrameState;
  outside: boolean;
  /** Confidence of a propagated box. */
  confidence: number | null;
  review: boolean;
  /** The track is locked: drawn with a lock mark, selectable, not moved or resized. */
  locked: boolean;
}

/** Which tracks are drawn and which are locked (`TrackFlags`); without it, every track is drawn and unlocked. */
export interface ShapeFlags {
  shown: (id: number) => boolean;
  locked: (id: number) => boolean;
}

export function boxRect(b: Box): Rect {
  return { x1: Math.min(b[0], b[2]), y1: Math.min(b[1], b[3]), x2: Math.max(b[0], b[2]), y2: Math.max(b[1], b[3]) };
}

export function rectBox(r: Rect): Box {
  return [r.x1, r.y1, r.x2, r.y2];
}

/** The shapes of frame `f`, in track order (the selected one is drawn last by the renderer). */
export function frameShapes(
  tracks: readonly Track[],
  f: number,
  showOutside: boolean,
  colorOf: (id: number) => string,
  flags?: ShapeFlags,
): FrameShape[] {
  const out: FrameShape[] = [];
  for (const t of tracks) {
    const at = boxAt(t, f);
    if (!at || (at.outside && !showOutside) || (flags && !flags.shown(t.track_id))) continue;
    const conf = t.confidence[f];
    out.push({
      id: t.track_id,
      label: t.label,
      color: colorOf(t.track_id),
      rect: boxRect(at.box),
      state: at.state,
      outside: at.outside,
      confidence: typeof conf === 'number' ? conf : null,
      review: t.review.includes(f),
      locked: flags?.locked(t.track_id) ?? false,
    });
  }
  return out;
}

export type StageHit = { id: number; part: 'body' } | { id: number; part: 'handle'; handle: Handle };

const CORNERS: readonly Handle[] = ['nw', 'ne', 'se', 'sw'];

/** Whether a box is too small on screen for edge handles (only its corners then, so its middle still moves it). */
export function smallOnScreen(r: Rect, scale: number): boolean {
  return (r.x2 - r.x1) * scale < 24 || (r.y2 - r.y1) * scale < 24;
}

/** What lies under `p` (image pixels; `tol` the pointer's reach in image pixels, `scale` the zoom). */
export function hitShape(shapes: readonly FrameShape[], p: Point, tol: number, scale: number, selected: number | null): StageHit | null {
  const sel = shapes.find((s) => s.id === selected);
  if (sel && !sel.locked) {
    const hp = handlePoints(sel.rect);
    const small = smallOnScreen(sel.rect, scale);
    let best: Handle | null = null;
    let bestD = tol;
    for (const h of small ? CORNERS : HANDLES) {
      const d = Math.max(Math.abs(hp[h].x - p.x), Math.abs(hp[h].y - p.y));
      if (d <= bestD) {
        bestD = d;
        best = h;
      }
    }
    if (best) return { id: sel.id, part: 'handle', handle: best };
  }
  let hit: FrameShape | null = null;
  for (const s of shapes) {
    const r = s.rect;
    if (p.x < r.x1 - tol || p.x > r.x2 + tol || p.y < r.y1 - tol || p.y > r.y2 + tol) continue;
    if (s.id === selected) return { id: s.id, part: 'body' };
    if (!hit || area(r) < area(hit.rect)) hit = s;
  }
  return hit ? { id: hit.id, part: 'body' } : null;
}

function area(r: Rect): number {
  return (r.x2 - r.x1) * (r.y2 - r.y1);
}
