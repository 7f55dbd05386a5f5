// The review calls of the API, through the generated client: a decision on an item, the ids of a list for
// navigation, the members (for names), a list's size (counted by the list API: `with_total`), and the review
// queue's "next" with what other reviewers hold (claims: two reviewers are sent different items).

import { api, unwrap, type Item, type Member } from "../api/client";
import { queueQuery, type IdFetcher, type QueueKind } from "./queue";

/** Approves an item, or rejects it with a comment for its annotator; returns the item as it is now. `version` is
 * the one the reviewer looked at: the server answers 409 when someone saved since (nobody approves unseen work). */
export function reviewItem(
  projectId: number,
  itemId: number,
  approve: boolean,
  comment: string,
  version: number,
): Promise<Item> {
  return unwrap(
    api.POST("/api/v1/projects/{project_id}/items/{item_id}/review", {
      params: { path: { project_id: projectId, item_id: itemId } },
      body: { approve, comment, version },
    }),
  );
}

/** Item ids of a list, a keyset page at a time, after or before an id (the API pages both ways). */
export function apiIds(projectId: number): IdFetcher {
  return async (query, cursor, limit) => {
    const at = "before" in cursor ? { before: cursor.before } : { after: cursor.after ?? undefined };
    const page = await unwrap(
      api.GET("/api/v1/projects/{project_id}/items", {
        params: { path: { project_id: projectId }, query: { ...query, ...at, limit } },
      }),
    );
    return page.items.map((it) => it.id);
  };
}

export function fetchMembers(projectId: number): Promise<Member[]> {
  return unwrap(api.GET("/api/v1/projects/{project_id}/members", { params: { path: { project_id: projectId } } }));
}

/** A list's size, counted by the list API (a fraction of a second on a big project; the project's counts, which
 * also hold it, take seconds there). */
export async function queueTotal(projectId: number, kind: QueueKind): Promise<number | null> {
  return (await fetchQueuePage(projectId, kind, null, 1, true)).total;
}

/** A page of a list's items (for the queue page's table), and with `withTotal` the size of the whole list. */
export async function fetchQueuePage(
  projectId: number,
  kind: QueueKind,
  after: number | null,
  limit: number,
  withTotal = false,
): Promise<{ items: Item[]; nextAfter: number | null; total: number | null }> {
  const query = { ...queueQuery(kind), after: after ?? undefined, limit, with_total: withTotal || undefined };
  const page = await unwrap(
    api.GET("/api/v1/projects/{project_id}/items", { params: { path: { project_id: projectId }, query } }),
  );
  return { items: page.items, nextAfter: page.next_after, total: withTotal ? (page.total ?? null) : null };
}

/** The review queue's "next" (`GET .../review/next`): the labelled item after `after` (wrapping to the start) that
 * no other reviewer holds, claimed for me so their "next" passes over it; null when none is left. */
export async function reviewNext(projectId: number, after: number | null): Promise<number | null> {
  const page = await unwrap(
    api.GET("/api/v1/projects/{project_id}/review/next", {
      params: { path: { project_id: projectId }, query: { after: after ?? undefined } },
    }),
  );
  return page.item_id ?? null;
}

/** Claims a labelled item opened from the review queue's list (`POST .../review/claim`), so the other reviewers'
 * "next" passes over it; false when another reviewer holds it (the decision is still mine to make). */
export async function reviewClaim(projectId: number, itemId: number): Promise<boolean> {
  const r = await unwrap(
    api.POST("/api/v1/projects/{project_id}/review/claim", {
      params: { path: { project_id: projectId } },
      body: { item_id: itemId },
    }),
  );
  return r.claimed;
}

/** The labelled items other reviewers are deciding now (they hold a claim on them), for the queue page. */
export async function reviewHeld(projectId: number): Promise<number[]> {
  const held = await unwrap(
    api.GET("/api/v1/projects/{project_id}/review/held", { params: { path: { project_id: projectId } } }),
  );
  return held.item_ids;
}
