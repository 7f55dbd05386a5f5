// Badge tones and words for item and job statuses, shared by the grid, the filters and the jobs page.

import type { ItemStatus, JobStatus } from "./api/client";

export type Tone = "" | "accent" | "success" | "danger" | "warning" | "info";

export const ITEM_STATUSES: ItemStatus[] = ["new", "in_progress", "labeled", "reviewed", "rejected"];

export const ITEM_STATUS: Record<ItemStatus, { text: string; tone: Tone; color: string }> = {
  new: { text: "New", tone: "", color: "#98a2b3" },
  in_progress: { text: "In progress", tone: "info", color: "#1d6fd6" },
  labeled: { text: "Labelled", tone: "accent", color: "#4f46e5" },
  reviewed: { text: "Reviewed", tone: "success", color: "#12805c" },
  rejected: { text: "Rejected", tone: "danger", color: "#d92d20" },
};

export const JOB_STATUS: Record<JobStatus, { text: string; tone: Tone }> = {
  queued: { text: "Queued", tone: "" },
  running: { text: "Running", tone: "info" },
  succeeded: { text: "Succeeded", tone: "success" },
  failed: { text: "Failed", tone: "danger" },
  cancelled: { text: "Cancelled", tone: "warning" },
};

/** "3 min ago", "2 h ago", or a date: short enough for a table cell. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

/** A duration between two timestamps: "0.8 s", "12 s", "3 min 5 s". */
export function duration(from: string | null | undefined, to: string | null | undefined): string {
  if (!from) return "";
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  if (!Number.isFinite(ms) || ms < 0) return "";
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}
