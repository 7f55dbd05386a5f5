/**
 * Tab at either end of the page: the editors' item page has nothing after the editor, so Tab past its last control
 * would land on the page body, where Tab steps through shapes (or tracks) again and the keyboard user is lost.
 * Instead Tab on the last control wraps to the first control of the page (its top bar, the first region) and
 * Shift+Tab on the first to the last, as a desktop window's focus cycle does. Where the page has controls after
 * the editor, Tab goes on to them as usual.
 */

import { tabMovesFocus } from './keys';

/** The control Tab (or Shift+Tab, `back`) wraps to from position `at` of `n` controls in Tab order; null when
 * `at` is not an end (the browser moves focus itself) or not in the list. */
export function wrapIndex(at: number, n: number, back: boolean): number | null {
  if (at < 0 || n < 2) return null;
  if (!back && at === n - 1) return 0;
  if (back && at === 0) return n - 1;
  return null;
}

const FOCUSABLE = 'a[href], button, input, select, textarea, summary, [tabindex], [contenteditable="true"]';

/** The page's controls in Tab order (document order; positive tabindex is not used in labelhub). */
export function tabbables(root: ParentNode = document): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (el) =>
      el.tabIndex >= 0 &&
      !(el as HTMLButtonElement).disabled &&
      !(el instanceof HTMLInputElement && el.type === 'hidden') &&
      el.closest('[inert]') === null &&
      el.getClientRects().length > 0 &&
      getComputedStyle(el).visibility !== 'hidden',
  );
}

/** For Tab (or Shift+Tab) on `target`: the control it wraps to, or null when it is not at an end of the page. */
export function tabWrapTarget(target: EventTarget | null, back: boolean): HTMLElement | null {
  // Tab on the canvas or the page body steps through shapes: no need to look at the page's controls.
  if (!(target instanceof HTMLElement) || !tabMovesFocus(target, document.body)) return null;
  const list = tabbables();
  const to = wrapIndex(list.indexOf(target), list.length, back);
  return to === null ? null : (list[to] ?? null);
}
