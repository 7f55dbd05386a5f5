/**
 * Character offsets. The server counts a text in code points (Python's `len`), the browser in UTF-16 code units
 * (an emoji is 2 units but 1 code point). Spans are stored in code points, `{start, end}` with `end` exclusive
 * (see src/labelhub/domain/geometry.py `_validate_span`); the page slices and measures in units. `CharIndex`
 * converts both ways, and costs nothing for the usual text without astral characters.
 */

import type { Ann } from '../editor/types';

export interface Range {
  start: number;
  end: number;
}

export class CharIndex {
  readonly text: string;
  /** Length in code points (what the server counts). */
  readonly length: number;
  /** unit offset -> code point offset (null when every character is one unit). */
  private readonly toCp: Int32Array | null;
  /** code point offset -> unit offset. */
  private readonly toUnit: Int32Array | null;

  constructor(text: string) {
    this.text = text;
    let astral = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff) {
        astral = true;
        break;
      }
    }
    if (!astral) {
      this.length = text.length;
      this.toCp = null;
      this.toUnit = null;
      return;
    }
    const toCp = new Int32Array(text.length + 1);
    const units: number[] = [];
    let cp = 0;
    for (let i = 0; i < text.length; ) {
      const c = text.codePointAt(i) as number;
      const w = c > 0xffff ? 2 : 1;
      units.push(i);
      toCp[i] = cp;
      if (w === 2) toCp[i + 1] = cp + 1; // the middle of a pair rounds up to the next character
      i += w;
      cp += 1;
    }
    toCp[text.length] = cp;
    units.push(text.length);
    this.length = cp;
    this.toCp = toCp;
    this.toUnit = Int32Array.from(units);
  }

  /** The unit offset of a code point offset (clamped to the text). */
  unit(cp: number): number {
    const c = Math.max(0, Math.min(this.length, Math.round(cp)));
    return this.toUnit ? (this.toUnit[c] as number) : c;
  }

  /** The code point offset of a unit offset (clamped; inside a surrogate pair rounds to the pair's end). */
  cp(unit: number): number {
    const u = Math.max(0, Math.min(this.text.length, Math.round(unit)));
    return this.toCp ? (this.toCp[u] as number) : u;
  }

  /** The text between two code point offsets. */
  slice(start: number, end: number): string {
    return this.text.slice(this.unit(start), this.unit(end));
  }
}

/** A span annotation's offsets (code points), or null when its geometry is not a valid span. */
export function spanRange(a: Pick<Ann, 'kind' | 'geometry'>): Range | null {
  if (a.kind !== 'span') return null;
  const { start, end } = a.geometry as { start?: unknown; end?: unknown };
  if (typeof start !== 'number' || typeof end !== 'number' || !Number.isInteger(start) || !Number.isInteger(end)) return null;
  if (start < 0 || end <= start) return null;
  return { start, end };
}

const SPACE = /\s/u;

/**
 * A mouse selection (two unit offsets, in either order) as a span: whitespace at either end is left out, and
 * the offsets become code points. Null when nothing but whitespace is selected.
 */
export function selectionToRange(idx: CharIndex, a: number, b: number): Range | null {
  let s = Math.max(0, Math.min(a, b));
  let e = Math.min(idx.text.length, Math.max(a, b));
  while (s < e && SPACE.test(idx.text[s] as string)) s += 1;
  while (e > s && SPACE.test(idx.text[e - 1] as string)) e -= 1;
  if (e <= s) return null;
  // A selection edge inside a surrogate pair takes the whole character.
  const start = idx.cp(s) - (idx.unit(idx.cp(s)) > s ? 1 : 0);
  const end = idx.cp(e);
  return end > start ? { start, end } : null;
}

/** Up to `max` characters of a span's text for lists, with an ellipsis in the middle when longer. */
export function excerpt(idx: CharIndex, r: Range, max = 60): string {
  const t = idx.slice(r.start, r.end).replace(/\s+/gu, ' ');
  if (t.length <= max) return t;
  const half = Math.floor((max - 1) / 2);
  return `${t.slice(0, half)}…${t.slice(t.length - half)}`;
}
