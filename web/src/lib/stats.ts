// A project's counts (GET /projects/{pid}/stats). The route returns a plain JSON object, so its shape is
// written down here rather than generated.

import { api, unwrap } from "./api/client";
import { ago } from "./status";

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
  /** When they were counted (ISO, UTC). */
  counted_at?: string;
  /** Counted by an earlier call: a big project's counts are kept until it changes. */
  cached?: boolean;
}

/** The project's counts; `fresh` counts again rather than take the ones the server kept. */
export async function fetchStats(projectId: number, fresh = false): Promise<Stats> {
  const raw = await unwrap(
    api.GET("/api/v1/projects/{project_id}/stats", {
      params: { path: { project_id: projectId }, query: fresh ? { fresh: true } : undefined },
    }),
  );
  return raw as unknown as Stats;
}

/** How long ago kept counts were counted: "counted just now", "counted 40 s ago", "counted 3 min ago". */
export function countedAgo(countedAt: string | undefined, now = Date.now()): string {
  const t = countedAt ? Date.parse(countedAt) : Number.NaN;
  if (Number.isNaN(t)) return "counted earlier";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 5) return "counted just now";
  if (s < 60) return `counted ${s} s ago`;
  if (s < 3600) return `counted ${Math.floor(s / 60)} min ago`;
  return `counted ${ago(countedAt, now)}`;
}
