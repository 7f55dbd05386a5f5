// How many items a list holds, told honestly and early. The project's counts (GET .../stats) are the slow request
// of a big project (seconds), so a list's size does not wait for them: the list API counts the items matching any
// filter when asked (`with_total=true`), and the grid asks beside its first page (a request of its own, so the
// page paints without waiting for it). Until it is known the text says "…", never a number that is not true; after
// a failed count it says what is certain ("200+ items").

import { api, unwrap } from "./api/client";
import { gridItem, pageCursor, type GridItem, type ItemFilter, type ItemPage, type PageFetcher } from "./items.svelte";
import { count } from "./plural";

/**
 * What is known of a list's size. A known size the server kept from an earlier count (a big list's total is kept
 * until the project's next write, as the project's counts are) says when it was counted: `countedAt` (ISO, UTC).
 */
export type Count = { state: "loading" } | { state: "known"; n: number; countedAt?: string } | { state: "failed" };

export const LOADING: Count = { state: "loading" };

/** The number a Count holds, or null while it is not known. */
export function known(c: Count): number | null {
  return c.state === "known" ? c.n : null;
}

/**
 * Only the newest of a run of requests may tell its answer: a slow answer for a filter the user has already left
 * must not overwrite the count of the one now shown.
 */
export class Latest {
  private seq = 0;

  /** Starts a request; the function returned tells whether it is still the newest one. */
  begin(): () => boolean {
    const mine = ++this.seq;
    return () => mine === this.seq;
  }
}

export interface CountShown {
  /** The list's size, as counted. */
  count: Count;
  /** Items loaded so far, and whether that is all of them (then `loaded` is the size, counted or not). */
  loaded: number;
  done: boolean;
  /** A filtered list says "match": "3 items match", "1 item matches". */
  filtered: boolean;
}

/** The words for a list's size: "66,982 items match", "100,128 items", "… items match" while counting. */
export function countText({ count: c, loaded, done, filtered }: CountShown): string {
  const verb = (n: number) => (filtered ? (n === 1 ? " matches" : " match") : "");
  // All loaded: what the list shows is its size, and the freshest one.
  if (done) return count(loaded, "item") + verb(loaded);
  if (c.state === "known") return count(c.n, "item") + verb(c.n);
  // Not counted: a lower bound once some are loaded, else nothing that could be mistaken for a number.
  if (c.state === "failed" && loaded > 0) return `${loaded.toLocaleString("en-US")}+ items${verb(2)}`;
  return `… items${verb(2)}`;
}

/** One page of a list with, when asked, the count of all its items. */
export interface CountedPage extends ItemPage {
  total: number | null;
  /** When the total was counted (ISO, UTC), and whether the server kept it from an earlier call. */
  countedAt?: string | null;
  cached?: boolean;
}

/** Whether a page brings the list's total: `"fresh"` has it counted again whatever the server kept. */
export type TotalWanted = boolean | "fresh";

export type CountedPageFetcher = (
  filter: ItemFilter,
  after: number | null,
  limit: number,
  withTotal: TotalWanted,
  signal?: AbortSignal,
  afterName?: string,
) => Promise<CountedPage>;

/**
 * A grid's page fetcher that counts the items of each filter beside its first page and reports the count
 * (loading, then known or failed) for that filter. The count is its own request (one item, `with_total`), sent
 * with the page and not waited for: counting every item of a big project is the slow part (PostgreSQL, 10M items:
 * a page 27 ms, page and count 569 ms), so the grid paints first and the count comes in after it. An answer that
 * is no longer the newest first page's (the filter changed, its request was aborted) is not reported.
 */
export function countedPages(
  fetchPage: CountedPageFetcher,
  report: (c: Count, filter: ItemFilter) => void,
): PageFetcher {
  const latest = new Latest();
  return async (filter, after, limit, signal, afterName) => {
    if (after !== null) return fetchPage(filter, after, limit, false, signal, afterName);
    const current = latest.begin();
    const tell = (c: Count) => {
      if (current() && !signal.aborted) report(c, filter);
    };
    tell(LOADING);
    const page = fetchPage(filter, null, limit, false, signal);
    void fetchPage(filter, null, 1, true, signal).then(
      (counted) => tell(pageCount(counted)),
      () => tell({ state: "failed" }),
    );
    return page;
  };
}

/** The size a counted page tells: known (with when, if the server kept it from an earlier count), or failed. */
export function pageCount(page: CountedPage): Count {
  if (page.total === null) return { state: "failed" };
  return page.cached && page.countedAt ? { state: "known", n: page.total, countedAt: page.countedAt } : { state: "known", n: page.total };
}

/** When a kept size was counted (ISO), or null: a size counted just now, or not known, says nothing of its age. */
export function keptAt(c: Count): string | null {
  return c.state === "known" ? (c.countedAt ?? null) : null;
}

/** Counts a filter's items again whatever the server kept (`fresh_total`): the "Recount" under a kept size. */
export async function recount(fetchPage: CountedPageFetcher, filter: ItemFilter, signal?: AbortSignal): Promise<Count> {
  return pageCount(await fetchPage(filter, null, 1, "fresh", signal));
}

/** Pages of a project's items from the API, counted on request. */
export function apiCountedPages(projectId: number): CountedPageFetcher {
  return async (filter, after, limit, withTotal, signal, afterName) => {
    const totals = withTotal === "fresh" ? { with_total: true, fresh_total: true } : { with_total: withTotal || undefined };
    const query = { ...filter, ...pageCursor(filter, { after }, afterName), limit, ...totals };
    const page = await unwrap(
      api.GET("/api/v1/projects/{project_id}/items", { params: { path: { project_id: projectId }, query }, signal }),
    );
    const items = page.items.map(gridItem);
    if (!withTotal) return { items, nextAfter: page.next_after, total: null };
    return { items, nextAfter: page.next_after, total: page.total ?? null, countedAt: page.total_counted_at ?? null, cached: page.total_cached ?? false };
  };
}
