// Where "next" and "previous" lead on the item page: the list the user is working through. Three lists exist:
// every item of the project in id order, the review queue (labelled items), and the items a reviewer returned
// to me (rejected, labelled by me). The item URL names the list with `?queue=review` or `?queue=returned`.
//
// The API pages both ways by id (`after=<id>`, `before=<id>`), so the neighbours of an item at any depth cost two
// small requests, and nothing is loaded from the list's start. The position ("12 / 480") is shown only where
// it comes cheaply: the request for "previous" asks for a few items before the item, so near the start of a
// list it sees them all and knows the position; deeper, a position is known from one the user stepped from
// (next is +1, previous -1), else the item page asks the API once (`position_of`, lib/itemList) and places it.
// The list's size comes from the project's counts, or from reaching its end.

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

/** Whether an item belongs to a list as it is now (a reviewed item is no longer in the review queue). */
export function inQueue(
  kind: QueueKind,
  item: { status: ItemStatus; annotator_id?: number | null },
  me: number | null,
): boolean {
  if (kind === "review") return item.status === "labeled";
  if (kind === "returned") return item.status === "rejected" && me !== null && item.annotator_id === me;
  return true;
}

/** The path of an item in a list (the query keeps the list when moving on). */
export function itemPath(projectId: number, itemId: number, kind: QueueKind): string {
  return `/projects/${projectId}/items/${itemId}${kind === "all" ? "" : `?queue=${kind}`}`;
}

/** Where a page of ids starts: just after an id (null: the list's start), or just before one. */
export type Cursor = { after: number | null } | { before: number };

/** Fetches up to `limit` item ids of a list at a cursor, in id order. */
export type IdFetcher = (query: QueueQuery, cursor: Cursor, limit: number) => Promise<number[]>;

export interface Neighbours {
  prev: number | null;
  next: number | null;
  /** 0-based position of the item in the list, when it is known cheaply. */
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

/** How many ids the "previous" request asks for: an item among the first this many knows its position. */
export const LOOK_BACK = 50;

export class QueueTrail {
  readonly query: QueueQuery;
  /** The list's size from elsewhere (project counts). */
  knownTotal: number | null = null;
  /** Positions learned so far: id -> 0-based index. */
  protected readonly at = new Map<number, number>();
  /** The size seen by reaching the list's end with a known position. */
  private endTotal: number | null = null;
  /** The last step taken from an item of this list (for a step to an item gone since: `rerouted`). */
  private step: { from: number; to: number; forward: boolean } | null = null;
  private readonly fetchIds: IdFetcher;
  private readonly lookBack: number;

  constructor(query: QueueQuery, fetchIds: IdFetcher, lookBack = LOOK_BACK) {
    this.query = query;
    this.fetchIds = fetchIds;
    this.lookBack = lookBack;
  }

  get total(): number | null {
    return this.endTotal ?? this.knownTotal;
  }

  /** The position of `id` when it has been learned. */
  indexOf(id: number): number | null {
    return this.at.get(id) ?? null;
  }

  /** The item after `id` in the list, asked of the server (the list may have changed since). */
  async next(id: number): Promise<number | null> {
    const ids = await this.fetchIds(this.query, { after: id }, 1);
    return ids[0] ?? null;
  }

  /** The item before `id` in the list, asked of the server. */
  async prev(id: number): Promise<number | null> {
    const ids = await this.fetchIds(this.query, { before: id }, 1);
    return ids[ids.length - 1] ?? null;
  }

  /**
   * Where `id` sits: previous and next (two requests, at any depth), and its position and the list's size as
   * far as they are known cheaply. `member` says whether the item itself is in the list (when it is not, its
   * neighbours are still those around where it would be, but it has no position).
   */
  async neighbours(id: number, member = true): Promise<Neighbours> {
    const [before, after] = await Promise.all([
      this.fetchIds(this.query, { before: id }, this.lookBack),
      this.fetchIds(this.query, { after: id }, 1),
    ]);
    const prev = before[before.length - 1] ?? null;
    const next = after[0] ?? null;
    let index: number | null = null;
    if (member) {
      if (before.length < this.lookBack) {
        // The whole start of the list came back: every position in it is known.
        before.forEach((b, i) => this.at.set(b, i));
        index = before.length;
      } else {
        index = this.at.get(id) ?? null;
        if (index === null && prev !== null && this.at.has(prev)) index = (this.at.get(prev) as number) + 1;
      }
    }
    if (index !== null) {
      this.at.set(id, index);
      if (next !== null) this.at.set(next, index + 1);
      else this.endTotal = index + 1;
    }
    return { prev, next, index, total: this.total };
  }

