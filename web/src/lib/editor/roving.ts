/**
 * A roving Tab stop: a group of controls (the label list's rows, its show/hide buttons, the toolbar's tools) is
 * one stop in the Tab order, and ↑/↓/Home/End (and ←/→) move focus inside it, as in a desktop list (in a radio group the
 * arrows go round and choose, `radioStep`; in a group that wraps into rows, the tag chips, all four arrows move,
 * `gridStep`). The one control of the group with
 * `tabindex=0` is the one last focused while focus is in the group, else the `preferred` one (the label in use),
 * else the first; the others have `tabindex=-1`.
 */

/** Where ↑/↓/Home/End go from position `at` of `n` (`at` -1: nothing focused yet); null for other keys. Stops at
 * the ends (no wrap), as a listbox does. → and ← go as ↓ and ↑: an arrow pressed in the group stays in it (it
 * used to reach the editor and open the next item, leaving the list). */
export function rovingStep(key: string, at: number, n: number): number | null {
  if (n === 0) return null;
  if (key === 'ArrowDown' || key === 'ArrowRight') return at < 0 ? 0 : Math.min(n - 1, at + 1);
  if (key === 'ArrowUp' || key === 'ArrowLeft') return at < 0 ? 0 : Math.max(0, at - 1);
  if (key === 'Home') return 0;
  if (key === 'End') return n - 1;
  return null;
}

/** Where an arrow key goes in a radio group of `n` from `at`: → and ↓ the next, ← and ↑ the previous, round
 * the ends; null for other keys. */
export function radioStep(key: string, at: number, n: number): number | null {
  if (n === 0) return null;
  if (key === 'ArrowRight' || key === 'ArrowDown') return (at + 1) % n;
  if (key === 'ArrowLeft' || key === 'ArrowUp') return at < 0 ? n - 1 : (at - 1 + n) % n;
  return null;
}

/** Which of `n` controls is the group's Tab stop: the focused one, else the preferred one, else the first. */
export function stopIndex(focused: number, preferred: number, n: number): number {
  if (n === 0) return -1;
  if (focused >= 0) return focused;
  return preferred >= 0 ? preferred : 0;
}

/** Gives `items[stop]` tabindex 0 and the others -1. */
export function setStop(items: readonly HTMLElement[], stop: number): void {
  items.forEach((el, i) => {
    const want = i === stop ? 0 : -1;
    if (el.tabIndex !== want) el.tabIndex = want;
  });
}

/** A control's box on the screen (what `getBoundingClientRect` gives). */
export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Where an arrow key goes in a group of controls that wraps into rows (the tag chips), from `at` of `boxes` in
 * their order: ←/→ the previous/next control (no wrap), ↑/↓ the control nearest in x in the row above/below
 * (staying put on the first/last row), Home/End the first/last; null for other keys. */
export function gridStep(key: string, at: number, boxes: readonly Box[]): number | null {
  const n = boxes.length;
  if (n === 0) return null;
  if (key === 'Home') return 0;
  if (key === 'End') return n - 1;
  if (key !== 'ArrowRight' && key !== 'ArrowLeft' && key !== 'ArrowDown' && key !== 'ArrowUp') return null;
  const from = boxes[at];
  if (!from) return 0;
  if (key === 'ArrowRight') return Math.min(n - 1, at + 1);
  if (key === 'ArrowLeft') return Math.max(0, at - 1);
  const down = key === 'ArrowDown';
  // The controls wholly below (above) this one; the nearest row of them is the one whose top (bottom) is nearest.
  const beyond = boxes
    .map((b, i) => ({ b, i }))
    .filter(({ b }) => (down ? b.top >= from.bottom - 1 : b.bottom <= from.top + 1));
  if (beyond.length === 0) return at;
  const edge = down ? Math.min(...beyond.map(({ b }) => b.top)) : Math.max(...beyond.map(({ b }) => b.bottom));
  const first = beyond.find(({ b }) => (down ? b.top : b.bottom) === edge)?.b ?? from;
  const row = beyond.filter(({ b }) => (down ? b.top < first.bottom : b.bottom > first.top));
  const x = (from.left + from.right) / 2;
  const gap = (b: Box): number => Math.abs((b.left + b.right) / 2 - x);
  return row.reduce((best, c) => (gap(c.b) < gap(best.b) ? c : best)).i;
}
