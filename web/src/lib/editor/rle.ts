/**
 * COCO run-length encoded masks (`{size: [h, w], counts}`), as labelhub stores them (src/labelhub/domain/rle.py):
 * runs alternate background and foreground starting with background, in column-major order (down each column,
 * then the next column to the right), as pycocotools writes them. `counts` is a list of run lengths or COCO's
 * compressed string (pycocotools' `rleToString`: each run a little-endian group of 5-bit digits in characters
 * 48 + d, 0x20 meaning "more digits", 0x10 of the last digit the sign; from the third run on a difference to the
 * run two before).
 *
 * Hand-written: no maintained npm package reads or writes COCO RLE (pycocotools is C and Python only). The
 * decoded mask is a `Bitmap`: one byte per pixel, 0 or 1, column-major like the runs (index `x * h + y`).
 */

import type { Geometry, Rect } from './types';

export interface Bitmap {
  readonly h: number;
  readonly w: number;
  /** 0 or 1 per pixel, index `x * h + y`. */
  readonly data: Uint8Array;
}

/** Why a mask's geometry cannot be read (the field and the fault, as the server words it). */
export class RleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RleError';
  }
}

/** The run lengths of COCO's compressed string; throws `RleError` on a malformed one (as the server refuses it). */
export function decodeString(text: string): number[] {
  const counts: number[] = [];
  let value = 0;
  let shift = 0;
  let groups = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 63) throw new RleError(`geometry.counts: character ${i} is not a COCO RLE digit`);
    // Multiplication, not <<: a run may need 35 bits, past JavaScript's 32-bit shifts.
    value += (c & 0x1f) * 2 ** shift;
    shift += 5;
    groups += 1;
    if (c & 0x20) {
      if (groups >= 7) throw new RleError('geometry.counts: a run is longer than 7 digits');
      continue;
    }
    if (c & 0x10) value -= 2 ** shift; // sign-extend the last digit
    if (counts.length > 2) value += counts[counts.length - 2]!;
    if (value < 0) throw new RleError(`geometry.counts: run ${counts.length} is negative`);
    counts.push(value);
    value = shift = groups = 0;
  }
  if (groups !== 0) throw new RleError('geometry.counts: the string ends inside a run');
  return counts;
}

/** COCO's compressed string for `counts` (what pycocotools' `rleToString` writes for them). */
export function encodeString(counts: readonly number[]): string {
  let out = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    let more = true;
    while (more) {
      // Math.floor(x / 32) is an arithmetic shift that also holds past 32 bits.
      let c = ((x % 32) + 32) % 32;
      x = Math.floor(x / 32);
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  }
  return out;
}

/** The `[h, w]` of a mask geometry, or throws `RleError`. */
export function maskSize(g: Geometry): [number, number] {
  const s = g.size;
  if (!Array.isArray(s) || s.length !== 2 || !s.every((v) => Number.isInteger(v) && (v as number) > 0)) {
    throw new RleError('geometry.size must be [height, width] positive integers');
  }
  return [s[0] as number, s[1] as number];
}

/** The run lengths of a mask geometry (either form), checked to cover `h * w` pixels exactly. */
export function runsOf(g: Geometry): number[] {
  const [h, w] = maskSize(g);
  const c = g.counts;
  let runs: number[];
  if (typeof c === 'string') runs = decodeString(c);
  else if (Array.isArray(c) && c.every((v) => Number.isInteger(v) && (v as number) >= 0)) runs = c as number[];
  else throw new RleError('geometry.counts must be non-negative integers or a COCO string');
  let sum = 0;
  for (const r of runs) sum += r;
  if (sum !== h * w) throw new RleError(`geometry.counts sums to ${sum}, expected height*width = ${h * w}`);
  return runs;
}

/** The bitmap of a mask geometry; throws `RleError` when the geometry cannot be read. */
export function decodeMask(g: Geometry): Bitmap {
  const [h, w] = maskSize(g);
  const runs = runsOf(g);
  const data = new Uint8Array(h * w);
  let at = 0;
  for (let i = 0; i < runs.length; i++) {
    const n = runs[i]!;
    if (i % 2 === 1) data.fill(1, at, at + n);
    at += n;
  }
  return { h, w, data };
}

/** Uncompressed run lengths of a bitmap (background first, so a mask starting with foreground opens with 0). */
export function encodeMask(b: Bitmap): number[] {
  const out: number[] = [];
  const d = b.data;
  let v = 0;
  let run = 0;
  for (let i = 0; i < d.length; i++) {
    if (d[i] !== v) {
      out.push(run);
      run = 0;
      v = d[i]!;
    }
    run += 1;
  }
  out.push(run);
  return out;
}

/** The geometry to store for a bitmap (uncompressed counts: the server checks their sum). */
export function maskGeometry(b: Bitmap): Geometry {
  return { size: [b.h, b.w], counts: encodeMask(b) };
}

/** How many pixels are set. */
export function pixelCount(b: Bitmap): number {
  let n = 0;
  for (let i = 0; i < b.data.length; i++) n += b.data[i]!;
  return n;
}

/**
 * The pixel rectangle the set pixels cover, `x2`/`y2` exclusive (a one-pixel mask at 3, 4 is 3, 4, 4, 5), from
 * the runs alone (no bitmap); null for an empty mask.
 */
export function runsBounds(runs: readonly number[], h: number): Rect | null {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  let at = 0;
  for (let i = 0; i < runs.length; i++) {
    const n = runs[i]!;
    if (i % 2 === 1 && n > 0) {
      const first = at;
      const last = at + n - 1;
      const c1 = Math.floor(first / h);
      const c2 = Math.floor(last / h);
      x1 = Math.min(x1, c1);
      x2 = Math.max(x2, c2 + 1);
      if (c1 !== c2) {
        // A run over a column break reaches the bottom of its first column and the top of its last.
        y1 = 0;
        y2 = h;
      } else {
        y1 = Math.min(y1, first % h);
        y2 = Math.max(y2, (last % h) + 1);
      }
    }
    at += n;
  }
  return x1 === Infinity ? null : { x1, y1, x2, y2 };
}
