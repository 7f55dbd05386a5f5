// A project's counts (GET /projects/{pid}/stats). The route returns a plain JSON object, so its shape is
// written down here rather than generated.

import { api, unwrap } from "./api/client";

export interface Stats {
  project: string;
  items: { total: number; by_status: Record<string, number> };
  annotations: {
    total: number;
    by_kind: Record<string, number>;
    by_label: Record<string, number>;
    by_source: Record<string, number>;
    by_state: Record<string, number>;
  };
  /** Per label: accepted, proposed and rejected annotations, and distinct tracks. */
  labels: Record<string, { accepted: number; proposed: number; rejected: number; tracks: number }>;
}

export async function fetchStats(projectId: number): Promise<Stats> {
  const raw = await unwrap(api.GET("/api/v1/projects/{project_id}/stats", { params: { path: { project_id: projectId } } }));
  return raw as unknown as Stats;
}
