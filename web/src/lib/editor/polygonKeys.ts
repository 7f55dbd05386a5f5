/**
 * Polygons by keyboard, for people who cannot click points: with the Polygon tool, Enter shows a crosshair on the
 * canvas, the arrow keys move it (Shift: 10 px), Space adds a point where it is, Backspace removes the last point,
 * Enter closes the polygon (3 points or more) and Esc cancels. Points are image pixels, kept inside the image.
 * Pure (the canvas, `view-tools.ts`, holds the crosshair and the points), so tested without a browser.
 */

import type { KeyLike } from './keys';
import type { Point, Rect } from './types';

export type PolygonKey =
  | { kind: 'move'; dx: number; dy: number }
  | { kind: 'add' }
  | { kind: 'close' }
  | { kind: 'undo' }
  | { kind: 'cancel' };

const ARROWS: Readonly<Record<string, readonly [number, number]>> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

/** What a key does to the polygon being placed by keyboard, or null (Ctrl, Cmd and Alt keys are never its). */
export function polygonKeyFor(e: KeyLike): PolygonKey | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const dir = ARROWS[e.key];
  if (dir) {
    const step = e.shiftKey ? 10 : 1;
    return { kind: 'move', dx: dir[0] * step, dy: dir[1] * step };
  }
  if (e.shiftKey) return null;
  if (e.key === ' ') return { kind: 'add' };
  if (e.key === 'Enter') return { kind: 'close' };
  if (e.key === 'Backspace') return { kind: 'undo' };
  if (e.key === 'Escape') return { kind: 'cancel' };
  return null;
}

/** Where the crosshair appears: where it was last (`last`) when that is still in view, else in the middle of
 * what is shown of the image; whole pixels. */
export function startPoint(seen: Rect, width: number, height: number, last: Point | null): Point {
  const x1 = Math.max(0, seen.x1), y1 = Math.max(0, seen.y1);
  const x2 = Math.min(width, seen.x2), y2 = Math.min(height, seen.y2);
  if (last && last.x >= x1 && last.x <= x2 && last.y >= y1 && last.y <= y2) return last;
  return { x: Math.round((x1 + x2) / 2), y: Math.round((y1 + y2) / 2) };
}

/** The crosshair moved by (dx, dy), kept inside the image. */
export function moveCursor(p: Point, dx: number, dy: number, width: number, height: number): Point {
  return { x: Math.min(width, Math.max(0, p.x + dx)), y: Math.min(height, Math.max(0, p.y + dy)) };
}

/** The points with `p` added, or null when `p` repeats the last point (Space held down adds it once). */
export function withVertex(points: readonly number[], p: Point): number[] | null {
  const n = points.length;
  if (n >= 2 && points[n - 2] === p.x && points[n - 1] === p.y) return null;
  return [...points, p.x, p.y];
}

/** How far (image pixels) the view must pan so that `p` is at least `margin` inside what is shown; 0, 0 when it is. */
export function keepInView(seen: Rect, p: Point, margin: number): { dx: number; dy: number } {
  const shift = (v: number, lo: number, hi: number): number => {
    if (hi - lo < 2 * margin) return v - (lo + hi) / 2;
    if (v < lo + margin) return v - (lo + margin);
    if (v > hi - margin) return v - (hi - margin);
    return 0;
  };
  return { dx: shift(p.x, seen.x1, seen.x2), dy: shift(p.y, seen.y1, seen.y2) };
}

/** The warning (a toast) when a polygon is closed with fewer than 3 points; it goes once a polygon closes or is
 * cancelled. */
export const TOO_FEW_POINTS = 'A polygon needs at least 3 points';

/** What a screen reader hears as the polygon is placed by keyboard. */
export const SAY = {
  start: (p: Point) =>
    `Polygon by keyboard at ${p.x}, ${p.y}: arrow keys move the crosshair, Space adds a point, Enter closes, ` +
    'Backspace removes the last point, Esc cancels',
  added: (n: number, p: Point) => `Point ${n} at ${p.x}, ${p.y}`,
  repeated: (p: Point) => `There is a point at ${p.x}, ${p.y} already: move the crosshair first`,
  removed: (n: number) => (n === 0 ? 'Last point removed, none left' : `Last point removed, ${n} left`),
  none: 'No point to remove',
  tooFew: (n: number) => `A polygon needs at least 3 points: ${n} so far`,
  closed: (n: number) => `Polygon closed with ${n} points and selected: arrow keys move it`,
  cancelled: 'Polygon cancelled',
  box: 'Box added in the middle of the view and selected: arrow keys move it, Ctrl+arrow keys resize it',
} as const;
