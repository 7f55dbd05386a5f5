// Where a project's last search results were left, so that an item opened from them can walk them (previous /
// next go to the previous / next result, "← back to results" returns to the list) and the results page, when the
// user comes back, scrolls to where it was and shows the item last opened or walked to. One list per project, in
// the tab's sessionStorage (a reload keeps it), for half an hour. The results' own URL keeps the query, the filters,
// the space and how many results were shown (`k`), so the list comes back as it was.

import type { PlaceStore } from "../gridMemory";
import type { Neighbours } from "../review/queue";

export interface KeptResults {
  /** The results page's app path (with its `k`). */
  path: string;
  /** The results' item ids, best first. */
  ids: number[];
  /** The results page's scroll offset, in pixels. */
  scroll: number;
  /** The item last opened from the results, or walked to from one. */
  opened: number | null;
  at: number;
}

export const RESULTS_TTL_MS = 30 * 60_000;
const PREFIX = "labelhub.results:";
/** The query an item URL carries when it was opened from search results. */
export const FROM_RESULTS = "from=search";

function isKept(v: unknown): v is KeptResults {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.path === "string" && Array.isArray(r.ids) && r.ids.every((i) => typeof i === "number") &&
    typeof r.scroll === "number" && (r.opened === null || typeof r.opened === "number") && typeof r.at === "number";  // prettier-ignore
}

export class ResultsMemory {
  private readonly kept = new Map<number, KeptResults>();
  private readonly store: PlaceStore | null;
  private readonly ttl: number;

  constructor(store: PlaceStore | null = null, ttl = RESULTS_TTL_MS) {
    this.store = store;
    this.ttl = ttl;
  }

  /** The project's last results, unless too old. */
  recall(projectId: number, now = Date.now()): KeptResults | null {
    let hit = this.kept.get(projectId) ?? null;
    if (!hit && this.store) {
      try {
        const raw = this.store.getItem(PREFIX + projectId);
        const parsed: unknown = raw === null ? null : JSON.parse(raw);
        hit = isKept(parsed) ? parsed : null;
      } catch {
        hit = null; // storage denied or a value from elsewhere
      }
    }
    return hit && now - hit.at <= this.ttl ? hit : null;
  }

  /** Keeps the results a page shows (the item last opened stays when it is still among them). */
  save(projectId: number, path: string, ids: number[], scroll: number, now = Date.now()): void {
    const old = this.recall(projectId, now);
    const opened = old && old.path === path && old.opened !== null && ids.includes(old.opened) ? old.opened : null;
    this.put(projectId, { path, ids, scroll, opened, at: now });
  }

  /** The user is on an item of the results (opened from them, or walked to). */
  opened(projectId: number, itemId: number, now = Date.now()): void {
    const old = this.recall(projectId, now);
    if (old && old.ids.includes(itemId)) this.put(projectId, { ...old, opened: itemId, at: now });
  }

  private put(projectId: number, r: KeptResults): void {
    this.kept.set(projectId, r);
    try {
      this.store?.setItem(PREFIX + projectId, JSON.stringify(r));
    } catch {
      // storage full or denied: kept until a reload only
    }
  }
}

/** Previous and next result around an item, and its rank; null when the item is not among the results. */
export function resultNeighbours(kept: Pick<KeptResults, "ids">, itemId: number): Neighbours | null {
  const i = kept.ids.indexOf(itemId);
  if (i < 0) return null;
  return { prev: kept.ids[i - 1] ?? null, next: kept.ids[i + 1] ?? null, index: i, total: kept.ids.length };
}

/** The item page of a result, marked as opened from the results. */
export function resultItemPath(projectId: number, itemId: number): string {
  return `/projects/${projectId}/items/${itemId}?${FROM_RESULTS}`;
}

/** Whether an item URL's query says it was opened from search results. */
export function fromResults(query: URLSearchParams): boolean {
  return query.get("from") === "search";
}

function sessionStore(): PlaceStore | null {
  try {
    return typeof sessionStorage === "undefined" ? null : sessionStorage;
  } catch {
    return null;
  }
}

export const resultsMemory = new ResultsMemory(sessionStore());
