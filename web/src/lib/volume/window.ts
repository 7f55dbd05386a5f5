/**
 * Window / level: how a slice's intensities (Hounsfield units for CT) become grey levels on screen, and the right
 * mouse drag that changes the window as in radiology viewers (left-right: width, up-down: level).
 *
 * Hand-written because the rendering must take one pass over the voxels per window change and no library does
 * this for the slice's typed array: for int16 slices one lookup table over the value range (at most 65 536
 * entries) is built per window, then each voxel is a table lookup; float32 slices take the linear map per voxel.
 * The grey is written as one 32-bit RGBA word per pixel into a reused ImageData buffer.
 */

import type { SliceData } from './slice';

/** A window: `center` and `width` in the volume's units; what lies below center - width/2 is black, above
 * center + width/2 white (DICOM's linear VOI LUT, without its half-unit offsets). */
export interface WindowLevel {
  center: number;
  width: number;
}

export interface NamedWindow extends WindowLevel {
  name: string;
}

/** The smallest window width allowed (a width of 0 would divide by zero). */
export const MIN_WIDTH = 1e-3;

/** `w` with a usable width (at least MIN_WIDTH) and finite numbers. */
export function validWindow(w: WindowLevel): WindowLevel {
  const center = Number.isFinite(w.center) ? w.center : 0;
  const width = Number.isFinite(w.width) ? Math.max(MIN_WIDTH, w.width) : 1;
  return { center, width };
}

/** The grey level (0-255) of the value `v` under the window `w`. */
export function greyOf(v: number, w: WindowLevel): number {
  const { center, width } = validWindow(w);
  const g = ((v - (center - width / 2)) / width) * 255;
  return g <= 0 ? 0 : g >= 255 ? 255 : Math.round(g);
}

/** Whether this platform stores typed arrays little-endian (RGBA words are then 0xAABBGGRR). */
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function rgba(g: number): number {
  return LITTLE ? (0xff000000 | (g << 16) | (g << 8) | g) >>> 0 : ((g << 24) | (g << 16) | (g << 8) | 0xff) >>> 0;
}

/** The RGBA word per grey level, built once. */
const WORDS = Uint32Array.from({ length: 256 }, (_, g) => rgba(g));

/** The RGBA word per int16 value lo..hi under the window (index = value - lo). */
export function int16Table(lo: number, hi: number, w: WindowLevel): Uint32Array {
  const n = Math.max(0, hi - lo + 1);
  const table = new Uint32Array(n);
  const { center, width } = validWindow(w);
  const low = center - width / 2;
  for (let i = 0; i < n; i++) {
    const g = ((lo + i - low) * 255) / width;
    table[i] = WORDS[g <= 0 ? 0 : g >= 255 ? 255 : Math.round(g)]!;
  }
  return table;
}

/**
 * Writes the slice under the window into `out` (RGBA bytes, 4 per voxel, e.g. an ImageData's `data`), in one
 * pass over the voxels.
 */
export function renderSlice(slice: SliceData, w: WindowLevel, out: Uint8ClampedArray): void {
  const n = slice.width * slice.height;
  if (out.length < n * 4) throw new Error(`The output holds ${out.length / 4} pixels, the slice has ${n}`);
  const words = new Uint32Array(out.buffer, out.byteOffset, n);
  const v = slice.values;
  if (v instanceof Int16Array) {
    let lo = 32767;
    let hi = -32768;
    for (let i = 0; i < n; i++) {
      const x = v[i]!;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    if (n === 0) return;
    const table = int16Table(lo, hi, w);
    for (let i = 0; i < n; i++) words[i] = table[v[i]! - lo]!;
    return;
  }
  const { center, width } = validWindow(w);
  const low = center - width / 2;
  for (let i = 0; i < n; i++) {
    const g = ((v[i]! - low) * 255) / width;
    // NaN (a float volume's missing voxel) shows black.
    words[i] = WORDS[g > 0 ? (g >= 255 ? 255 : Math.round(g)) : 0]!;
  }
}

/** The window a right-button drag of (dx, dy) screen pixels from `start` gives: right widens, left narrows;
 * down raises the level (the image darkens), up lowers it. The step per pixel follows the starting width, so a
 * narrow brain window and a wide bone window both move at a usable pace; `span` (the volume's max - min) keeps
 * it from stalling at tiny widths. */
export function draggedWindow(start: WindowLevel, dx: number, dy: number, span: number): WindowLevel {
  const step = Math.max(start.width, span / 100, MIN_WIDTH) / 250;
  return { center: round(start.center + dy * step), width: round(Math.max(MIN_WIDTH, start.width + dx * step)) };
}

/** Rounded to what a person reads (whole units for wide windows, more digits for narrow float ones). */
export function round(x: number): number {
  const a = Math.abs(x);
  const digits = a >= 100 ? 0 : a >= 1 ? 1 : 3;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
