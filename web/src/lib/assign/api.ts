// The assignment routes through the typed client: assign items, the team's workload, and the project's members
// (for the grid's assignee filter, read once per project and page visit).

import { api, unwrap, type Member } from "../api/client";
import type { AssignBody, Assigned, Workload } from "./assign";

const path = (project_id: number) => ({ params: { path: { project_id } } });

export function assignItems(projectId: number, body: AssignBody): Promise<Assigned> {
  return unwrap(api.POST("/api/v1/projects/{project_id}/items/assign", { ...path(projectId), body }));
}

export function fetchWorkload(projectId: number): Promise<Workload> {
  return unwrap(api.GET("/api/v1/projects/{project_id}/workload", path(projectId)));
}

const members = new Map<number, Promise<Member[]>>();

/** The project's members (any member may read them); one request per project until `forgetMembers`. */
export function projectMembers(projectId: number): Promise<Member[]> {
  let found = members.get(projectId);
  if (!found) {
    found = unwrap(api.GET("/api/v1/projects/{project_id}/members", path(projectId)));
    found.catch(() => members.delete(projectId));
    members.set(projectId, found);
  }
  return found;
}

export function forgetMembers(projectId: number): void {
  members.delete(projectId);
}
