// The items of a project, a keyset page at a time, for the virtualized grid. Only the few fields a thumbnail
// needs are kept, in a plain (non-reactive) array: 100k reactive proxies would cost more than the grid itself.
// `loaded` is the reactive signal that the array grew.

import type { AnnotationState, Item, ItemStatus, Source } from "./api/client";
import { ITEM_STATUSES } from "./status";

export interface ItemFilter {
  status?: ItemStatus | undefined;
  label?: string | undefined;
  source?: Source | undefined;
  state?: AnnotationState | undefined;
  min_score?: number | undefined;
  max_score?: number | undefined;
  q?: string | undefined;
  /** Items carrying this tag exactly (`meta.tags`, as the map's and search's bulk actions set them). */
  tag?: string | undefined;
}

/** The filter's keys in the order an address spells them (one filter, one address: links compare as strings). */
const FILTER_KEYS = ["q", "status", "label", "source", "state", "min_score", "max_score", "tag"] as const;
const STATUSES: readonly string[] = ITEM_STATUSES;
const SOURCES: readonly string[] = ["human", "model"] satisfies Source[];
const STATES: readonly string[] = ["proposed", "accepted", "rejected"] satisfies AnnotationState[];

function scoreParam(v: string | null): number | undefined {
  if (v === null || v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : undefined;
}

/**
 * The filter an address carries (`#/projects/1?status=new&tag=night`, and an item opened from that grid): the
 * grid's filters, each dropped when it holds no value the API accepts (a hand-edited or old link).
 */
export function filterFromQuery(query: URLSearchParams): ItemFilter {
  const out: ItemFilter = {};
  const text = (key: string): string | undefined => query.get(key)?.trim() || undefined;
  const oneOf = (key: string, allowed: readonly string[]): string | undefined => {
    const v = query.get(key);
    return v !== null && allowed.includes(v) ? v : undefined;
  };
  const found: ItemFilter = {
    q: text("q"),
    status: oneOf("status", STATUSES) as ItemStatus | undefined,
    label: query.get("label") || undefined,
    source: oneOf("source", SOURCES) as Source | undefined,
    state: oneOf("state", STATES) as AnnotationState | undefined,
    min_score: scoreParam(query.get("min_score")),
    max_score: scoreParam(query.get("max_score")),
    tag: text("tag"),
  };
  for (const k of FILTER_KEYS) if (found[k] !== undefined) (out as Record<string, unknown>)[k] = found[k];
  return out;
}

/** The query that carries a filter (`status=new&label=dog`), "" for none; the inverse of filterFromQuery. */
export function filterToQuery(f: ItemFilter): string {
  const out = new URLSearchParams();
  for (const k of FILTER_KEYS) {
    const v = f[k];
    if (v === undefined || v === "" || (typeof v === "number" && !Number.isFinite(v))) continue;
    out.set(k, String(v));
  }
  return out.toString();
}

/** The grid of a project showing a filter. */
export function gridPath(projectId: number, f: ItemFilter): string {
  const q = filterToQuery(f);
  return `/projects/${projectId}${q ? `?${q}` : ""}`;
}

/** An item opened from a filtered grid: its next and previous walk the same filtered list. */
export function gridItemPath(projectId: number, itemId: number, f: ItemFilter): string {
  const q = filterToQuery(f);
  return `/projects/${projectId}/items/${itemId}${q ? `?${q}` : ""}`;
}

export interface GridItem {
  id: number;
  name: string;
  status: ItemStatus;
  annotations: number;
  hasMedia: boolean;
  text: string | null;
}

export interface ItemPage {
  items: GridItem[];
  nextAfter: number | null;
}

export type PageFetcher = (
  filter: ItemFilter,
  after: number | null,
  limit: number,
  signal: AbortSignal,
) => Promise<ItemPage>;

/** The first page is small so the grid paints at once; later pages are larger, so a long scroll needs fewer
 * round trips (the API allows 1,000 a page). */
export const FIRST_PAGE = 200;
export const NEXT_PAGE = 1000;

/** True when the filter narrows the list (so the project's total item count no longer applies). */
export function isFiltered(f: ItemFilter): boolean {
  return Object.values(f).some((v) => v !== undefined && v !== "");
}

/** A score bound from the filter's number box: Svelte binds it to a number, or to null when the box is empty or
 * holds no number (typed text is accepted too). Undefined means no bound, NaN a value that is no score; the rest
 * is clamped to 0..1, all the API accepts. */
export function parseScore(v: number | string | null | undefined): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "string") {
    if (v.trim() === "") return undefined;
    v = Number(v);
  }
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : NaN;
}

