// Where "next" and "previous" lead on the item page: the list the user is working through. Three lists exist:
// every item of the project in id order, the review queue (labelled items), and the items a reviewer returned
// to me (rejected, labelled by me). The item URL names the list with `?queue=review` or `?queue=returned`.
//
// The API pages forward only (`after=<id>`), so "next" is one small request, while "previous" and the position
// ("12 / 480") need the ids before the item. A trail keeps the ids of a list from its start, a page at a time
// (a few pages at most, so a deep item in a huge project costs no more than that), and remembers the steps
// the user took, so "previous" works after "next" even where the prefix does not reach.

import type { ItemStatus } from "../api/client";

export type QueueKind = "all" | "review" | "returned";

export interface QueueQuery {
  status?: ItemStatus;
  annotator?: string;
}

export const QUEUE_TITLES: Record<QueueKind, string> = {
  all: "All items",
  review: "Review queue",
  returned: "Returned to me",
};

/** The list named by an item URL's query (`?queue=review`); anything else is the whole project. */
export function queueOf(query: URLSearchParams): QueueKind {
  const q = query.get("queue");
  return q === "review" || q === "returned" ? q : "all";
}

/** The API filter of a list. */
export function queueQuery(kind: QueueKind): QueueQuery {
  if (kind === "review") return { status: "labeled" };
  if (kind === "returned") return { status: "rejected", annotator: "me" };
  return {};
}

/** The path of an item in a list (the query keeps the list when moving on). */
export function itemPath(projectId: number, itemId: number, kind: QueueKind): string {
  return `/projects/${projectId}/items/${itemId}${kind === "all" ? "" : `?queue=${kind}`}`;
}

export interface IdPage {
  ids: number[];
  nextAfter: number | null;
}

/** Fetches a page of a list's item ids after `after` (null: from the start). */
export type IdFetcher = (query: QueueQuery, after: number | null, limit: number) => Promise<IdPage>;

export interface Neighbours {
  prev: number | null;
  next: number | null;
  /** 0-based position of the item in the list, when the ids before it are known. */
  index: number | null;
  /** How many items the list holds, when known. */
  total: number | null;
}

/** "12 / 480", "12" when the total is unknown, or "" when the position is unknown. */
export function positionText(n: Pick<Neighbours, "index" | "total">): string {
  if (n.index === null) return "";
  const at = (n.index + 1).toLocaleString("en-US");
  return n.total === null ? at : `${at} / ${n.total.toLocaleString("en-US")}`;
}

export const PAGE = 500;
export const MAX_PAGES = 4;

/** The first index in sorted `ids` whose value is >= `id`. */
function lowerBound(ids: readonly number[], id: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ids[mid] as number) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class QueueTrail {
  /** The list's ids from its start, in id order (a prefix of the list). */
  readonly ids: number[] = [];
  /** True when `ids` is the whole list. */
  complete = false;
  /** The list's size from elsewhere (project counts), when `ids` is not complete. */
  knownTotal: number | null = null;
  /** Steps the user took: id -> the item they came from by "next". */
  private readonly cameFrom = new Map<number, number>();
  readonly query: QueueQuery;
  private readonly fetchIds: IdFetcher;
  private readonly maxPages: number;
  private readonly pageSize: number;
  private cursor: number | null = null;
  private pages = 0;
  private loading: Promise<void> | null = null;

  constructor(query: QueueQuery, fetchIds: IdFetcher, maxPages = MAX_PAGES, pageSize = PAGE) {
    this.query = query;
    this.fetchIds = fetchIds;
    this.maxPages = maxPages;
    this.pageSize = pageSize;
  }

  get total(): number | null {
    return this.complete ? this.ids.length : this.knownTotal;
  }

  /** True when the prefix reaches `id` (or the list's end), so what comes before `id` is known. */
  covers(id: number): boolean {
    const last = this.ids[this.ids.length - 1];
    return this.complete || (last !== undefined && last >= id);
  }

  /** Loads prefix pages until it reaches `id`, within the page budget. */
  async extendTo(id: number): Promise<void> {
    while (!this.covers(id) && this.pages < this.maxPages) {
      if (!this.loading) this.loading = this.loadPage();
      try {
        await this.loading;
      } finally {
        this.loading = null;
      }
    }
  }

  private async loadPage(): Promise<void> {
    const page = await this.fetchIds(this.query, this.cursor, this.pageSize);
    this.pages += 1;
    for (const id of page.ids) if (id > (this.ids[this.ids.length - 1] ?? -Infinity)) this.ids.push(id);
    this.cursor = page.nextAfter;
    if (page.nextAfter === null) this.complete = true;
  }

  /** The item after `id` in the list: from the prefix, or asked of the server (`fresh` always asks). */
  async next(id: number, fresh = false): Promise<number | null> {
    if (!fresh) {
      const i = lowerBound(this.ids, id + 1);
      if (i < this.ids.length) return this.ids[i] as number;
      if (this.complete) return null;
    }
    const page = await this.fetchIds(this.query, id, 1);
    return page.ids[0] ?? null;
  }

  /** Where `id` sits: previous, next, position and size, as far as they can be known cheaply. */
  async neighbours(id: number): Promise<Neighbours> {
    await this.extendTo(id);
    const i = lowerBound(this.ids, id);
    const inList = this.ids[i] === id;
    let prev: number | null = null;
    if (this.covers(id)) prev = i > 0 ? (this.ids[i - 1] as number) : null;
    else prev = this.cameFrom.get(id) ?? null;
    const next = await this.next(id);
    return { prev, next, index: inList ? i : null, total: this.total };
  }

  /** Remembers that the user went from `from` to `to` by "next" (so "previous" leads back). */
  stepped(from: number, to: number): void {
    if (to > from) this.cameFrom.set(to, from);
  }

  /** Drops an item that left the list (reviewed out of the queue, say). */
  forget(id: number): void {
    const i = lowerBound(this.ids, id);
    if (this.ids[i] !== id) return;
    this.ids.splice(i, 1);
    if (this.knownTotal !== null) this.knownTotal = Math.max(0, this.knownTotal - 1);
  }
}

/** Trails live across item pages (each item is a fresh page) for a few minutes, per project and list. */
const TTL_MS = 5 * 60_000;
const trails = new Map<string, { trail: QueueTrail; at: number }>();

export function trailFor(projectId: number, kind: QueueKind, fetchIds: IdFetcher, now = Date.now()): QueueTrail {
  const key = `${projectId}:${kind}`;
  const hit = trails.get(key);
  if (hit && now - hit.at < TTL_MS) return hit.trail;
  const trail = new QueueTrail(queueQuery(kind), fetchIds);
  trails.set(key, { trail, at: now });
  return trail;
}

/** Forgets the cached lists of a project (after review decisions changed what the queues hold). */
export function dropTrails(projectId: number, kinds: QueueKind[] = ["all", "review", "returned"]): void {
  for (const k of kinds) trails.delete(`${projectId}:${k}`);
}
