// Following a job until it ends: one GET every half second, the way the import and export dialogs show progress.

import { api, unwrap, type Job, type JobStatus } from "./api/client";
import { count } from "./plural";

export const FINISHED: ReadonlySet<JobStatus> = new Set(["succeeded", "failed", "cancelled"]);
export const POLL_MS = 500;

/** Calls ``onUpdate`` with each new state of the job and resolves with the finished job; rejects on abort. */
export async function followJob(jobId: number, onUpdate: (job: Job) => void, signal?: AbortSignal): Promise<Job> {
  for (;;) {
    if (signal?.aborted) throw new DOMException("stopped following the job", "AbortError");
    const job = await unwrap(api.GET("/api/v1/jobs/{job_id}", { params: { path: { job_id: jobId } }, signal }));
    onUpdate(job);
    if (FINISHED.has(job.status)) return job;
    await new Promise<void>((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The jobs page asks again soon while a job is queued or running (its progress moves), and slowly otherwise, so
 * that a job started elsewhere (another page or tab, the CLI, a colleague) shows up without a click on Refresh. */
export const JOBS_FAST_MS = 1000;
export const JOBS_SLOW_MS = 5000;

export function jobsPollDelay(jobs: readonly Pick<Job, "status">[]): number {
  return jobs.some((j) => !FINISHED.has(j.status)) ? JOBS_FAST_MS : JOBS_SLOW_MS;
}

export async function cancelJob(jobId: number): Promise<Job> {
  return unwrap(api.POST("/api/v1/jobs/{job_id}/cancel", { params: { path: { job_id: jobId } } }));
}

const KIND_LABELS: Readonly<Record<string, string>> = {
  import: "Import",
  export: "Export",
  propagate: "Tracking",
  prelabel: "Pre-labelling",
  train_model: "Model training",
  federated_train: "Federated training",
  evaluate_model: "Model evaluation",
  embed: "Embeddings",
  embedding_map: "Embedding map",
  train_embedder: "Encoder training",
};

/** What a job kind is called on the page: the known kinds by name, others with their underscores as spaces. */
export function jobKindLabel(kind: string): string {
  const known = KIND_LABELS[kind];
  if (known) return known;
  const words = kind.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A one-line summary of a finished job's result, for people (not the raw JSON). */
export function resultSummary(job: Job): string {
  const r = job.result ?? {};
  if (job.kind === "import") {
    const parts = [`${count(Number(r.items_added ?? 0), "item")} added`];
    if (Number(r.items_matched ?? 0) > 0) parts.push(`${Number(r.items_matched).toLocaleString()} matched`);
    parts.push(count(Number(r.annotations_added ?? 0), "annotation"));
    const present = Number(r.annotations_present ?? 0);
    if (present > 0) parts.push(`${present.toLocaleString()} already there, not added again`);
    const skipped = Number(r.skipped_count ?? 0);
    if (skipped > 0) parts.push(`${count(skipped, `invalid ${skippedWhat(r.skipped, skipped)}`)} skipped`);
    const added = Array.isArray(r.labels_added) ? r.labels_added.map(String) : [];
    if (added.length) parts.push(`new classes: ${added.slice(0, 8).join(", ")}${added.length > 8 ? ", …" : ""}`);
    return parts.join(", ");
  }
  if (job.kind === "export") {
    const size = Number(r.size ?? 0);
    const parts = [count(Number(r.items ?? 0), "item"), count(Number(r.annotations ?? 0), "annotation")];
    const left = skippedKinds(r.annotations_skipped);
    if (left) parts.push(`${left} left out (the format cannot hold them)`);
    return `${parts.join(", ")}, ${formatBytes(size)}`;
  }
  const n = (key: string): number => Number(r[key] ?? 0);
  if (job.kind === "prelabel") {
    const parts = [`${count(n("items"), "item")} pre-labelled`, `${n("accepted").toLocaleString()} accepted`];
    parts.push(`${n("proposed").toLocaleString()} proposed`, `${n("dropped").toLocaleString()} dropped`);
    if (n("errors_total") > 0) parts.push(count(n("errors_total"), "error"));
    return parts.join(", ");
  }
  if (job.kind === "train_model" || job.kind === "federated_train") {
    const m = (r.metrics ?? {}) as Record<string, unknown>;
    const acc = typeof m.accuracy === "number" ? `, accuracy ${(m.accuracy * 100).toFixed(1)} %` : "";
    const rounds = job.kind === "federated_train" && Array.isArray(r.rounds) ? ` after ${count(r.rounds.length, "round")}` : "";
    return `version ${String(r.version ?? "?")} ready${rounds}${acc}`;
  }
  if (job.kind === "embed") {
    const parts = [`${count(n("embedded"), "item")} embedded`, `${n("unchanged").toLocaleString()} unchanged`];
    if (n("removed") > 0) parts.push(`${n("removed").toLocaleString()} removed`);
    return `${parts.join(", ")} (${String(r.space ?? "")})`;
  }
  if (job.kind === "embedding_map") return `${count(n("points"), "item")} mapped (${String(r.method ?? "")})`;
  if (job.kind === "train_embedder") return `${String(r.kind ?? "")} encoder ${String(r.version ?? "")} trained`;
  return job.message;
}

/** The fields an import names when it skipped one annotation (its kind, label, geometry, ...; a COCO file's
 * `annotations[12].category_id`). */
const ANNOTATION_FIELD = /^(kind|label|geometry|attributes|score|state|source|frame|track_id|model_version)\b|^annotations\[/;
/** ... and when it skipped a whole item (a duplicate name, its meta). */
const ITEM_FIELD = /^(name|meta)\b/;

/** What an import's skipped records were, from the listed ones (`result.skipped`, the first 200 of
 * `result.skipped_count`): "annotation", "item", or "record" when they are mixed or not all listed. */
function skippedWhat(list: unknown, total: number): string {
  const entries = Array.isArray(list) ? list : [];
  if (entries.length === 0 || entries.length < total) return "record";
  const field = (e: unknown): string => String((e as { field?: unknown } | null)?.field ?? "");
  if (entries.every((e) => ANNOTATION_FIELD.test(field(e)))) return "annotation";
  if (entries.every((e) => ITEM_FIELD.test(field(e)))) return "item";
  return "record";
}

/** Annotation kinds as words, where "kind" + "s" is not one. */
const KIND_WORDS: Record<string, [string, string]> = {
  class: ["class label", "class labels"],
  keypoints: ["keypoint set", "keypoint sets"],
  track_box: ["track box", "track boxes"],
  box: ["box", "boxes"],
};

/** An export's `annotations_skipped` ({kind: n}) as "1,048 polygons and 10 masks"; "" when none. */
export function skippedKinds(skipped: unknown): string {
  if (skipped === null || typeof skipped !== "object") return "";
  const parts = Object.entries(skipped as Record<string, unknown>)
    .map(([kind, n]) => [kind, Number(n)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => {
      const [one, many] = KIND_WORDS[kind] ?? [kind, `${kind}s`];
      return count(n, one, many);
    });
  return parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}` : (parts[0] ?? "");
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** An import's source for the jobs table: its last two path parts, without an upload's hash folder
 * (`.../uploads/6720668c87fe.../notes.txt` is "notes.txt", `/data/coco128/labels` "coco128/labels"). */
export function sourceName(path: string): string {
  const parts = path.split("/").filter((x) => x !== "");
  const tail = parts.slice(-2);
  return (tail.length === 2 && /^[0-9a-f]{12,}$/.test(tail[0]!) ? tail.slice(1) : tail).join("/");
}