/** Why a pair of parsed score bounds cannot be applied, or "" when they can. */
export function scoreProblem(lo: number | undefined, hi: number | undefined): string {
  if (Number.isNaN(lo) || Number.isNaN(hi)) return "Scores are numbers from 0 to 1.";
  if (lo !== undefined && hi !== undefined && lo > hi) return "The lowest score is above the highest.";
  return "";
}

/** What a thumbnail needs of an item (as the grid keeps it). */
export function gridItem(it: Item): GridItem {
  return {
    id: it.id,
    name: it.name,
    status: it.status,
    annotations: it.annotation_count ?? 0,
    hasMedia: it.media_key != null,
    text: it.text ? it.text.slice(0, 240) : null,
  };
}


/** What a grid had loaded: enough to show it again where it was without fetching it page by page. */
export interface SourceState {
  /** The items in id order (the source's own array: it is replaced, never emptied, on reset). */
  items: GridItem[];
  after: number | null;
  done: boolean;
}

/** The position of the first item with an id at or above ``id`` in items sorted by id (items.length if none). */
export function indexOfId(items: readonly GridItem[], id: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((items[mid] as GridItem).id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class ItemSource {
  /** Loaded items in id order; read `loaded` first so a component re-renders when this grows. */
  items: GridItem[] = [];
  loaded = $state(0);
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
  }

  /** Loads the next page unless one is on its way (then waits for it), all are loaded, or the last attempt failed. */
  loadMore(): Promise<void> {
    if (this.loading) return this.inflight ?? Promise.resolve();
    if (this.done || this.error) return Promise.resolve();
    const size = this.items.length === 0 ? this.firstPage : this.nextPage;
    return this.run(this.after, size, (page) => {
      for (const it of page.items) this.items.push(it);
      this.after = page.nextAfter;
      this.done = page.nextAfter === null;
    });
  }

  /** Loads pages until the item ``id`` (or the first after it) is loaded, at most ``maxPages`` of them. */
  async loadThrough(id: number, maxPages = 20): Promise<void> {
    for (let n = 0; n < maxPages; n++) {
      const last = this.items[this.items.length - 1];
      if (this.done || this.error || (last && last.id >= id)) return;
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
    await this.run(prev, Math.min(NEXT_PAGE, Math.max(1, limit)), (page) => {
      const fresh = page.items;
      const last = fresh[fresh.length - 1];
      // The page holds every item after `prev` up to its last id (or to the end of the list when it is the last).
      const end = page.nextAfter === null || !last ? Infinity : last.id;
      let to = from;
      while (to < this.items.length && (this.items[to] as GridItem).id <= end) to++;
      const tail = to === this.items.length;
      this.items.splice(from, to - from, ...fresh);
      if (tail) {
        this.done = page.nextAfter === null;
        this.after = this.done ? null : (this.items[this.items.length - 1] as GridItem).id;
      }
    });
  }

  private run(after: number | null, limit: number, apply: (page: ItemPage) => void): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    this.loading = true;
    const filter = $state.snapshot(this.filter);
    const p = (async () => {
      try {
        const page = await this.fetchPage(filter, after, limit, controller.signal);
        if (controller.signal.aborted) return;
        apply(page);
        this.loaded = this.items.length;
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
