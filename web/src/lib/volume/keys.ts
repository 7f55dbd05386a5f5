/**
 * Moving through the slices with keys and the wheel. PageUp / PageDown always step (the image editor does not use
 * them), ArrowUp / ArrowDown only when the editor would not use them itself (it nudges a selected shape and moves
 * the polygon crosshair with them), Home / End go to the first / last slice. Shift steps 10 slices. ← and → stay
 * the editor's (previous / next item).
 */

import type { HelpEntry, KeyLike } from '../editor/keys';

/** What a key or a wheel turn does to the slice: a step (+1 is the next slice) or a jump to one. */
export type SliceMove = { step: number } | { to: 'first' | 'last' };

/** The slice a move leads to from `k` among `count`, kept inside 0..count-1. */
export function applyMove(k: number, count: number, m: SliceMove): number {
  const next = 'step' in m ? k + m.step : m.to === 'first' ? 0 : count - 1;
  return Math.max(0, Math.min(count - 1, next));
}

/**
 * The slice move for a key press, or null when the key is not one of these or belongs to the editor now
 * (`editorHasArrows`: a shape is selected, a polygon is placed by keyboard, or a drag is going on).
 */
export function sliceKeyFor(e: KeyLike, editorHasArrows: boolean): SliceMove | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const big = e.shiftKey ? 10 : 1;
  switch (e.key) {
    case 'PageUp':
      return { step: big };
    case 'PageDown':
      return { step: -big };
    case 'ArrowUp':
      return editorHasArrows ? null : { step: big };
    case 'ArrowDown':
      return editorHasArrows ? null : { step: -big };
    case 'Home':
      return { to: 'first' };
    case 'End':
      return { to: 'last' };
    default:
      return null;
  }
}

/** Scroll distance (CSS pixels) that makes one slice step; a mouse notch is about 100, a touchpad sends many small ones. */
export const WHEEL_STEP = 40;

export interface WheelLike {
  deltaY: number;
  deltaMode: number;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
}

/**
 * A wheel event's slice step (at most one per event, so a fast mouse does not skip slices), with `acc` the
 * scroll kept from earlier small events; null when the wheel is the editor's (Ctrl or Cmd: zoom, also a
 * touchpad's pinch; Shift: pan sideways). Scrolling down goes to the next slice.
 */
export function wheelStep(e: WheelLike, acc: number): { step: number; acc: number } | null {
  if (e.ctrlKey || e.metaKey || e.shiftKey) return null;
  const unit = e.deltaMode === 1 ? WHEEL_STEP : e.deltaMode === 2 ? WHEEL_STEP * 10 : 1;
  const total = acc + e.deltaY * unit;
  if (Math.abs(total) < WHEEL_STEP) return { step: 0, acc: total };
  return { step: Math.sign(total), acc: 0 };
}

export const VOLUME_SHORTCUTS: readonly HelpEntry[] = [
  { keys: ['PageUp', 'PageDown'], description: 'Next / previous slice (Shift: 10 slices; saves the slice first)', group: 'Slices' },
  { keys: ['↑', '↓'], description: 'Next / previous slice when no shape is selected', group: 'Slices' },
  { keys: ['Home', 'End'], description: 'First / last slice', group: 'Slices' },
  { keys: ['Wheel'], description: 'Next / previous slice (Ctrl+wheel zooms, Shift+wheel pans)', group: 'Slices' },
  { keys: ['Right drag', 'Alt+drag'], description: 'Window: left-right changes the width, up-down the level', group: 'Slices' },
];
