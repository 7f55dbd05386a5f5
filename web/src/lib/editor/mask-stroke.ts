/**
 * A brush or eraser stroke while it is drawn: the bitmap it paints (`mask-tool.ts`) and a canvas of the image's
 * size showing the mask as it will be, which the frame draws instead of the stored mask (so a pointer move
 * paints a few pixels and redraws, and no mask is encoded before the pointer is released). Also the brush's and
 * eraser's polygon fill once its outline is closed (`fillOutlineAt`).
 */

import type { EditorCore } from './core';
import { candidatesAt, type HitOptions } from './hittest';
import { modeOf, startBitmap, stampSegment, type StrokeMode } from './mask-tool';
import { maskCanvas, newCanvas, type AnyCanvas } from './render-masks';
import type { Bitmap } from './rle';
import type { Ann, Point } from './types';

export interface LiveStroke {
  /** The mask being edited; null while the brush paints a new one. */
  target: Ann | null;
  mode: StrokeMode;
  bitmap: Bitmap;
  radius: number;
  last: Point;
  color: string;
  /** The mask as painted so far, at image size (drawn at the image's origin). */
  canvas: AnyCanvas;
  changed: boolean;
}

/** Starts a stroke at `p` with the tool in use, or returns null (after the core said why) when none can start. */
export function beginStroke(core: EditorCore, p: Point, hit: HitOptions): LiveStroke | null {
  const mode = modeOf(core.tool);
  if (!mode) return null;
  const under = candidatesAt(core.index, p, { ...hit, tol: 0 }).filter((a) => a.kind === 'mask');
  const target = core.maskTarget(under);
  if (target === false) return null;
  const { width: w, height: h } = core.item;
  const color = core.colorOf(target ? target.label : core.currentLabel);
  const canvas = newCanvas(w, h);
  const g = canvas.getContext('2d') as CanvasRenderingContext2D | null;
  const cached = target ? maskCanvas(target, color) : null;
  if (g && cached) g.drawImage(cached.fill as CanvasImageSource, cached.bounds.x1, cached.bounds.y1);
  const s: LiveStroke = { target, mode, bitmap: startBitmap(target, h, w), radius: core.brushSize / 2, last: p, color, canvas, changed: false };
  extendStroke(s, p);
  return s;
}

/** Paints the stroke on to `p` (the bitmap and the canvas shown). */
export function extendStroke(s: LiveStroke, p: Point): void {
  s.changed = stampSegment(s.bitmap, s.last, p, s.radius, s.mode === 'brush' ? 1 : 0) || s.changed;
  const g = s.canvas.getContext('2d') as CanvasRenderingContext2D | null;
  if (g) {
    g.globalCompositeOperation = s.mode === 'brush' ? 'source-over' : 'destination-out';
    g.strokeStyle = s.color;
    g.fillStyle = s.color;
    g.lineCap = 'round';
    g.lineWidth = s.radius * 2;
    g.beginPath();
    if (s.last.x === p.x && s.last.y === p.y) {
      g.arc(p.x, p.y, s.radius, 0, Math.PI * 2);
      g.fill();
    } else {
      g.moveTo(s.last.x, s.last.y);
      g.lineTo(p.x, p.y);
      g.stroke();
    }
    g.globalCompositeOperation = 'source-over';
  }
  s.last = p;
}

/** Stores the finished stroke (one undo step) when it changed a pixel. */
export function finishStroke(core: EditorCore, s: LiveStroke): boolean {
  return s.changed && core.paintMask(s.target, s.bitmap);
}

/** The polygon fill (Shift+click points, then Enter or a click on the first point): fills (brush) or clears
 * (eraser) the outline `points` in the mask a stroke starting at its first point would edit; one undo step. */
export function fillOutlineAt(core: EditorCore, points: readonly number[], hit: HitOptions): boolean {
  const p = { x: points[0] ?? 0, y: points[1] ?? 0 };
  const under = candidatesAt(core.index, p, { ...hit, tol: 0 }).filter((a) => a.kind === 'mask');
  return core.fillMaskOutline(points, under);
}
