/**
 * F6 and Shift+F6: the keyboard's way round an editor's regions, as in a desktop application's panes. The ring is
 * the stage (the canvas, or the text), the toolbar, the editor's other parts (the video editor's timeline), each
 * section of the side panel, and the page's top bar, then the stage again. F6 lands on a region's first control in
 * Tab order (a roving group's stop, the tool in use), and skips a region with no control; on the stage it gives
 * the keyboard back to the canvas (or, in the text editor, to the page, where the editor's keys work). With focus
 * nowhere (the page body, where Tab steps through shapes) the stage is where F6 starts from. All three editors use
 * this one ring.
 */

import { tabbables } from './tabWrap';

/** The regions to try, in order, after region `at` of `n` (F6; `back`: Shift+F6), each other region once, round
 * the ring; `at` -1 (focus in none) counts as the stage, region 0. */
export function regionOrder(at: number, n: number, back: boolean): number[] {
  const from = at < 0 ? 0 : at;
  const out: number[] = [];
  for (let k = 1; k < n; k++) out.push(back ? (from - k + n) % n : (from + k) % n);
  return out;
}

/** The index of the region that holds `node`, else -1. */
export function regionOf(regions: readonly (Element | null)[], node: Node | null): number {
  if (!node) return -1;
  return regions.findIndex((r) => r !== null && r.contains(node));
}

/** Whether `e` is F6 or Shift+F6 (with no other modifier). */
export function isRegionKey(e: KeyboardEvent): boolean {
  return e.key === 'F6' && !e.ctrlKey && !e.metaKey && !e.altKey;
}

/** The page's top bar: its first `header` before the editor `root` and outside it (the item page's, with the
 * breadcrumb and the review buttons). */
export function topBar(root: Element): HTMLElement | null {
  for (const h of root.ownerDocument.querySelectorAll<HTMLElement>('header')) {
    if (root.contains(h) || h.closest('[role="dialog"], dialog')) continue;
    if (h.compareDocumentPosition(root) & Node.DOCUMENT_POSITION_FOLLOWING) return h;
  }
  return null;
}

/** An editor's regions after its stage, in order: its toolbar, the parts marked `data-region` (the video editor's
 * timeline) and the sections of its side panel, in the page's order; then the page's top bar. */
export function editorRegions(root: Element): HTMLElement[] {
  const parts = [...root.querySelectorAll<HTMLElement>('[role="toolbar"], [data-region], aside section')];
  // A region inside another (a toolbar in a panel section) belongs to it.
  const own = parts.filter((el) => !parts.some((other) => other !== el && other.contains(el)));
  const bar = topBar(root);
  return bar ? [...own, bar] : own;
}

/**
 * Moves focus on F6 (Shift+F6: back) to the next region of `stage` and `regions` that takes it: `enterStage` for
 * the stage, else the region's first control in Tab order. Returns whether focus moved.
 */
export function cycleRegions(stage: Element | null, regions: readonly HTMLElement[], back: boolean, enterStage: () => void): boolean {
  const ring = [stage, ...regions];
  for (const i of regionOrder(regionOf(ring, document.activeElement), ring.length, back)) {
    if (i === 0) {
      enterStage();
      return true;
    }
    const region = ring[i];
    const first = region ? tabbables(region)[0] : undefined;
    if (first) {
      first.focus();
      return true;
    }
  }
  return false;
}
