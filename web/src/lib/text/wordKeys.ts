/**
 * Text selection by keyboard, for people who cannot drag: words are runs of non-space characters, and the
 * arrow keys make and move the pending range a word at a time. Shift+→ starts it on a word (the first, or the one
 * after the selected span) and then takes one word more, Shift+← one word less (never under one); → and ← with a
 * range pending move it to the next / previous single word. A label key (1-9) then makes it a span, as after a
 * mouse selection. Pure, so tested without a browser.
 */

import type { CharIndex, Range } from './offsets';

/** The words of the text, in code points (what spans are stored in). */
export function words(idx: CharIndex): Range[] {
  const out: Range[] = [];
  for (const m of idx.text.matchAll(/\S+/gu)) {
    const start = m.index ?? 0;
    out.push({ start: idx.cp(start), end: idx.cp(start + m[0].length) });
  }
  return out;
}

export type WordKey = 'grow' | 'shrink' | 'next' | 'prev';

/** What an arrow key does to the pending range: Shift+→ grow, Shift+← shrink, → next, ← previous (the plain
 * arrows only while a range is pending: otherwise they change items); null for other keys. */
export function wordKeyFor(e: { key: string; shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; altKey: boolean },
  pending: boolean): WordKey | null {
  if (e.ctrlKey || e.metaKey || e.altKey || (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft')) return null;
  if (e.shiftKey) return e.key === 'ArrowRight' ? 'grow' : 'shrink';
  if (!pending) return null;
  return e.key === 'ArrowRight' ? 'next' : 'prev';
}

/** The pending range after `key`; `from` (with none pending): where to start looking for the first word. */
export function moveRange(list: readonly Range[], pending: Range | null, key: WordKey, from = 0): Range | null {
  if (list.length === 0) return pending;
  if (!pending) {
    if (key !== 'grow') return null;
    return list.find((w) => w.start >= from) ?? list[0] ?? null;
  }
  const first = list.findIndex((w) => w.end > pending.start);
  let last = -1;
  for (let i = list.length - 1; i >= 0 && last < 0; i--) if ((list[i] as Range).start < pending.end) last = i;
  if (first < 0 || last < 0) return pending;
  const at = (i: number): Range => list[i] as Range;
  switch (key) {
    case 'grow':
      return last + 1 < list.length ? { start: pending.start, end: at(last + 1).end } : pending;
    case 'shrink':
      return last > first ? { start: pending.start, end: at(last - 1).end } : pending;
    case 'next':
      return last + 1 < list.length ? { ...at(last + 1) } : pending;
    case 'prev':
      return first > 0 ? { ...at(first - 1) } : pending;
  }
}
