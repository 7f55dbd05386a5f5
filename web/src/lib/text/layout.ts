/**
 * How spans are drawn over a text: as nested inline elements, so every span is one element (its first
 * fragment) that can be clicked, and overlapping spans nest with their own colour. Spans that cross (neither
 * holds the other) cannot nest, so the later one is split where the earlier one ends: its first piece nests
 * inside, the rest follows. Each element's `depth` is how many nested elements lie under it (0 for an innermost
 * one): the view draws its underline that many steps lower, so stacked spans show stacked underlines.
 *
 * Offsets here are UTF-16 units (what the page slices); callers convert from code points with CharIndex.
 */

export interface SpanRef {
  key: string;
  start: number;
  end: number;
}

export interface TextRun {
  type: 'text';
  start: number;
  end: number;
}

export interface MarkRun {
  type: 'mark';
  key: string;
  start: number;
  end: number;
  /** The piece where the span starts (the one element that stands for it). */
  first: boolean;
  /** The piece where the span ends (where its score tag goes). */
  last: boolean;
  depth: number;
  children: Run[];
}

export type Run = TextRun | MarkRun;

interface Piece {
  key: string;
  start: number;
  end: number;
  spanStart: number;
  spanEnd: number;
}

/** Outer pieces first: by start, then longest, then key (so the result does not depend on list order). */
function order(a: Piece, b: Piece): number {
  return a.start - b.start || b.end - a.end || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function build(lo: number, hi: number, pieces: Piece[]): Run[] {
  const out: Run[] = [];
  let queue = pieces.slice().sort(order);
  let pos = lo;
  while (queue.length > 0) {
    const p = queue[0] as Piece;
    queue = queue.slice(1);
    if (p.start > pos) out.push({ type: 'text', start: pos, end: p.start });
    const inner: Piece[] = [];
    const cut: Piece[] = [];
    // The queue is in start order: the pieces inside `p` come first, then everything after it.
    let i = 0;
    for (; i < queue.length; i++) {
      const q = queue[i] as Piece;
      if (q.start >= p.end) break;
      if (q.end <= p.end) inner.push(q);
      else {
        inner.push({ ...q, end: p.end });
        cut.push({ ...q, start: p.end });
      }
    }
    const tail = queue.slice(i);
    const rest = cut.length > 0 ? [...cut, ...tail].sort(order) : tail;
    const children = build(p.start, p.end, inner);
    let depth = 0;
    for (const c of children) if (c.type === 'mark') depth = Math.max(depth, c.depth + 1);
    out.push({
      type: 'mark',
      key: p.key,
      start: p.start,
      end: p.end,
      first: p.start === p.spanStart,
      last: p.end === p.spanEnd,
      depth,
      children,
    });
    pos = p.end;
    queue = rest;
  }
  if (pos < hi) out.push({ type: 'text', start: pos, end: hi });
  return out;
}

/** The runs of a text of `length` units with `spans` over it (clipped to the text; empty ones left out). */
export function layoutSpans(length: number, spans: readonly SpanRef[]): Run[] {
  const pieces: Piece[] = [];
  for (const s of spans) {
    const start = Math.max(0, s.start);
    const end = Math.min(length, s.end);
    if (end > start) pieces.push({ key: s.key, start, end, spanStart: start, spanEnd: end });
  }
  return build(0, length, pieces);
}

/** Every mark piece in document order (tests and hit lists). */
export function marks(runs: readonly Run[]): MarkRun[] {
  const out: MarkRun[] = [];
  const walk = (list: readonly Run[]): void => {
    for (const r of list) {
      if (r.type === 'mark') {
        out.push(r);
        walk(r.children);
      }
    }
  };
  walk(runs);
  return out;
}

/** The text the runs cover, concatenated: equal to the input text when the layout lost nothing. */
export function flatten(text: string, runs: readonly Run[]): string {
  let s = '';
  for (const r of runs) s += r.type === 'text' ? text.slice(r.start, r.end) : flatten(text, r.children);
  return s;
}
