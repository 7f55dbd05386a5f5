// Where a failed job's error points: the file, line and field a server error names (a FormatError's context
// travels in the job's `error` beside its title and detail), as lines to show under the detail.

export interface JobError {
  title?: string;
  detail?: string;
  file?: string;
  line?: number;
  field?: string;
  problems?: { message?: string }[];
}

/** "File: /data/calls.csv, line 1", "Field: text_column": what the error names, or nothing. */
export function jobErrorWhere(err: JobError | null | undefined): string[] {
  if (!err) return [];
  const out: string[] = [];
  if (typeof err.file === "string" && err.file) out.push(typeof err.line === "number" ? `File: ${err.file}, line ${err.line}` : `File: ${err.file}`);
  if (typeof err.field === "string" && err.field) out.push(`Field: ${err.field}`);
  return out;
}
