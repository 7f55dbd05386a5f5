// Problem+json (RFC 9457) errors from the API, turned into messages a person can act on.

/** One entry of a refused import's `problems` list, or of a 422's `errors` list. */
export interface ProblemEntry {
  message?: string;
  file?: string | null;
  line?: number | null;
  field?: string | null;
}

/** The body of every error the server sends (`application/problem+json`). */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  field?: string;
  file?: string;
  line?: number;
  current_version?: number;
  problems?: ProblemEntry[];
  errors?: ProblemEntry[];
  [extra: string]: unknown;
}

/** An API call that failed: the HTTP status (0 when the server could not be reached) and its problem body. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }
}

/** Returns the problem body for a parsed error payload; plain-text or empty bodies become a detail string. */
export function toProblem(status: number, body: unknown): Problem {
  if (body !== null && typeof body === "object" && !Array.isArray(body)) {
    const p = body as Problem;
    // FastAPI's own {"detail": ...} (outside our handlers) is folded into the same shape.
    if (typeof p.detail !== "string" && p.detail !== undefined) return { ...p, detail: JSON.stringify(p.detail) };
    return p;
  }
  if (typeof body === "string" && body.trim() !== "") return { status, detail: body.trim().slice(0, 500) };
  return { status };
}

const TITLES: Record<number, string> = {
  0: "Cannot reach the server",
  400: "Bad request",
  401: "Not logged in",
  403: "Not allowed",
  404: "Not found",
  409: "Conflict",
  413: "Too large",
  422: "Invalid input",
  500: "Server error",
  502: "Server unavailable",
  503: "Server unavailable",
};

/** What a person reads: a title, the detail, and lines that say where the problem is (field, file, line). */
export interface Described {
  title: string;
  detail: string;
  where: string[];
}

const MAX_LISTED = 5;

/** One listed problem as a line: its message, then where (file, line, field). */
export function entryText(e: ProblemEntry): string {
  const at = [e.file, e.line != null ? `line ${e.line}` : null, e.field ? `field ${e.field}` : null]
    .filter((x): x is string => Boolean(x))
    .join(", ");
  return at ? `${e.message ?? ""} (${at})` : (e.message ?? "");
}

/** Describes any thrown value: an ApiError's problem, or an unexpected error (which is a bug; say so). */
export function describe(err: unknown): Described {
  if (err instanceof ApiError) {
    const p = err.problem;
    const where: string[] = [];
    if (p.field) where.push(`Field: ${p.field}`);
    if (p.file) where.push(p.line != null ? `File: ${p.file}, line ${p.line}` : `File: ${p.file}`);
    const list = p.problems ?? (p.errors && p.errors.length > 1 ? p.errors : []);
    for (const e of list.slice(0, MAX_LISTED)) where.push(entryText(e));
    if (list.length > MAX_LISTED) where.push(`… and ${list.length - MAX_LISTED} more`);
    let detail = p.detail ?? "";
    if (err.status === 0) detail = detail || "Check your connection and that `labelhub serve` is running.";
    if (err.status === 401 && !detail) detail = "Your session has ended; log in again.";
    return { title: p.title ?? TITLES[err.status] ?? `Error ${err.status}`, detail, where };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { title: "Something went wrong in the page", detail: message, where: [] };
}
