// The list the item page walks with next / previous, and counts its position in: the review queue or the items
// returned to me (`?queue=review|returned`), else the project's items under the grid's filter. The item URL
// carries that filter and the grid's sort (`#/projects/1/items/7?status=new&label=dog&order=-name`, as the grid
// links it), so next, previous, the position ("2 / 14") and the way back follow the list the grid showed, in the
// grid's order, after a reload and from a shared link too. The API pages every filter and order both ways from an
// item, so a filtered or sorted list costs what the whole project does: two small requests for the neighbours,
// one count for its size.

import { api, unwrap, type ItemStatus } from "./api/client";
import {
  filterFromQuery,
  filterToQuery,
  gridItemPath,
  gridPath,
  isFiltered,
  orderOf,
  pageCursor,
  type ItemFilter,
} from "./items.svelte";
import { apiCountedPages } from "./itemCount";
import { apiIds, queueTotal } from "./review/api";
import {
  dropKeptTrails,
  dropTrails,
  inQueue,
  itemPath,
  keptTrail,
  QueueTrail,
  queueOf,
  queueQuery,
  trailFor,
  type Cursor,
  type IdFetcher,
  type Neighbours,
  type QueueKind,
  type QueueQuery,
} from "./review/queue";

/** An item of a list as the item page's trail keeps it: a sorted list places a page by its anchor's name. */
export interface Listed {
  id: number;
  name: string;
}

/** A cursor and, in a name order, the name of the item it is at (when known). */
export type NamedCursor = Cursor & { name?: string };

/** Up to `limit` items matching a filter, at a cursor, in the filter's order. */
export type FilteredIds = (filter: ItemFilter, cursor: NamedCursor, limit: number) => Promise<Listed[]>;

/** Where a list's items and sizes come from (the API; tests give their own). */
export interface ListSources {
  queueIds: IdFetcher;
  queueTotal: (kind: QueueKind) => Promise<number | null>;
  filteredIds: FilteredIds;
  /** How many items match a filter in all. */
  filteredTotal: (filter: ItemFilter) => Promise<number | null>;
  /** How many items of a list (a filter, or a queue's query) come before item `id`: its 0-based position. */
  position?: (query: ItemFilter | QueueQuery, id: number) => Promise<number | null>;
}

/** The API query for a page of a filter's list at a cursor (with its anchor's name in a name order). */
export function listQuery(filter: ItemFilter, cursor: NamedCursor, limit: number) {
  return { ...filter, ...pageCursor(filter, cursor, cursor.name), limit };
}

export function apiSources(projectId: number): ListSources {
  const path = { project_id: projectId };
  return {
    queueIds: apiIds(projectId),
    queueTotal: (kind) => queueTotal(projectId, kind),
    filteredIds: async (filter, cursor, limit) => {
      const query = listQuery(filter, cursor, limit);
      const page = await unwrap(api.GET("/api/v1/projects/{project_id}/items", { params: { path, query } }));
      return page.items.map((it) => ({ id: it.id, name: it.name }));
    },
    filteredTotal: async (filter) => (await apiCountedPages(projectId)(filter, null, 1, true)).total,
    position: async (list, id) => {
      const query = { ...list, position_of: id, limit: 1 };
      return (await unwrap(api.GET("/api/v1/projects/{project_id}/items", { params: { path, query } }))).position ?? null;
    },
  };
}

/**
 * A list sorted by something else than ids (names): positions come only from the neighbours the server names,
 * never from comparing ids, as QueueTrail may for its id-ordered lists. `neighbours` already places both
 * neighbours of an item at a known position, so a step to either needs nothing more.
 *
 * It keeps the names of the items its pages brought and asks for a page at an item by its name too: in a name
 * order the API places the page by that name without looking the item up, so previous and next still come after
 * another user deleted the item (by its id alone the API has no place for it, a 422).
 */
export class SortedTrail extends QueueTrail {
  /** Names of the items seen so far, by id. */
  private readonly names: Map<number, string>;

  constructor(fetchItems: (cursor: NamedCursor, limit: number) => Promise<Listed[]>) {
    const names = new Map<number, string>();
    super({}, async (_query, cursor, limit) => {
      const id = "before" in cursor ? cursor.before : cursor.after;
      const name = id === null ? undefined : names.get(id);
      const items = await fetchItems(name === undefined ? cursor : { ...cursor, name }, limit);
      for (const it of items) names.set(it.id, it.name);
      return items.map((it) => it.id);
    });
    this.names = names;
  }

  /** The name of item `id`, when a page has brought it. */
  nameOf(id: number): string | null {
    return this.names.get(id) ?? null;
  }

  override async neighbours(id: number, member = true): Promise<Neighbours> {
    const nav = await super.neighbours(id, member);
    if (nav.index !== null && nav.prev !== null) this.at.set(nav.prev, nav.index - 1);
    return nav;
  }

