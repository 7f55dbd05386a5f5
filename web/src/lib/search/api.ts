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

/** The server's largest k (services/search.py MAX_K). */
export const MAX_K = 200;

export interface Filters {
  label?: string | undefined;
  status?: ItemStatusFilter | undefined;
}

const path = (project_id: number) => ({ project_id });

export function listEmbeddings(pid: number): Promise<EmbeddingSpace[]> {
  return unwrap(api.GET("/api/v1/projects/{project_id}/embeddings", { params: { path: path(pid) } }));
}

/** The space searches use: the project's default, else the one with the most vectors. */
export function mainSpace(spaces: readonly EmbeddingSpace[]): EmbeddingSpace | null {
  return spaces.find((s) => s.default) ?? [...spaces].sort((a, b) => b.count - a.count)[0] ?? null;
}

/** Train the project's own self-supervised image encoder (`ssl`): the embedder of image projects without open_clip. */
export function trainImageEncoder(pid: number): Promise<Job> {
  return unwrap(api.POST("/api/v1/projects/{project_id}/embedders/train", { params: { path: path(pid) }, body: { kind: "ssl" } }));
}

export function startEmbedding(pid: number): Promise<Job> {
  return unwrap(api.POST("/api/v1/projects/{project_id}/embeddings", { params: { path: path(pid) }, body: {} }));
}

export function searchText(pid: number, q: string, lang: string | undefined, f: Filters, k: number, signal?: AbortSignal): Promise<SearchResult> {
  return unwrap(
    api.GET("/api/v1/projects/{project_id}/search", { params: { path: path(pid), query: { q, lang, k, ...f } }, signal }),
  );
}

export function searchSimilar(pid: number, itemId: number, f: Filters, k: number, signal?: AbortSignal): Promise<SearchResult> {
  return unwrap(
    api.GET("/api/v1/projects/{project_id}/items/{item_id}/similar", {
      params: { path: { project_id: pid, item_id: itemId }, query: { k, ...f } },
      signal,
    }),
  );
}

export function findDuplicates(pid: number, threshold: number, signal?: AbortSignal): Promise<Schemas["DuplicatesPublic"]> {
  return unwrap(api.GET("/api/v1/projects/{project_id}/duplicates", { params: { path: path(pid), query: { threshold } }, signal }));
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
