// The search API (issue 7), through the generated client: embeddings (state, compute), text and "more like
// this" search, duplicates, the embedding map and bulk item changes from a map selection.

import { api, unwrap, type Job, type Schemas } from "../api/client";
import { ApiError } from "../api/problem";

export type EmbeddingSpace = Schemas["EmbeddingSpacePublic"];
export type SearchHit = Schemas["SearchHitPublic"];
export type SearchResult = Schemas["SearchPublic"];
export type DuplicateMember = Schemas["DuplicateMemberPublic"];
export type DuplicateGroup = Schemas["DuplicateGroupPublic"];
export type MapPoint = Schemas["MapPointPublic"];
export type EmbeddingMap = Schemas["MapPublic"];
export type ItemStatusFilter = Schemas["ItemStatus"];

export { MAX_K } from "./state";

export interface Filters {
  label?: string | undefined;
  status?: ItemStatusFilter | undefined;
}

const path = (project_id: number) => ({ project_id });

export function listEmbeddings(pid: number): Promise<EmbeddingSpace[]> {
  return unwrap(api.GET("/api/v1/projects/{project_id}/embeddings", { params: { path: path(pid) } }));
}

export { mainSpace } from "./spaces";

/** The built-in encoders a project trains on its own data: `ssl` (images only) and `dual` (text and images). */
export type EncoderKind = "ssl" | "dual";

/** Train one of the project's own encoders; `bitext` (dual only) is a folder or file of translation pairs on the
 * server, inside its import roots. */
export function trainEncoder(pid: number, kind: EncoderKind, opts: { bitext?: string | undefined; epochs?: number } = {}): Promise<Job> {
  const body = { kind, ...(opts.bitext ? { bitext: opts.bitext } : {}), ...(opts.epochs ? { epochs: opts.epochs } : {}) };
  return unwrap(api.POST("/api/v1/projects/{project_id}/embedders/train", { params: { path: path(pid) }, body }));
}

/** Train the project's own self-supervised image encoder (`ssl`): the embedder of image projects without open_clip. */
export function trainImageEncoder(pid: number): Promise<Job> {
  return trainEncoder(pid, "ssl");
}

/** Compute (or update) the embeddings of a space; without one, of the project's default space. */
export function startEmbedding(pid: number, space?: string | undefined): Promise<Job> {
  const body = space ? { space } : {};
  return unwrap(api.POST("/api/v1/projects/{project_id}/embeddings", { params: { path: path(pid) }, body }));
}

export function searchText(
  pid: number, q: string, lang: string | undefined, f: Filters, k: number, space?: string | undefined, signal?: AbortSignal,
): Promise<SearchResult> {
  return unwrap(
    api.GET("/api/v1/projects/{project_id}/search", { params: { path: path(pid), query: { q, lang, k, space, ...f } }, signal }),
  );
}

export function searchSimilar(
  pid: number, itemId: number, f: Filters, k: number, space?: string | undefined, signal?: AbortSignal,
): Promise<SearchResult> {
  return unwrap(
    api.GET("/api/v1/projects/{project_id}/items/{item_id}/similar", {
      params: { path: { project_id: pid, item_id: itemId }, query: { k, space, ...f } },
      signal,
    }),
  );
}

/** The duplicates' answer, with the threshold the server suggests (newer servers send it). */
export type Duplicates = Schemas["DuplicatesPublic"] & { suggested_threshold?: number | null | undefined };

/** Duplicate groups; without a threshold the server chooses one (older servers: 0.95), without a space its default. */
export function findDuplicates(
  pid: number, threshold: number | null, space?: string | undefined, signal?: AbortSignal,
): Promise<Duplicates> {
  const query = { ...(threshold === null ? {} : { threshold }), ...(space ? { space } : {}) };
  return unwrap(api.GET("/api/v1/projects/{project_id}/duplicates", { params: { path: path(pid), query }, signal }));
}

export function resolveDuplicates(pid: number, keep: number, drop: number[]): Promise<Schemas["ResolvedPublic"]> {
  return unwrap(api.POST("/api/v1/projects/{project_id}/duplicates/resolve", { params: { path: path(pid) }, body: { keep, drop } }));
}

export function startMap(pid: number): Promise<Job> {
  return unwrap(api.POST("/api/v1/projects/{project_id}/map", { params: { path: path(pid) }, body: {} }));
}

/** The map, or null when none has been computed yet (the server answers 404). */
export async function getMap(pid: number): Promise<EmbeddingMap | null> {
  try {
    return await unwrap(api.GET("/api/v1/projects/{project_id}/map", { params: { path: path(pid) } }));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

export function bulkUpdate(pid: number, body: Schemas["BulkIn"]): Promise<Schemas["BulkPublic"]> {
  return unwrap(api.POST("/api/v1/projects/{project_id}/items/bulk", { params: { path: path(pid) }, body }));
}

/** Accept the open model proposals of items (reviewers; `min_score`: only those scoring at least it). */
export function acceptProposals(pid: number, body: Schemas["AcceptProposalsIn"]): Promise<Schemas["AcceptedProposalsPublic"]> {
  return unwrap(api.POST("/api/v1/projects/{project_id}/items/accept-proposals", { params: { path: path(pid) }, body }));
}

/** Delete items with everything labelled on them (managers; every id or none). */
export function deleteItems(pid: number, itemIds: number[]): Promise<Schemas["ItemsDeletedPublic"]> {
  return unwrap(api.POST("/api/v1/projects/{project_id}/items/delete", { params: { path: path(pid) }, body: { item_ids: itemIds } }));
}
