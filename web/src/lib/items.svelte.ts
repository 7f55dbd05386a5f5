// The items of a project, a keyset page at a time, for the virtualized grid. Only the few fields a thumbnail
// needs are kept, in a plain (non-reactive) array: 100k reactive proxies would cost more than the grid itself.
// `revision` is the reactive signal that the array changed (grew, or had items replaced or dropped in place).

import type { Item, ItemStatus } from "./api/client";
import { byName, filterToQuery, orderOf, type ItemFilter, type ItemOrder } from "./itemFilter";

// The filter's helpers live in itemFilter.ts; re-exported here, where the grid's callers have always found them.
export { ITEM_ORDERS, byName, filterFromQuery, filterToQuery, gridItemPath, gridPath, isFiltered, orderOf, parseScore, scoreProblem, withoutOrder } from "./itemFilter";
export type { ItemFilter, ItemOrder } from "./itemFilter";

export interface GridItem {
  id: number;
  name: string;
  status: ItemStatus;
  annotations: number;
  hasMedia: boolean;
  text: string | null;
  /** Who should label it (their username), when someone is assigned. */
  assignee?: string | null;
  /** Under consensus: how many people submitted their labels, of how many. */
  consensus?: { submitted: number; of: number };
}

export interface ItemPage {
  items: GridItem[];
  nextAfter: number | null;
}

/** Fetches the page after item ``after`` (null: the first page); in a name order ``afterName`` is that item's name. */
export type PageFetcher = (
  filter: ItemFilter,
  after: number | null,
  limit: number,
  signal: AbortSignal,
  afterName?: string,
) => Promise<ItemPage>;

/** Where a page of the API's list starts: just after an item, or just before one. */
export type PageAt = { after: number | null } | { before: number };

/** The API's cursor parameters for a page at ``at`` in the filter's order. */
export interface PageCursor {
  after?: number;
  before?: number;
  after_name?: string;
  before_name?: string;
}

/**
 * The query parameters that start a page at ``at``: the item's id, and in a name order its ``name`` too when it is
 * known. The API then places the page by that name without looking the item up, so the page comes even when
 * another user deleted that item since (by its id alone that is a 422). The id orders take no name.
 */
export function pageCursor(filter: ItemFilter, at: PageAt, name?: string): PageCursor {
  const named = name !== undefined && byName(orderOf(filter));
  if ("before" in at) return named ? { before: at.before, before_name: name } : { before: at.before };
  if (at.after === null) return {};
  return named ? { after: at.after, after_name: name } : { after: at.after };
}

/** The first page is small so the grid paints at once; later pages are larger, so a long scroll needs fewer
 * round trips (the API allows 1,000 a page). */
export const FIRST_PAGE = 200;
export const NEXT_PAGE = 1000;

/** What a thumbnail needs of an item (as the grid keeps it). */
export function gridItem(it: Item): GridItem {
  return {
    id: it.id,
    name: it.name,
    status: it.status,
    annotations: it.annotation_count ?? 0,
    hasMedia: it.media_key != null,
    text: it.text ? it.text.slice(0, 240) : null,
    assignee: it.assignee_username ?? null,
    consensus: it.consensus_submitted != null ? { submitted: it.consensus_submitted, of: it.overlap ?? 0 } : undefined,
  };
}


/** What a grid had loaded: enough to show it again where it was without fetching it page by page. */
export interface SourceState {
  /** The items in the list's order (the source's own array: it is replaced, never emptied, on reset). */
  items: GridItem[];
  after: number | null;
  done: boolean;
}

/**
 * The position of item ``id`` in items in ``order``; when it is not there, where it would be (in an id order: the
 * first item after it), or items.length in a name order (the browser cannot place a name as the database's
 * collation would). Without an order, items in id order are assumed, but the item is found in any order.
 */
export function indexOfId(items: readonly GridItem[], id: number, order?: ItemOrder): number {
  if (order !== undefined && byName(order)) {
    const at = items.findIndex((it) => it.id === id);
    return at < 0 ? items.length : at;
  }
  const down = order === "-id";
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const midId = (items[mid] as GridItem).id;
    if (down ? midId > id : midId < id) lo = mid + 1;
    else hi = mid;
  }
  if (order === undefined && items[lo]?.id !== id) {
    const at = items.findIndex((it) => it.id === id);
    if (at >= 0) return at;
  }
  return lo;
}

/**
 * Where a refreshed page ``fresh`` (the items just after position ``from - 1``, in ``order``) ends among the
 * loaded ``items``: the loaded items from ``from`` up to there are the ones it replaces. ``toEnd`` says the page
 * reached the end of the list.
 */
export function refreshedEnd(
  items: readonly GridItem[],
  from: number,
  fresh: readonly GridItem[],
  toEnd: boolean,
  order: ItemOrder,
): number {
  const last = fresh[fresh.length - 1];
  if (toEnd || !last) return items.length;
  let to = from;
  if (byName(order)) {
    // Names sort by the database's collation, which the browser cannot repeat: the page ends at the furthest
    // loaded item it holds again (loaded items between that are gone from the list).
    const ids = new Set(fresh.map((it) => it.id));
    for (let i = from; i < items.length; i++) if (ids.has((items[i] as GridItem).id)) to = i + 1;
    return to;
  }
  const down = order === "-id";
  while (to < items.length && (down ? (items[to] as GridItem).id >= last.id : (items[to] as GridItem).id <= last.id)) to++;
  return to;
}

