// Federated training on the models page: the coordinator routes (sites, check, train, the federated versions'
// rounds) through the generated client, and the pure parts of the panel (the token as shown, a check's words, the
// form's field errors, a round read from the job's progress, the per-round accuracy chart), tested in
// federated.test.ts.

import { api, unwrap, type Job, type Schemas } from "../api/client";
import { ApiError } from "../api/problem";

export type Site = Schemas["SitePublic"];
export type SiteCheck = Schemas["SiteCheckPublic"];
export type FederatedVersion = Schemas["FederatedVersionPublic"];
export type FederatedTrain = Schemas["FederatedTrainIn"];
export type OnFailure = NonNullable<FederatedTrain["on_failure"]>;

const project = (pid: number) => ({ params: { path: { project_id: pid } } });

export const listSites = (pid: number): Promise<Site[]> =>
  unwrap(api.GET("/api/v1/projects/{project_id}/federated/sites", project(pid)));

export const addSite = (pid: number, body: { name: string; url: string; token: string }): Promise<Site> =>
  unwrap(api.POST("/api/v1/projects/{project_id}/federated/sites", { ...project(pid), body }));

export const removeSite = (pid: number, siteId: number): Promise<unknown> =>
  unwrap(api.DELETE("/api/v1/projects/{project_id}/federated/sites/{site_id}", { params: { path: { project_id: pid, site_id: siteId } } }));

export type SiteChange = Schemas["SiteUpdate"];

/** What an edit form sends: only the fields that differ from the site (trimmed); a token only when one is typed
 * (empty keeps the current one). Null when nothing changed. */
export function siteChange(site: Site, form: { name: string; url: string; token: string }): SiteChange | null {
  const body: SiteChange = {};
  if (form.name.trim() !== site.name) body.name = form.name.trim();
  if (form.url.trim() !== site.url) body.url = form.url.trim();
  if (form.token.trim() !== "") body.token = form.token.trim();
  return Object.keys(body).length > 0 ? body : null;
}

export const updateSite = (pid: number, siteId: number, body: SiteChange): Promise<Site> =>
  unwrap(api.PATCH("/api/v1/projects/{project_id}/federated/sites/{site_id}", { params: { path: { project_id: pid, site_id: siteId } }, body }));

export const checkSites = (pid: number): Promise<SiteCheck[]> =>
  unwrap(api.POST("/api/v1/projects/{project_id}/federated/sites/check", project(pid)));

export const startFederated = (pid: number, body: FederatedTrain): Promise<Job> =>
  unwrap(api.POST("/api/v1/projects/{project_id}/federated/train", { ...project(pid), body }));

export const listFederatedVersions = (pid: number): Promise<FederatedVersion[]> =>
  unwrap(api.GET("/api/v1/projects/{project_id}/federated/versions", project(pid)));

export const FEDERATED_KIND = "federated_train";

/** "1234" -> "••••1234": a site's token as the list shows it (the server keeps the rest). */
export function tokenShown(hint: string): string {
  return `••••${hint}`;
}

/** A check's outcome in a word or two, and its tone for the badge. */
export function checkBadge(status: SiteCheck["status"]): { text: string; tone: "success" | "warning" | "danger" } {
  const words: Record<SiteCheck["status"], string> = {
    ok: "ready",
    refused: "address not allowed",
    unreachable: "unreachable",
    token_refused: "token refused",
    no_access: "no access",
    not_text: "not a text project",
    classes_differ: "classes differ",
    role: "not a manager there",
    error: "error",
  };
  return { text: words[status], tone: status === "ok" ? "success" : status === "classes_differ" || status === "role" ? "warning" : "danger" };
}

export type SiteField = "name" | "url" | "token";

/** The add-site form's field errors from a 422/409 problem (its `field`, or each entry of `errors`); what names no
 * field of the form comes back under `form`. */
export function siteFieldErrors(err: unknown): Partial<Record<SiteField | "form", string>> {
  if (!(err instanceof ApiError)) return { form: err instanceof Error ? err.message : String(err) };
  const out: Partial<Record<SiteField | "form", string>> = {};
  const known = (f: unknown): f is SiteField => f === "name" || f === "url" || f === "token";
  for (const e of err.problem.errors ?? []) {
    if (known(e.field) && out[e.field] === undefined) out[e.field] = e.message ?? "invalid";
  }
  const f = err.problem.field;
  if (known(f) && out[f] === undefined) out[f] = err.problem.detail ?? "invalid";
  if (Object.keys(out).length === 0) out.form = err.problem.detail ?? err.message;
  return out;
}

export interface RoundPoint {
  round: number;
  accuracy: number | null;
}

const ROUND_LINE = /^round (\d+) of (\d+): (\d+) sites?(?: \((\d+) skipped\))?(?:, accuracy ([0-9.]+))?/;

/** The job's progress message "round 3 of 20: 4 sites, accuracy 0.710" as numbers (null for any other message). */
export function parseRoundLine(message: string): { round: number; rounds: number; sites: number; skipped: number; accuracy: number | null } | null {
  const m = ROUND_LINE.exec(message);
  if (!m) return null;
  return { round: Number(m[1]), rounds: Number(m[2]), sites: Number(m[3]), skipped: Number(m[4] ?? 0), accuracy: m[5] === undefined ? null : Number(m[5]) };
}

/** Adds the round a progress message names to the points seen so far (once per round, in round order). A
 * message that names no finished round ("sending to 2 sites") leaves them as they are. */
export function withRound(points: readonly RoundPoint[], message: string): RoundPoint[] {
  const r = parseRoundLine(message);
  if (r === null || message.includes("sending to") || points.some((p) => p.round === r.round)) return [...points];
  return [...points, { round: r.round, accuracy: r.accuracy }].sort((a, b) => a.round - b.round);
}

/** The rounds of a federated version (``data.federated.rounds``) as points. */
export function versionPoints(v: Pick<FederatedVersion, "rounds">): RoundPoint[] {
  return v.rounds.map((r) => ({ round: Number(r.round), accuracy: typeof r.accuracy === "number" ? r.accuracy : null }));
}

export interface RoundChart {
  /** The polyline through the rounds that have an accuracy, in SVG pixels ("" when none has). */
  path: string;
  dots: { x: number; y: number; round: number; accuracy: number }[];
  /** Horizontal grid lines at 0, 0.5 and 1. */
  grid: { y: number; value: number }[];
  /** The x axis runs from round 1 to this. */
  lastRound: number;
}

/** The per-round accuracy chart: x from round 1 to `rounds` (at least the last point's round), y accuracy 0..1. */
export function roundChart(points: readonly RoundPoint[], rounds: number, { width, height, pad }: { width: number; height: number; pad: number }): RoundChart {
  const last = Math.max(rounds, ...points.map((p) => p.round), 1);
  const sx = (r: number): number => pad + (last === 1 ? 0.5 : (r - 1) / (last - 1)) * (width - 2 * pad);
  const sy = (a: number): number => height - pad - Math.min(1, Math.max(0, a)) * (height - 2 * pad);
  const dots = points
    .filter((p): p is RoundPoint & { accuracy: number } => p.accuracy !== null && Number.isFinite(p.accuracy))
    .map((p) => ({ x: round1(sx(p.round)), y: round1(sy(p.accuracy)), round: p.round, accuracy: p.accuracy }));
  const path = dots.map((d, i) => `${i === 0 ? "M" : "L"}${d.x},${d.y}`).join(" ");
  return { path, dots, grid: [0, 0.5, 1].map((value) => ({ value, y: round1(sy(value)) })), lastRound: last };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
