// Where the project grid was left, so that coming back from an item (the "← project" link or the browser's Back)
// shows it where it was: the loaded items (100k of them cost one array kept for a few minutes, not a walk of 100
// pages), the item at the top of the view, and the last item the user opened or walked to from it. Kept in memory
// per project and filter, a few at a time, for a short while. The place alone (not the items) is also kept in the
// tab's sessionStorage, so a reload shows the same spot too: the grid then loads its pages down to it again. A grid
// is kept per filter and sort (the address's query), so each sort comes back where it was.

import { filterToQuery, indexOfId, type GridItem, type ItemFilter, type ItemOrder, type SourceState } from "./items.svelte";

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

/** What a reload keeps of a grid: its place and the item last opened, without the loaded items. */
export interface KeptPlace {
  spot: GridSpot | null;
  opened: number | null;
  at: number;
}

/** The part of the Web Storage API the memory uses (sessionStorage in the browser). */
export type PlaceStore = Pick<Storage, "getItem" | "setItem" | "removeItem" | "key" | "length">;

export const GRID_TTL_MS = 10 * 60_000;
const MAX_KEPT = 3;
const STORE_PREFIX = "labelhub.grid:";

function isPlace(v: unknown): v is KeptPlace {
  if (typeof v !== "object" || v === null) return false;
  const p = v as Record<string, unknown>;
  const spot = p.spot as Record<string, unknown> | null;
  const spotOk = spot === null || (typeof spot === "object" && typeof spot.anchorId === "number" && typeof spot.offset === "number");
  return spotOk && (p.opened === null || typeof p.opened === "number") && typeof p.at === "number";
}

export class GridMemory {
  private readonly kept = new Map<string, GridEntry>();
  private readonly ttl: number;
  private readonly max: number;
  private readonly store: PlaceStore | null;

  constructor(ttl = GRID_TTL_MS, max = MAX_KEPT, store: PlaceStore | null = null) {
    this.ttl = ttl;
    this.max = max;
    this.store = store;
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
    const opened = old?.opened ?? this.recallPlace(projectId, filter, now)?.opened ?? null;
    this.kept.set(key, { state, spot, opened, at: now });
    for (const k of this.kept.keys()) if (this.kept.size > this.max) this.kept.delete(k);
    this.storePlace(key, { spot, opened, at: now });
  }

  /** Where a grid was, as a reload finds it (sessionStorage), unless it is too old or unreadable. */
  recallPlace(projectId: number, filter: ItemFilter, now = Date.now()): KeptPlace | null {
    if (!this.store) return null;
    const key = STORE_PREFIX + this.key(projectId, filter);
    try {
      const raw = this.store.getItem(key);
      const place: unknown = raw === null ? null : JSON.parse(raw);
      if (isPlace(place) && now - place.at <= this.ttl) return place;
      if (raw !== null) this.store.removeItem(key);
    } catch {
      // storage denied or a value from elsewhere: nothing to recall
    }
    return null;
  }

  private storePlace(key: string, place: KeptPlace): void {
    try {
      this.store?.setItem(STORE_PREFIX + key, JSON.stringify(place));
    } catch {
      // storage full or denied: the place lasts until a reload only
    }
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
    const place = hit ? { spot: hit.spot, opened: itemId, at: now } : this.recallPlace(projectId, filter, now);
    if (hit) {
      hit.opened = itemId;
      hit.at = now;
    }
    if (place) this.storePlace(this.key(projectId, filter), { ...place, opened: itemId, at: now });
  }

  /** Forgets a project's grids (or all). */
  drop(projectId?: number): void {
    const prefix = projectId === undefined ? "" : `${projectId}?`;
    for (const k of [...this.kept.keys()]) if (k.startsWith(prefix)) this.kept.delete(k);
    const store = this.store;
    if (!store) return;
    try {
      const keys = Array.from({ length: store.length }, (_, i) => store.key(i) ?? "");
      for (const k of keys) if (k.startsWith(STORE_PREFIX + prefix)) store.removeItem(k);
    } catch {
      // storage denied: nothing was kept there
    }
  }
}

function sessionStore(): PlaceStore | null {
  try {
    return typeof sessionStorage === "undefined" ? null : sessionStorage;
  } catch {
    return null; // a browser that denies storage throws on the mere access
  }
}

export const gridMemory = new GridMemory(GRID_TTL_MS, MAX_KEPT, sessionStore());

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

/**
 * The scrollTop that puts a spot's row at the top again. When the anchor left the list: the next item's row in an
 * id order, the top in a name order (where the browser cannot tell which item came next).
 */
export function scrollForSpot(items: readonly GridItem[], spot: GridSpot, g: GridLayout, order?: ItemOrder): number {
  let index = indexOfId(items, spot.anchorId, order);
  if (index === items.length && (order === "name" || order === "-name")) index = 0;
  index = Math.min(index, Math.max(0, items.length - 1));
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
