// Where the project grid was left, so that coming back from an item (the "← project" link or the browser's Back)
// shows it where it was: the loaded items (100k of them cost one array kept for a few minutes, not a walk of 100
// pages), the item at the top of the view, and the last item the user opened or walked to from it. Kept in memory
// per project and filter, a few at a time, for a short while; a reload starts the grid at the top again.

import { filterToQuery, indexOfId, type GridItem, type ItemFilter, type SourceState } from "./items.svelte";

/** The view's place: the first item of the row at its top and how far (a fraction of a row) it is scrolled into it. */
export interface GridSpot {
  anchorId: number;
  offset: number;
}

export interface GridEntry {
  state: SourceState;
  spot: GridSpot | null;
  /** The item last opened from this grid, or walked to with next / previous. */
  opened: number | null;
  at: number;
}

export const GRID_TTL_MS = 10 * 60_000;
const MAX_KEPT = 3;

export class GridMemory {
  private readonly kept = new Map<string, GridEntry>();
  private readonly ttl: number;
  private readonly max: number;

  constructor(ttl = GRID_TTL_MS, max = MAX_KEPT) {
    this.ttl = ttl;
    this.max = max;
  }

  private key(projectId: number, filter: ItemFilter): string {
    return `${projectId}?${filterToQuery(filter)}`;
  }

  /** Keeps a grid as it is left (the item last opened from it stays remembered). */
  save(projectId: number, filter: ItemFilter, state: SourceState, spot: GridSpot | null, now = Date.now()): void {
    const key = this.key(projectId, filter);
    const old = this.recall(projectId, filter, now);
    this.kept.delete(key);
    if (state.items.length === 0) return;
    this.kept.set(key, { state, spot, opened: old?.opened ?? null, at: now });
    for (const k of this.kept.keys()) if (this.kept.size > this.max) this.kept.delete(k);
  }

  /** The grid kept for a project and filter, unless it is too old. */
  recall(projectId: number, filter: ItemFilter, now = Date.now()): GridEntry | null {
    const key = this.key(projectId, filter);
    const hit = this.kept.get(key);
    if (!hit) return null;
    if (now - hit.at > this.ttl) {
      this.kept.delete(key);
      return null;
    }
    return hit;
  }

  /** The user is on an item of a kept grid (opened from it, or walked to): the grid shows it when they return. */
  opened(projectId: number, filter: ItemFilter, itemId: number, now = Date.now()): void {
    const hit = this.recall(projectId, filter, now);
    if (!hit) return;
    hit.opened = itemId;
    hit.at = now;
  }

  /** Forgets a project's grids (or all). */
  drop(projectId?: number): void {
    if (projectId === undefined) return this.kept.clear();
    for (const k of [...this.kept.keys()]) if (k.startsWith(`${projectId}?`)) this.kept.delete(k);
  }
}

export const gridMemory = new GridMemory();

/** The grid's geometry: how many items a row holds and how tall a row is, in pixels. */
export interface GridLayout {
  columns: number;
  rowHeight: number;
}

/** Where a view scrolled to ``scrollTop`` is, as a spot that survives another width (other columns). */
export function spotAt(items: readonly GridItem[], scrollTop: number, g: GridLayout): GridSpot | null {
  const row = Math.max(0, Math.floor(scrollTop / g.rowHeight));
  const anchor = items[row * g.columns] ?? items[items.length - 1];
  if (!anchor) return null;
  const offset = Math.min(1, Math.max(0, (scrollTop - row * g.rowHeight) / g.rowHeight));
  return { anchorId: anchor.id, offset: items[row * g.columns] ? offset : 0 };
}

/** The scrollTop that puts a spot's row at the top again (the next item's when the anchor left the list). */
export function scrollForSpot(items: readonly GridItem[], spot: GridSpot, g: GridLayout): number {
  const index = Math.min(indexOfId(items, spot.anchorId), Math.max(0, items.length - 1));
  const row = Math.floor(index / g.columns);
  return Math.round((row + spot.offset) * g.rowHeight);
}

/**
 * The scrollTop that shows the whole cell of item ``index`` in a view ``height`` tall scrolled to ``scrollTop``:
 * unchanged when it is in view already, else the least scroll that brings it in. Row ``r``'s cells start ``gap``
 * below ``r * rowHeight`` and end by the next row's start.
 */
export function scrollToReveal(index: number, scrollTop: number, height: number, g: GridLayout, gap = 0): number {
  const row = Math.floor(index / g.columns);
  const top = row * g.rowHeight + gap;
  const bottom = (row + 1) * g.rowHeight + gap;
  if (top >= scrollTop && bottom <= scrollTop + height) return scrollTop;
  if (top < scrollTop) return Math.max(0, top - gap);
  return Math.max(0, bottom + gap - height);
}
