// What the import dialog and the Jobs page show of a job beyond its summary: a refused import's problems and a
// retried import's skipped records as readable lines (file base names, not the server's folders), and what an
// import read ("auto-detected: coco from multi_flat").

import type { Job } from "./api/client";
import { entryText, type ProblemEntry } from "./api/problem";
import { sourceName } from "./jobs";

/** How many problems or skipped records a list shows before "… and N more". */
export const LISTED = 20;

/** The last part of a path ("/srv/labelhub/uploads/ab12/multi_flat/annotations.json" is "annotations.json"). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter((x) => x !== "");
  return parts.at(-1) ?? path;
}

/** One problem or skipped record as a line: message (file base name, line N, field F). */
export function problemLine(e: ProblemEntry): string {
  return entryText({ ...e, file: e.file ? baseName(e.file) : null });
}

export interface Listed {
  lines: string[];
  /** How many are not shown ("… and N more"); 0 when all are. */
  more: number;
}

function entries(value: unknown): ProblemEntry[] {
  return Array.isArray(value) ? value.filter((x): x is ProblemEntry => x !== null && typeof x === "object") : [];
}

/** The first ``max`` of ``list`` as lines; ``total`` (when the server sent only part of the list) counts the rest. */
export function listProblems(list: unknown, total?: number, max = LISTED): Listed {
  const all = entries(list);
  const lines = all.slice(0, max).map(problemLine);
  return { lines, more: Math.max(0, Math.max(total ?? 0, all.length) - lines.length) };
}

/** A finished import's skipped records (``result.skipped``, at most 200 of ``result.skipped_count``). */
export function skippedRecords(job: Pick<Job, "kind" | "result">, max = LISTED): Listed & { count: number } {
  const r = job.kind === "import" ? (job.result ?? {}) : {};
  const list = entries(r.skipped);
  const count = Math.max(Number(r.skipped_count ?? 0) || 0, list.length);
  return { ...listProblems(list, count, max), count };
}

/** What a finished import says the person should know (``result.warnings``: e.g. no annotations were read although
 * an annotation file lies in the folder). */
export function jobWarnings(job: Pick<Job, "kind" | "result">): string[] {
  const w = job.kind === "import" ? job.result?.warnings : undefined;
  return Array.isArray(w) ? w.filter((x): x is string => typeof x === "string" && x !== "") : [];
}

/** What a job worked on, for the Jobs table: an import's format (the detected one too) and source, an export's
 * format and file name. */
export function jobWhat(job: Pick<Job, "kind" | "params" | "result">): string {
  const p = (job.params ?? {}) as { source?: string; format?: string; filename?: string };
  if (job.kind === "import") {
    const chosen = p.format && p.format !== "auto" ? p.format : null;
    const detected = typeof job.result?.format === "string" && job.result.format ? job.result.format : null;
    const fmt = chosen ?? (detected ? `auto-detected: ${detected}` : "auto-detected");
    return `${fmt} from ${sourceName(p.source ?? "")}`;
  }
  if (job.kind === "export") return `${p.format ?? ""} → ${p.filename ?? ""}`;
  return "";
}