  // Positions come from the server's neighbours only (ids say nothing of a name order).
  protected override placeStep(): void {}

  override forget(id: number): void {
    const gone = this.at.get(id);
    const kept = [...this.at].filter(([k]) => k !== id);
    super.forget(id); // the list's size
    this.at.clear();
    // Only the items after it in the list move up; without its place nobody's is certain any more.
    if (gone !== undefined) for (const [k, v] of kept) this.at.set(k, v > gone ? v - 1 : v);
  }
}

function filteredTrail(projectId: number, filter: ItemFilter, ids: FilteredIds, now: number): QueueTrail {
  const fetch: IdFetcher = async (_query, cursor, limit) => (await ids(filter, cursor, limit)).map((it) => it.id);
  const make = () =>
    orderOf(filter) === "id" ? new QueueTrail({}, fetch) : new SortedTrail((cursor, limit) => ids(filter, cursor, limit));
  return keptTrail(`${projectId}?${filterToQuery(filter)}`, make, now);
}

/** Forgets the cached filtered lists of a project. */
export function dropFilteredTrails(projectId: number): void {
  dropKeptTrails(`${projectId}?`);
}

type Standing = { status: ItemStatus; annotator_id?: number | null };

export interface ItemList {
  readonly queue: QueueKind;
  /** The grid's filter (and sort) the list is of: {} for a queue and for the whole project in id order. */
  readonly filter: ItemFilter;
  readonly filtered: boolean;
  readonly trail: QueueTrail;
  /** The project's grid as it was left (its filter still applied). */
  readonly gridPath: string;
  /** The list's own page: the queue's, else the grid. */
  readonly listPath: string;
  /** What the header calls the list its position is in; null where the header shows no position. */
  readonly noun: string | null;
  /** The path of another item of the same list. */
  path(itemId: number): string;
  /** Whether an item is in the list as it is now, as far as the page can tell (status; not its labels). */
  holds(item: Standing, me: number | null): boolean;
  /** Previous, next, the position and the list's size (the size of a filtered list counted afresh). */
  neighbours(itemId: number, member: boolean): Promise<Neighbours>;
  /** After a review decision on an item: drop it from the lists it left. */
  decided(itemId: number, wasQueued: boolean, now: Standing, me: number | null): void;
}

/** The list named by an item URL's query. */
export function itemList(projectId: number, query: URLSearchParams, sources = apiSources(projectId), now = Date.now()): ItemList {
  const queue = queueOf(query);
  const filter = queue === "all" ? filterFromQuery(query) : {};
  const filtered = isFiltered(filter);
  // A sorted list of the whole project is walked like a filtered one (its query carries the order), and sized
  // like the whole project.
  const own = filtered || orderOf(filter) !== "id";
  const trail = own ? filteredTrail(projectId, filter, sources.filteredIds, now) : trailFor(projectId, queue, sources.queueIds, now);
  const grid = gridPath(projectId, filter);
  const holds = (item: Standing, me: number | null): boolean =>
    queue !== "all" ? inQueue(queue, item, me) : filter.status === undefined || item.status === filter.status;
  return {
    queue,
    filter,
    filtered,
    trail,
    gridPath: grid,
    listPath: queue === "all" ? grid : `/projects/${projectId}/review${queue === "returned" ? "?list=returned" : ""}`,
    noun: queue === "review" ? "queue" : queue === "returned" ? "list" : filtered ? "filtered list" : null,
    path: (itemId) => (queue === "all" ? gridItemPath(projectId, itemId, filter) : itemPath(projectId, itemId, queue)),
    holds,
    async neighbours(itemId, member) {
      // Deeper than the trail's look back, and not stepped to from a placed item: the server counts the place.
      const placed = async (): Promise<Neighbours> => {
        const nav = await trail.neighbours(itemId, member);
        if (!member || nav.index !== null || !sources.position) return nav;
        const at = await sources.position(own ? filter : queueQuery(queue), itemId).catch(() => null);
        return at === null ? nav : trail.placed(itemId, at, nav);
      };
      if (filtered) {
        // Counted each time: a filtered list changes as its items are labelled (a status filter, say).
        const [nav, total] = await Promise.all([placed(), sources.filteredTotal(filter)]);
        trail.knownTotal = total;
        return { ...nav, total };
      }
      const nav = await placed();
      if (nav.index === null || nav.total !== null || trail.knownTotal !== null || queue === "returned") return nav;
      trail.knownTotal = await sources.queueTotal(queue);
      return { ...nav, total: trail.total };
    },
    decided(itemId, wasQueued, item, me) {
      // A decision takes a labelled item out of the review queue (the ones after it move up one place).
      if (wasQueued) trailFor(projectId, "review", sources.queueIds).forget(itemId);
      dropTrails(projectId, ["returned"]);
      if (filtered && !holds(item, me)) trail.forget(itemId);
    },
  };
}
