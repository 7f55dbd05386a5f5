// The review calls of the API, through the generated client: a decision on an item, the ids of a list for
// navigation, the members (for names), and the project's counts (for a list's size).

import { api, unwrap, type Item, type Member } from "../api/client";
import { fetchStats } from "../stats";
import { queueQuery, type IdFetcher, type QueueKind } from "./queue";

/** Approves an item, or rejects it with a comment for its annotator; returns the item as it is now. */
export function reviewItem(projectId: number, itemId: number, approve: boolean, comment: string): Promise<Item> {
  return unwrap(
    api.POST("/api/v1/projects/{project_id}/items/{item_id}/review", {
      params: { path: { project_id: projectId, item_id: itemId } },
      body: { approve, comment },
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

/** A list's size from the project's counts; null for the returned list, which the counts do not split out. */
export async function queueTotal(projectId: number, kind: QueueKind): Promise<number | null> {
  if (kind === "returned") return null;
  const stats = await fetchStats(projectId);
  return kind === "review" ? (stats.items.by_status["labeled"] ?? 0) : stats.items.total;
}

/** A page of a list's items (for the queue page's table). */
export async function fetchQueuePage(
  projectId: number,
  kind: QueueKind,
  after: number | null,
  limit: number,
): Promise<{ items: Item[]; nextAfter: number | null }> {
  const page = await unwrap(
    api.GET("/api/v1/projects/{project_id}/items", {
      params: { path: { project_id: projectId }, query: { ...queueQuery(kind), after: after ?? undefined, limit } },
    }),
  );
  return { items: page.items, nextAfter: page.next_after };
}
