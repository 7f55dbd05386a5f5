/**
 * Selecting, on top of the state core, saving and proposals: one shape (a click, Tab), several (Shift or Ctrl+click
 * toggles one, the rubber band adds those inside it, Ctrl+A takes every visible shape), nothing (Esc). The set and
 * its primary live in `selection.ts`; the commands that act on the set (delete, relabel, attributes) in `core.ts`.
 * Hidden and filtered-out shapes are never picked by the band or Ctrl+A, and leave the selection when hidden.
 */

import { ProposalCore } from './core-proposals';
import { isSelectable, shapeBounds } from './keypoint-shapes';
import type { Ann, Rect } from './types';

export abstract class SelectionCore extends ProposalCore {
  /** Per class: how many boxes/polygons/tags use it (rejected ones not counted). */
  labelCounts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const a of this.anns) {
      if (a.state === 'rejected' || a.label === null) continue;
      out.set(a.label, (out.get(a.label) ?? 0) + 1);
    }
    return out;
  }

  tags(): Ann[] {
    return this.anns.filter((a) => a.kind === 'class');
  }

  /** The selected annotations, in list order. */
  get selectedAnns(): Ann[] {
    const sel = this.selection;
    if (sel.size <= 1) {
      const a = this.selected;
      return a ? [a] : [];
    }
    return this.anns.filter((a) => sel.has(a.key));
  }

  /** Select `key` alone (null: nothing). */
  select(key: string | null): void {
    if (key !== null && !this.get(key)) key = null;
    if (key === this.selectedKey && this.selection.size <= 1) return;
    this.selectedKey = key;
    this.emit();
  }

  /** Select the next (or previous) visible shape in list order, wrapping around. */
  selectStep(step: 1 | -1): void {
    const shapes = this.anns.filter((a) => isSelectable(a) && this.visible(a));
    if (shapes.length === 0) return;
    const at = shapes.findIndex((a) => a.key === this.selectedKey);
    const next = at < 0 ? (step === 1 ? 0 : shapes.length - 1) : (at + step + shapes.length) % shapes.length;
    this.select(shapes[next]!.key);
  }

  /** Shift/Ctrl+click: add the shape `key` to the selection as its primary, or take it out. Returns whether it is
   * selected now. */
  toggleSelect(key: string): boolean {
    const a = this.get(key);
    if (!a || !isSelectable(a) || !this.visible(a)) return false;
    const on = this.selection.toggle(key);
    this.emit();
    return on;
  }

  /** The rubber band: add every visible shape whose box lies inside `r` (image pixels). Returns how many it added. */
  selectInside(r: Rect): number {
    const found: string[] = [];
    // Keypoints instances are not in the spatial index (no area to hit): they are looked at one by one.
    const candidates = [...this.index.query(r).map((e) => e.value), ...this.anns.filter((a) => a.kind === 'keypoints')];
    for (const a of candidates) {
      const b = shapeBounds(a);
      if (!b || this.selection.has(a.key) || !this.inGroups(a)) continue;
      if (b.x1 >= r.x1 && b.y1 >= r.y1 && b.x2 <= r.x2 && b.y2 <= r.y2) found.push(a.key);
    }
    if (found.length === 0) return 0;
    // In list order, so that the primary (when there was none) is the one drawn last.
    const order = new Map(this.anns.map((a, i) => [a.key, i]));
    found.sort((x, y) => order.get(x)! - order.get(y)!);
    this.selection.add(found);
    this.emit();
    return found.length;
  }

  /** Whether the band and Ctrl+A take `a`: a visible shape, not a model's open proposal (a key pressed on a
   * selection of many would turn every proposal in it into the person's label, unreviewed; Shift+click still
   * adds one on purpose, and A / X accept or reject proposals). */
  private inGroups(a: Ann): boolean {
    return this.visible(a) && !(a.source === 'model' && a.state === 'proposed');
  }

  /** Ctrl+A: every visible shape (boxes, polygons, masks, keypoints with a placed point; not image tags, hidden classes, hidden rejected ones or open
   * model proposals). */
  selectAll(): number {
    const keys = this.anns.filter((a) => isSelectable(a) && this.inGroups(a)).map((a) => a.key);
    const primary = this.selectedKey !== null && keys.includes(this.selectedKey) ? this.selectedKey : null;
    this.selection.replace(keys, primary);
    this.emit();
    return keys.length;
  }

  /** The selected shapes per label, most first ("(no label)" for those without): what the status line, the
   * Selection section and the screen reader say of a selection of several. */
  selectionCounts(): [string, number][] {
    const by = new Map<string, number>();
    for (const a of this.selectedAnns) {
      const name = a.label ?? '(no label)';
      by.set(name, (by.get(name) ?? 0) + 1);
    }
    return [...by].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
  }

  /** Drop from the selection the shapes no longer shown (a class hidden, rejected proposals hidden). */
  protected keepVisibleSelected(): void {
    this.fixSelection((a) => this.visible(a));
  }
}