  /** Remembers that the user went from `from` (at a known position) to its neighbour `to`, forward (next) or
   * back; in an id order the ids tell which. */
  stepped(from: number, to: number, forward = to > from): void {
    this.step = { from, to, forward };
    this.placeStep(from, to, forward);
  }

  /** Gives the item stepped to its position from the one stepped from. */
  protected placeStep(from: number, to: number, forward: boolean): void {
    const i = this.at.get(from);
    if (i !== undefined) this.at.set(to, forward ? i + 1 : i - 1);
  }

  /**
   * After the last step led to item `gone`, which is gone now (another user deleted it): drops it, and asks the
   * server again for the neighbour that way of the item the step came from. Undefined when the last step went
   * elsewhere; `to` is null when no item is left that way.
   */
  async rerouted(gone: number): Promise<{ from: number; to: number | null } | undefined> {
    const step = this.step;
    if (step === null || step.to !== gone) return undefined;
    this.step = null;
    this.forget(gone);
    const to = step.forward ? await this.next(step.from) : await this.prev(step.from);
    if (to !== null) this.stepped(step.from, to, step.forward);
    return { from: step.from, to };
  }

  /** Places item `id` at `index` (as the server counted it), with its neighbours `nav`; returns them placed. */
  placed(id: number, index: number, nav: Neighbours): Neighbours {
    this.at.set(id, index);
    if (nav.prev !== null) this.at.set(nav.prev, index - 1);
    if (nav.next !== null) this.at.set(nav.next, index + 1);
    else this.endTotal = index + 1;
    return { ...nav, index, total: this.total };
  }

  /** Drops an item that left the list (reviewed out of the queue, say): the ones after it move up by one. */
  forget(id: number): void {
    this.at.delete(id);
    for (const [k, v] of this.at) if (k > id) this.at.set(k, v - 1);
    if (this.knownTotal !== null) this.knownTotal = Math.max(0, this.knownTotal - 1);
    if (this.endTotal !== null) this.endTotal = Math.max(0, this.endTotal - 1);
  }
}

/** Trails live across item pages (each item is a fresh page) for a few minutes, a few at a time, per project and
 * list: a queue (`3:review`) or the grid's filter (`3?status=new`). */
const TTL_MS = 5 * 60_000;
const MAX_KEPT = 20;
const trails = new Map<string, { trail: QueueTrail; at: number }>();

/** The trail kept under `key`, or a new one from `make` (kept from now on; the oldest go beyond MAX_KEPT). */
export function keptTrail(key: string, make: () => QueueTrail, now = Date.now()): QueueTrail {
  const hit = trails.get(key);
  if (hit && now - hit.at < TTL_MS) return hit.trail;
  const trail = make();
  trails.delete(key);
  trails.set(key, { trail, at: now });
  for (const k of trails.keys()) if (trails.size > MAX_KEPT) trails.delete(k);
  return trail;
}

export function trailFor(projectId: number, kind: QueueKind, fetchIds: IdFetcher, now = Date.now()): QueueTrail {
  return keptTrail(`${projectId}:${kind}`, () => new QueueTrail(queueQuery(kind), fetchIds), now);
}

/** Forgets every kept trail whose key starts with `prefix` (`3?`: the grid's filtered lists of project 3). */
export function dropKeptTrails(prefix: string): void {
  for (const k of [...trails.keys()]) if (k.startsWith(prefix)) trails.delete(k);
}

/** Forgets the cached lists of a project (after review decisions changed what the queues hold). */
export function dropTrails(projectId: number, kinds: QueueKind[] = ["all", "review", "returned"]): void {
  for (const k of kinds) trails.delete(`${projectId}:${k}`);
}