export class ItemSource {
  /** Loaded items in the filter's order; read `revision` first so a component re-renders when they change. */
  items: GridItem[] = [];
  loaded = $state(0);
  /** Bumped on every change of `items`: a refresh that drops two items and back-fills two leaves `loaded` as it
   * was, yet the grid must show the new items (it read the array once, for the old ones). */
  revision = $state(0);
  loading = $state(false);
  /** True while a `refresh` re-reads items already shown (no "Loading items…" for it). */
  refreshing = $state(false);
  done = $state(false);
  error: unknown = $state(null);
  filter: ItemFilter = $state({});

  private after: number | null = null;
  private controller: AbortController | null = null;
  private inflight: Promise<void> | null = null;
  private readonly fetchPage: PageFetcher;
  private readonly firstPage: number;
  private readonly nextPage: number;

  constructor(fetchPage: PageFetcher, firstPage = FIRST_PAGE, nextPage = NEXT_PAGE) {
    this.fetchPage = fetchPage;
    this.firstPage = firstPage;
    this.nextPage = nextPage;
  }

  /** Starts over with ``filter`` (an answer still on its way for the old filter is dropped). */
  reset(filter: ItemFilter): void {
    this.controller?.abort();
    this.controller = null;
    this.inflight = null;
    // A new array: a state handed out by `state()` keeps the old one as it was.
    this.items = [];
    this.after = null;
    this.filter = filter;
    this.loaded = 0;
    this.revision++;
    this.loading = false;
    this.refreshing = false;
    this.done = false;
    this.error = null;
  }

  /** What is loaded, to be shown again later (`restore`). */
  state(): SourceState {
    return { items: this.items, after: this.after, done: this.done };
  }

  /** Shows a kept state again (for the current filter: the caller matches them). */
  restore(state: SourceState): void {
    this.reset($state.snapshot(this.filter));
    this.items = state.items.slice();
    this.after = state.after;
    this.done = state.done;
    this.loaded = this.items.length;
    this.revision++;
  }

  /** Loads the next page unless one is on its way (then waits for it), all are loaded, or the last attempt failed. */
  loadMore(): Promise<void> {
    if (this.loading) return this.inflight ?? Promise.resolve();
    if (this.done || this.error) return Promise.resolve();
    const size = this.items.length === 0 ? this.firstPage : this.nextPage;
    return this.run(this.after, this.nameFor(this.items[this.items.length - 1], this.after), size, (page) => {
      for (const it of page.items) this.items.push(it);
      this.after = page.nextAfter;
      this.done = page.nextAfter === null;
    });
  }

  /** Whether the loaded items reach item ``id``'s place in the list (it, or in an id order one past it). */
  reached(id: number): boolean {
    const last = this.items[this.items.length - 1];
    if (!last) return false;
    const order = orderOf(this.filter);
    if (order === "id") return last.id >= id;
    if (order === "-id") return last.id <= id;
    return this.items.some((it) => it.id === id);
  }

  /** Loads pages until the item ``id`` (or the first after it) is loaded, at most ``maxPages`` of them. */
  async loadThrough(id: number, maxPages = 20): Promise<void> {
    for (let n = 0; n < maxPages; n++) {
      if (this.done || this.error || this.reached(id)) return;
      await this.loadMore();
    }
  }

  /**
   * Reads ``limit`` items again from position ``from`` on, in place: statuses, counts and membership of the filter
   * move while the user is away on an item page. Items before ``from`` keep their places.
   */
  async refresh(from: number, limit: number): Promise<void> {
    if (this.inflight) await this.inflight;
    if (this.error || from >= this.items.length) return;
    const prev = from > 0 ? (this.items[from - 1] as GridItem).id : null;
    this.refreshing = true;
    await this.run(prev, this.nameFor(this.items[from - 1], prev), Math.min(NEXT_PAGE, Math.max(1, limit)), (page) => {
      const fresh = page.items;
      // The page holds every item after `prev` up to its last one (or to the end of the list when it is the last).
      const to = refreshedEnd(this.items, from, fresh, page.nextAfter === null, orderOf(this.filter));
      const tail = to === this.items.length;
      this.items.splice(from, to - from, ...fresh);
      if (tail) {
        this.done = page.nextAfter === null;
        this.after = this.done ? null : (this.items[this.items.length - 1] as GridItem).id;
      }
    });
  }

  /**
   * In a name order, the name of the loaded item ``it`` a page starts after (the last one loaded, or the one
   * before a refreshed window; ``id`` is the anchor asked for), so the page keeps its place should that item be
   * deleted meanwhile. Undefined in the id orders, where the id marks the place alone.
   */
  private nameFor(it: GridItem | undefined, id: number | null): string | undefined {
    return it !== undefined && it.id === id && byName(orderOf(this.filter)) ? it.name : undefined;
  }

  private run(after: number | null, afterName: string | undefined, limit: number, apply: (page: ItemPage) => void): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    this.loading = true;
    const filter = $state.snapshot(this.filter);
    const p = (async () => {
      try {
        const page = await this.fetchPage(filter, after, limit, controller.signal, afterName);
        if (controller.signal.aborted) return;
        apply(page);
        this.loaded = this.items.length;
        this.revision++;
      } catch (err) {
        if (controller.signal.aborted) return;
        this.error = err;
      } finally {
        if (this.controller === controller) {
          this.loading = false;
          this.refreshing = false;
          this.controller = null;
          this.inflight = null;
        }
      }
    })();
    this.inflight = p;
    return p;
  }

  /** Clears a failed page's error and tries again. */
  retry(): Promise<void> {
    this.error = null;
    return this.loadMore();
  }
}
