/**
 * Arrow keys between the project grid's cells: ← → to the previous / next item, ↑ ↓ a row up / down (as the grid
 * is laid out now). Pure, so tested without a browser.
 */

/** The index an arrow key on the cell at `index` moves to, or null (not an arrow key, or nowhere to go). */
export function arrowTarget(key: string, index: number, columns: number, loaded: number): number | null {
  if (index < 0 || loaded <= 0) return null;
  let to: number;
  if (key === 'ArrowRight') to = index + 1;
  else if (key === 'ArrowLeft') to = index - 1;
  else if (key === 'ArrowDown') to = Math.min(index + columns, loaded - 1);
  else if (key === 'ArrowUp') to = index - columns;
  else return null;
  if (to < 0 || to >= loaded || to === index) return null;
  return to;
}

/** The cell "Skip to items" focuses: the marked one (the item last opened), else the first in view; null if none. */
export function cellToFocus(viewport: HTMLElement | undefined): HTMLElement | null {
  if (!viewport) return null;
  const marked = viewport.querySelector<HTMLElement>('a.cell[aria-current="true"]');
  if (marked) return marked;
  const top = viewport.getBoundingClientRect().top;
  return [...viewport.querySelectorAll<HTMLElement>('a.cell')].find((c) => c.getBoundingClientRect().bottom > top) ?? null;
}

/** The id of the cell an arrow key on cell `id` moves to, or null: other keys, modifiers, or nowhere to go. */
export function cellArrow(e: KeyboardEvent, id: number, items: readonly { id: number }[], columns: number): number | null {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey) return null;
  const at = items.findIndex((it) => it.id === id);
  const to = arrowTarget(e.key, at, columns, items.length);
  return to === null ? null : (items[to]?.id ?? null);
}

/** The project page's key for the grid's "Labels" toggle: L (either case), without modifiers, not typed in a text
 * field or while a dialog is open (then the key belongs to the field or the dialog). */
export function isLabelsKey(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'defaultPrevented' | 'target'>): boolean {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.key.toLowerCase() !== 'l') return false;
  const t = e.target as { tagName?: string; type?: string; isContentEditable?: boolean; closest?: (s: string) => unknown } | null;
  if (!t || typeof t.tagName !== 'string') return true;
  if (t.tagName === 'INPUT') return t.type === 'checkbox';
  if (t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable) return false;
  return !t.closest?.('dialog, [role="dialog"]');
}
