// What the models page needs to know about training jobs, wherever they were started (the page, the API, the
// CLI, a retraining after N new labels): which are queued or running, and when the page must read the versions
// again. Also a version's failure in words. Pure; tested in training.test.ts.

import type { Job } from "../api/client";
import { FINISHED } from "../jobs";
import type { ModelVersion } from "./api";

export const TRAIN_KIND = "train_model";
/** How often the page asks for the project's jobs: soon while a training is queued or running, else slowly. */
export const WATCH_FAST_MS = 2000;
export const WATCH_SLOW_MS = 5000;
/** The newest jobs read per poll (a training is never far down the list while it runs). */
export const WATCH_JOBS = 25;

/** The project's trainings still queued or running, oldest first. */
export function activeTrainings(jobs: readonly Job[]): Job[] {
  return jobs.filter((j) => j.kind === TRAIN_KIND && !FINISHED.has(j.status)).sort((a, b) => a.id - b.id);
}

export interface WatchState {
  /** The newest finished training's id (0: none in view). A larger one means a training ended since. */
  finished: number;
  /** The trainings queued or running, as "id:status" (a change: one was queued, started or ended). */
  active: string;
}

export function watchState(jobs: readonly Job[]): WatchState {
  let finished = 0;
  for (const j of jobs) if (j.kind === TRAIN_KIND && FINISHED.has(j.status)) finished = Math.max(finished, j.id);
  return { finished, active: activeTrainings(jobs).map((j) => `${j.id}:${j.status}`).join(",") };
}

/**
 * What to read again after a poll: "all" (versions, settings, queue) when a training ended since the last poll,
 * "models" when one was queued or started, or a running one has no version row yet (the job registers it as it
 * starts), else "none". The first poll only takes note (the page has just read everything).
 */
export function watchChange(
  prev: WatchState | null,
  next: WatchState,
  active: readonly Pick<Job, "id" | "status">[],
  models: readonly Pick<ModelVersion, "job_id">[],
): "all" | "models" | "none" {
  const unlisted = active.some((j) => j.status === "running" && !models.some((m) => m.job_id === j.id));
  if (prev === null) return unlisted ? "models" : "none";
  if (next.finished > prev.finished) return "all";
  if (next.active !== prev.active || unlisted) return "models";
  return "none";
}

/** Why a version failed (the training job's error, kept in its metrics), or null. */
export function failureReason(m: Pick<ModelVersion, "status" | "metrics">): string | null {
  if (m.status !== "failed") return null;
  const e = m.metrics["error"];
  if (typeof e === "string" && e.trim() !== "") return e.trim();
  if (e && typeof e === "object" && "detail" in e && typeof e.detail === "string") return e.detail;
  return "no reason was recorded";
}

/** What the models page shows under the table for the open version (ModelList.svelte); tested in training.test.ts. */
export type ReportPane =
  | "report"
  | "training-failed"
  | "training"
  | "evaluating"
  | "evaluation-failed"
  | "unevaluated"
  | "error"
  | "loading";

export interface PaneState {
  model: Pick<ModelVersion, "id" | "status" | "metrics">;
  /** Its report is read and shown. */
  report: boolean;
  /** It has no report (none in its metrics, or the server answered 404). */
  unevaluated: boolean;
  /** Reading its report failed otherwise. */
  reportError: boolean;
  /** The evaluation last started from the page: whose, and how it stands ("refused": it could not be started). */
  evaluation: { modelId: number; status: Job["status"] | "refused" } | null;
}

/** Which pane: a failed or cancelled evaluation of the version says so (it never brings a report to load). */
export function reportPane(s: PaneState): ReportPane {
  if (s.report) return "report";
  if (failureReason(s.model) !== null) return "training-failed";
  if (s.model.status === "training") return "training";
  const ev = s.evaluation !== null && s.evaluation.modelId === s.model.id ? s.evaluation.status : null;
  if (ev === "queued" || ev === "running") return "evaluating";
  if (ev === "failed" || ev === "cancelled" || ev === "refused") return "evaluation-failed";
  if (s.unevaluated) return "unevaluated";
  if (s.reportError) return "error";
  return "loading";
}

/** Whether the version's training-label count means anything (a failed or running training recorded none). */
export function hasTrainingData(m: Pick<ModelVersion, "status" | "data">): boolean {
  return (m.status !== "failed" && m.status !== "training") || m.data.count > 0;
}

/** The self-contained HTML report's file name: "<project>-<model>@<version>-report.html", safe on every system. */
export function reportFileName(project: string, m: Pick<ModelVersion, "name" | "version">): string {
  const safe = (s: string, fallback: string): string => s.replace(/[^A-Za-z0-9._@-]+/g, "-").replace(/^[-.]+|-+$/g, "") || fallback;
  return `${safe(project, "project")}-${safe(m.name, "model")}@${m.version}-report.html`;
}
