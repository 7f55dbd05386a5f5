// The embedding map's view transform: screen = data * scale + offset (CSS pixels; y grows downwards on screen
// and upwards in the data, as in a plot). Pure functions returning new views, like the editor's viewport.ts.

export interface Pt {
  x: number;
  y: number;
}

export interface Bounds {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface MapView {
  scale: number;
  tx: number;
  ty: number;
}

/** How far in and out the wheel may zoom, relative to the fitted view. */
export const ZOOM_IN_LIMIT = 400;
export const ZOOM_OUT_LIMIT = 0.25;
/** Zoom factor of one wheel notch (deltaY of 100). */
export const WHEEL_STEP = 1.2;

/** The smallest rectangle holding every point; a unit square around the point(s) when they do not span one. */
export function boundsOf(points: ArrayLike<number>, n = points.length / 2): Bounds {
  if (n === 0) return { x1: -1, y1: -1, x2: 1, y2: 1 };
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = points[2 * i] as number;
    const y = points[2 * i + 1] as number;
    if (x < x1) x1 = x;
    if (x > x2) x2 = x;
    if (y < y1) y1 = y;
    if (y > y2) y2 = y;
  }
  if (x2 - x1 < 1e-9) [x1, x2] = [x1 - 0.5, x2 + 0.5];
  if (y2 - y1 < 1e-9) [y1, y2] = [y1 - 0.5, y2 + 0.5];
  return { x1, y1, x2, y2 };
}

/** Data to screen. The data's y axis points up, the screen's down: hence the minus. */
export function toScreen(v: MapView, p: Pt): Pt {
  return { x: p.x * v.scale + v.tx, y: -p.y * v.scale + v.ty };
}

/** Screen to data (the inverse of toScreen). */
export function toData(v: MapView, p: Pt): Pt {
  return { x: (p.x - v.tx) / v.scale, y: (v.ty - p.y) / v.scale };
}

/** The view that shows all of `b` centred in a canvas of `w` x `h`, with `margin` pixels around it. */
export function fitView(b: Bounds, w: number, h: number, margin = 24): MapView {
  const aw = Math.max(1, w - 2 * margin);
  const ah = Math.max(1, h - 2 * margin);
  const scale = Math.min(aw / (b.x2 - b.x1), ah / (b.y2 - b.y1));
  const cx = (b.x1 + b.x2) / 2;
  const cy = (b.y1 + b.y2) / 2;
  return { scale, tx: w / 2 - cx * scale, ty: h / 2 + cy * scale };
}

/** Zoom by `factor` keeping the screen point `at` where it is, the scale kept within the limits around `fit`. */
export function zoomAt(v: MapView, at: Pt, factor: number, fit: MapView): MapView {
  const scale = Math.min(fit.scale * ZOOM_IN_LIMIT, Math.max(fit.scale * ZOOM_OUT_LIMIT, v.scale * factor));
  const k = scale / v.scale;
  return { scale, tx: at.x - (at.x - v.tx) * k, ty: at.y - (at.y - v.ty) * k };
}

/** The zoom factor of a wheel event's deltaY (pixels; a notch is about 100). */
export function wheelFactor(deltaY: number): number {
  return Math.pow(WHEEL_STEP, -deltaY / 100);
}

export function panBy(v: MapView, dx: number, dy: number): MapView {
  return { scale: v.scale, tx: v.tx + dx, ty: v.ty + dy };
}

/** The part of the data plane a canvas of `w` x `h` shows. */
export function visibleBounds(v: MapView, w: number, h: number): Bounds {
  const a = toData(v, { x: 0, y: h });
  const b = toData(v, { x: w, y: 0 });
  return { x1: a.x, y1: a.y, x2: b.x, y2: b.y };
}

/** A view as it survives another canvas size: the zoom relative to the fitted view and the data point in the
 * canvas's centre. */
export interface KeptView {
  zoom: number;
  cx: number;
  cy: number;
}

export function keepView(v: MapView, fit: MapView, w: number, h: number): KeptView {
  const c = toData(v, { x: w / 2, y: h / 2 });
  return { zoom: v.scale / fit.scale, cx: c.x, cy: c.y };
}

/** The view a kept one stands for in a canvas of `w` x `h` fitted by `fit` (the zoom kept within the limits). */
export function restoreView(k: KeptView, fit: MapView, w: number, h: number): MapView {
  const scale = fit.scale * Math.min(ZOOM_IN_LIMIT, Math.max(ZOOM_OUT_LIMIT, k.zoom));
  return { scale, tx: w / 2 - k.cx * scale, ty: h / 2 + k.cy * scale };
}
