// The consensus routes through the typed client: put items under consensus, an item's replicas, merging early,
// the project's agreement, and submitting one's own labels (the ordinary annotation routes, per person).

import { api, unwrap, type Schemas } from "../api/client";

export type ConsensusSet = Schemas["ConsensusSetPublic"];
export type ItemConsensus = Schemas["ItemConsensusPublic"];
export type Agreement = Schemas["AgreementPublic"];
export type ConsensusState = Schemas["ConsensusStatePublic"];

const path = (project_id: number) => ({ params: { path: { project_id } } });
const itemPath = (project_id: number, item_id: number) => ({ params: { path: { project_id, item_id } } });

export function setOverlap(projectId: number, itemIds: number[], overlap: number): Promise<ConsensusSet> {
  return unwrap(api.POST("/api/v1/projects/{project_id}/consensus", { ...path(projectId), body: { item_ids: itemIds, overlap } }));
}

export function fetchItemConsensus(projectId: number, itemId: number): Promise<ItemConsensus> {
  return unwrap(api.GET("/api/v1/projects/{project_id}/items/{item_id}/consensus", itemPath(projectId, itemId)));
}

export function mergeNow(projectId: number, itemId: number): Promise<ItemConsensus> {
  return unwrap(api.POST("/api/v1/projects/{project_id}/items/{item_id}/consensus/merge", itemPath(projectId, itemId)));
}

export function fetchAgreement(projectId: number): Promise<Agreement> {
  return unwrap(api.GET("/api/v1/projects/{project_id}/agreement", path(projectId)));
}

/** Submit (or, `done` false, take back) one's own labels of an item under consensus: what one saved, as it is. */
export async function submitOwn(projectId: number, itemId: number, done: boolean): Promise<Schemas["AnnotationsPublic"]> {
  const p = itemPath(projectId, itemId);
  const own = await unwrap(api.GET("/api/v1/projects/{project_id}/items/{item_id}/annotations", p));
  const annotations = own.annotations.map((a) => ({ id: a.id, kind: a.kind, label: a.label, geometry: a.geometry, attributes: a.attributes }));
  return unwrap(
    api.PUT("/api/v1/projects/{project_id}/items/{item_id}/annotations", {
      ...p,
      body: { version: own.version, annotations, status: done ? "labeled" : "in_progress" },
    }),
  );
}
