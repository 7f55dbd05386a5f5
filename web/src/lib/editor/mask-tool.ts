/**
 * The brush and the eraser, free of the DOM: which mask a stroke edits, painting a stroke into a bitmap, and
 * what the finished stroke does to the annotation list (one undo step: a new mask, a changed one, or one erased
 * to nothing deleted). The canvas side (the stroke shown while it is drawn) is `mask-stroke.ts`.
 */

import type { KeyLike } from './keys';
import { maskBitmap } from './masks';
import { type Bitmap, maskGeometry } from './rle';
import type { Ann, Geometry, Point, Tool } from './types';

export function isMaskTool(tool: Tool): boolean {
  return tool === 'brush' || tool === 'eraser';
}

/** -1 (`[`: smaller) or 1 (`]`: larger) when the key resizes the brush with `tool` in use (else `[` and `]` step
 * through proposals), else null. */
export function brushKeyFor(e: KeyLike, tool: Tool): 1 | -1 | null {
  if (!isMaskTool(tool) || e.ctrlKey || e.metaKey || e.altKey) return null;
  return e.key === ']' ? 1 : e.key === '[' ? -1 : null;
}

/** `[` or `]` with the brush or eraser in use: makes the brush smaller or larger; returns whether it did. */
export function brushKey(e: KeyLike, core: { tool: Tool; brushSize: number; setBrushSize(px: number): void }): boolean {
  const dir = brushKeyFor(e, core.tool);
  if (dir) core.setBrushSize(brushStep(core.brushSize, dir));
  return dir !== null;
}

export type StrokeMode = 'brush' | 'eraser';

export const BRUSH_MIN = 1;
export const BRUSH_MAX = 250;
export const BRUSH_DEFAULT = 20;

export function clampBrush(px: number): number {
  return Math.min(BRUSH_MAX, Math.max(BRUSH_MIN, Math.round(px) || BRUSH_MIN));
}

/** The next brush size up (`]`) or down (`[`): a pixel at a time when small, about a fifth when large. */
export function brushStep(size: number, dir: 1 | -1): number {
  return clampBrush(dir > 0 ? Math.max(size + 1, size * 1.25) : Math.min(size - 1, size / 1.25));
}

export function modeOf(tool: Tool): StrokeMode | null {
  return tool === 'brush' ? 'brush' : tool === 'eraser' ? 'eraser' : null;
}

/**
 * The mask a stroke starting at a point edits: the brush takes the selected mask when it has the current class,
 * else the topmost mask of that class under the point, else none (`null`: the stroke starts a new mask); the
 * eraser takes the selected mask, else the topmost mask under the point, else there is nothing to erase
 * (`'nothing'`). `under` is the masks under the point, topmost first.
 */
export function strokeTarget(
  mode: StrokeMode,
  selected: Ann | undefined,
  label: string | null,
  under: readonly Ann[],
): Ann | null | 'nothing' {
  if (mode === 'brush') {
    if (selected?.kind === 'mask' && selected.label === label) return selected;
    return under.find((a) => a.label === label) ?? null;
  }
  if (selected?.kind === 'mask') return selected;
  return under[0] ?? 'nothing';
}

/** The bitmap a stroke starts from: a copy of the target's, or an empty one of the image's size. */
export function startBitmap(target: Ann | null, h: number, w: number): Bitmap {
  const b = target ? maskBitmap(target.geometry) : null;
  if (b && b.h === h && b.w === w) return { h, w, data: b.data.slice() };
  return { h, w, data: new Uint8Array(h * w) };
}

/**
 * Set (1) or clear (0) every pixel whose centre lies within `radius` of the segment from `a` to `b` (a disc when
 * they are the same point; a one-pixel brush sets the pixel under the pointer). Returns whether a pixel changed.
 */
export function stampSegment(bm: Bitmap, a: Point, b: Point, radius: number, value: 0 | 1): boolean {
  const { h, w, data } = bm;
  const r = Math.max(0.5, radius);
  const x1 = Math.max(0, Math.floor(Math.min(a.x, b.x) - r));
  const x2 = Math.min(w - 1, Math.ceil(Math.max(a.x, b.x) + r));
  const y1 = Math.max(0, Math.floor(Math.min(a.y, b.y) - r));
  const y2 = Math.min(h - 1, Math.ceil(Math.max(a.y, b.y) + r));
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const r2 = r * r;
  let changed = false;
  for (let x = x1; x <= x2; x++) {
    const cx = x + 0.5;
    for (let y = y1; y <= y2; y++) {
      const cy = y + 0.5;
      let t = len2 === 0 ? 0 : ((cx - a.x) * dx + (cy - a.y) * dy) / len2;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = cx - (a.x + t * dx);
      const ey = cy - (a.y + t * dy);
      if (ex * ex + ey * ey > r2) continue;
      const i = x * h + y;
      if (data[i] !== value) {
        data[i] = value;
        changed = true;
      }
    }
  }
  return changed;
}

function isEmpty(b: Bitmap): boolean {
  return b.data.indexOf(1) < 0;
}

export interface StrokeEdit {
  next: Ann[];
  /** The undo step's words ("paint mask", "erase mask"). */
  label: string;
  /** The key to select afterwards (null: nothing, after a mask was erased away). */
  select: string | null;
  /** The new geometry (null when the mask was deleted), so the caller can keep its bitmap. */
  geometry: Geometry | null;
}

/**
 * What a finished stroke does to `anns`: the brush makes `fresh()` (a new mask) when there is no target, or
 * changes the target's geometry through `edited` (which makes a model's proposal the person's); the eraser
 * changes the target, or deletes it when nothing is left. Null when the stroke changed no pixel. `word` names
 * the undo step (default "paint mask", "erase mask"; the polygon fill's "fill polygon", "clear polygon").
 */
export function strokeEdit(
  anns: readonly Ann[],
  target: Ann | null,
  bitmap: Bitmap,
  mode: StrokeMode,
  fresh: (g: Geometry) => Ann,
  edited: (a: Ann, g: Geometry) => Ann,
  word: string = mode === 'brush' ? 'paint mask' : 'erase mask',
): StrokeEdit | null {
  const empty = isEmpty(bitmap);
  if (!target) {
    if (mode === 'eraser' || empty) return null;
    const g = maskGeometry(bitmap);
    const a = fresh(g);
    return { next: [...anns, a], label: word, select: a.key, geometry: g };
  }
  const i = anns.findIndex((a) => a.key === target.key);
  if (i < 0) return null;
  const before = maskBitmap(target.geometry);
  if (before && before.h === bitmap.h && before.w === bitmap.w && sameBits(before, bitmap)) return null;
  if (empty) {
    return { next: anns.filter((a) => a.key !== target.key), label: `${word} (deleted)`, select: null, geometry: null };
  }
  const g = maskGeometry(bitmap);
  const next = anns.slice();
  next[i] = edited(target, g);
  return { next, label: word, select: target.key, geometry: g };
}

function sameBits(a: Bitmap, b: Bitmap): boolean {
  const x = a.data;
  const y = b.data;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
