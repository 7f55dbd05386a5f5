/** The view transform: screen = image * scale + offset (CSS pixels). Pure functions returning new views. */

import { clamp } from './geometry';
import type { Point, Rect } from './types';

export interface View {
  scale: number;
  tx: number;
  ty: number;
}

export const MAX_SCALE = 40;
/** Zoom step of one key press or one wheel notch. */
export const ZOOM_STEP = 1.25;

export function toImage(v: View, p: Point): Point {
  return { x: (p.x - v.tx) / v.scale, y: (p.y - v.ty) / v.scale };
}

export function toScreen(v: View, p: Point): Point {
  return { x: p.x * v.scale + v.tx, y: p.y * v.scale + v.ty };
}

/** The view that shows the whole image centred in the canvas, with a small margin. */
export function fitView(imageW: number, imageH: number, canvasW: number, canvasH: number, margin = 16): View {
  const availW = Math.max(1, canvasW - 2 * margin);
  const availH = Math.max(1, canvasH - 2 * margin);
  const scale = Math.min(availW / Math.max(1, imageW), availH / Math.max(1, imageH));
  return { scale, tx: (canvasW - imageW * scale) / 2, ty: (canvasH - imageH * scale) / 2 };
}

export function minScale(fit: View): number {
  return Math.min(fit.scale / 4, 1);
}

/** Zoom by `factor` keeping the screen point `at` fixed, within [lo, MAX_SCALE]. */
export function zoomAt(v: View, at: Point, factor: number, lo: number): View {
  const scale = clamp(v.scale * factor, lo, MAX_SCALE);
  const k = scale / v.scale;
  return { scale, tx: at.x - (at.x - v.tx) * k, ty: at.y - (at.y - v.ty) * k };
}

export function panBy(v: View, dx: number, dy: number): View {
  return { scale: v.scale, tx: v.tx + dx, ty: v.ty + dy };
}

/**
 * Keep at least `keep` screen pixels of the image on screen, so a fast pan cannot lose the image.
 */
export function constrainView(v: View, imageW: number, imageH: number, canvasW: number, canvasH: number, keep = 64): View {
  const w = imageW * v.scale;
  const h = imageH * v.scale;
  const kx = Math.min(keep, w);
  const ky = Math.min(keep, h);
  return { scale: v.scale, tx: clamp(v.tx, kx - w, canvasW - kx), ty: clamp(v.ty, ky - h, canvasH - ky) };
}

/** The part of the image visible on a canvas of the given size, in image coordinates. */
export function visibleRect(v: View, canvasW: number, canvasH: number): Rect {
  const a = toImage(v, { x: 0, y: 0 });
  const b = toImage(v, { x: canvasW, y: canvasH });
  return { x1: a.x, y1: a.y, x2: b.x, y2: b.y };
}

/** A view that centres image point `p` at the canvas centre, keeping the scale. */
export function centreOn(v: View, p: Point, canvasW: number, canvasH: number): View {
  return { scale: v.scale, tx: canvasW / 2 - p.x * v.scale, ty: canvasH / 2 - p.y * v.scale };
}
