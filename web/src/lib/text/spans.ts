/** Span edits and what the span list shows: pure functions over the editor's immutable annotation list. */

import { newAnnotation } from '../editor/annotations';
import { isProposal } from '../editor/proposals';
import type { Ann } from '../editor/types';
import { type CharIndex, excerpt, type Range, spanRange } from './offsets';

/** A new span by a person (accepted, like a drawn box), with the attribute values it starts with. */
export function newSpan(r: Range, label: string | null, attributes: Record<string, unknown> = {}): Ann {
  return newAnnotation('span', { start: r.start, end: r.end }, label, attributes);
}

/** The same label over the same characters (rejected proposals do not count: they are not shown). */
export function findSpan(list: readonly Ann[], r: Range, label: string | null): Ann | undefined {
  return list.find((a) => {
    const s = spanRange(a);
    return s !== null && a.state !== 'rejected' && a.label === label && s.start === r.start && s.end === r.end;
  });
}

export type AddResult = { list: readonly Ann[]; key: string } | { error: string };

/**
 * `list` with a span over `r` labelled `label` (starting with `attributes`, the label's defaults) appended;
 * refused when the exact span is already there.
 */
export function addSpan(
  list: readonly Ann[],
  r: Range,
  label: string | null,
  attributes: Record<string, unknown> = {},
): AddResult {
  if (r.end <= r.start) return { error: 'Select some text first' };
  const dup = findSpan(list, r, label);
  if (dup) return { error: `That text is already labelled ${label ?? '(no label)'}` };
  const a = newSpan(r, label, attributes);
  return { list: [...list, a], key: a.key };
}

export interface SpanRow {
  key: string;
  label: string | null;
  color: string;
  start: number;
  end: number;
  text: string;
  source: Ann['source'];
  state: Ann['state'];
  score: number | null;
  modelVersion: string | null;
  proposal: boolean;
}

/** The spans in reading order (start, then longer first); rejected proposals only when `showRejected`. */
export function spanRows(
  list: readonly Ann[],
  idx: CharIndex,
  colorOf: (label: string | null) => string,
  showRejected = false,
): SpanRow[] {
  const rows: SpanRow[] = [];
  for (const a of list) {
    const r = spanRange(a);
    if (!r || (a.state === 'rejected' && !showRejected)) continue;
    rows.push({
      key: a.key,
      label: a.label,
      color: colorOf(a.label),
      start: r.start,
      end: r.end,
      text: excerpt(idx, r),
      source: a.source,
      state: a.state,
      score: a.score,
      modelVersion: a.model_version,
      proposal: isProposal(a),
    });
  }
  return rows.sort((x, y) => x.start - y.start || y.end - x.end || (x.key < y.key ? -1 : 1));
}

/** The span after (or before) `key` in reading order, wrapping; the first (last) when nothing is selected. */
export function stepSpan(rows: readonly SpanRow[], key: string | null, step: 1 | -1): string | null {
  if (rows.length === 0) return null;
  const at = key === null ? -1 : rows.findIndex((r) => r.key === key);
  if (at < 0) return (step === 1 ? rows[0] : rows[rows.length - 1])!.key;
  return rows[(at + step + rows.length) % rows.length]!.key;
}

/** Spans per label (rejected ones not counted). */
export function spanCounts(list: readonly Ann[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of list) {
    if (a.kind !== 'span' || a.state === 'rejected' || a.label === null) continue;
    out.set(a.label, (out.get(a.label) ?? 0) + 1);
  }
  return out;
}
