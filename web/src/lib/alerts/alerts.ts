// Alerts in the browser: the API calls, what an alert is about (a person, an item, a job, the project) as a link,
// the order the page lists them in, and a rule's parameters in plain words and checked before they are sent.

import { api, unwrap, type Schemas } from "../api/client";

export type Alert = Schemas["AlertPublic"];
export type AlertPage = Schemas["AlertPagePublic"];
export type AlertRule = Schemas["AlertRulePublic"];
export type AlertKind = Schemas["AlertKindPublic"];
export type ParamSpec = Schemas["ParamSpecPublic"];
export type AlertSummary = Schemas["AlertSummaryPublic"];
export type Severity = Alert["severity"];

const path = (projectId: number) => ({ path: { project_id: projectId } });

export function fetchAlerts(projectId: number, query: { open?: boolean; after?: number; limit?: number } = {}): Promise<AlertPage> {
  return unwrap(api.GET("/api/v1/projects/{project_id}/alerts", { params: { ...path(projectId), query } }));
}

export function ackAlert(projectId: number, alertId: number): Promise<Alert> {
  return unwrap(
    api.POST("/api/v1/projects/{project_id}/alerts/{alert_id}/ack", {
      params: { path: { project_id: projectId, alert_id: alertId } },
    }),
  );
}

export async function ackAll(projectId: number): Promise<number> {
  const out = await unwrap(api.POST("/api/v1/projects/{project_id}/alerts/ack-all", { params: path(projectId) }));
  return out.acknowledged;
}

export function fetchSummary(): Promise<AlertSummary> {
  return unwrap(api.GET("/api/v1/alerts/summary"));
}

export function fetchKinds(): Promise<AlertKind[]> {
  return unwrap(api.GET("/api/v1/alert-rule-kinds"));
}

export function fetchRules(projectId: number): Promise<AlertRule[]> {
  return unwrap(api.GET("/api/v1/projects/{project_id}/alert-rules", { params: path(projectId) }));
}

export function createRule(projectId: number, kind: string, params: Record<string, number>): Promise<AlertRule> {
  return unwrap(
    api.POST("/api/v1/projects/{project_id}/alert-rules", { params: path(projectId), body: { kind, params } }),
  );
}

export function updateRule(
  projectId: number,
  rule: Pick<AlertRule, "id" | "version">,
  change: { params?: Record<string, number>; active?: boolean },
): Promise<AlertRule> {
  return unwrap(
    api.PATCH("/api/v1/projects/{project_id}/alert-rules/{rule_id}", {
      params: { path: { project_id: projectId, rule_id: rule.id } },
      body: { version: rule.version, ...change },
    }),
  );
}

export async function deleteRule(projectId: number, ruleId: number): Promise<void> {
  await unwrap(
    api.DELETE("/api/v1/projects/{project_id}/alert-rules/{rule_id}", {
      params: { path: { project_id: projectId, rule_id: ruleId } },
    }),
  );
}

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Open alerts first (the most severe first, then the newest), then the acknowledged ones, newest first. */
export function sortAlerts(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort((a, b) => {
    const openA = a.acknowledged_at === null ? 0 : 1;
    const openB = b.acknowledged_at === null ? 0 : 1;
    if (openA !== openB) return openA - openB;
    if (openA === 0 && a.severity !== b.severity) return RANK[a.severity] - RANK[b.severity];
    return b.id - a.id;
  });
}

/** Adds a page of alerts to those shown, each once (an alert acknowledged meanwhile keeps its newest state). */
export function mergeAlerts(shown: readonly Alert[], page: readonly Alert[]): Alert[] {
  const byId = new Map(shown.map((a) => [a.id, a]));
  for (const a of page) byId.set(a.id, a);
  return sortAlerts([...byId.values()]);
}

/** What the alert is about, in words, and where it leads: the item, the job, the items waiting for review. */
export function subjectOf(alert: Alert): { text: string; path: string | null } {
  const pid = alert.project_id;
  switch (alert.object_type) {
    case "user": // the grid has no filter by annotator: the name alone
      return { text: alert.subject_username ?? `user ${alert.object_id ?? "?"}`, path: null };
    case "item": {
      const name = typeof alert.detail.item_name === "string" ? alert.detail.item_name : `item ${alert.object_id ?? "?"}`;
      return { text: name, path: `/projects/${pid}/items/${alert.object_id ?? ""}` };
    }
    case "job":
      return { text: `job ${alert.object_id ?? "?"}`, path: "/jobs" };
    case "project":
      return { text: "items waiting for review", path: `/projects/${pid}?status=labeled` };
    default:
      return { text: alert.subject_username ?? "", path: null };
  }
}

export const SEVERITY_LABEL: Record<Severity, string> = { critical: "Critical", warning: "Warning", info: "Info" };

/** A parameter's value as a person reads it: a share as a percentage, the rest as numbers. */
export function paramText(spec: Pick<ParamSpec, "name" | "type">, value: number): string {
  if (spec.type === "float" && spec.name === "threshold") return `${Math.round(value * 100)} %`;
  if (spec.name === "cooldown_minutes") return `${value} min`;
  return spec.type === "float" ? String(value) : value.toLocaleString("en-US");
}

/** A kind's description as the form shows it: its parameters (`min_reviews`) named as the fields are. */
export function describeKind(kind: Pick<AlertKind, "description">): string {
  return kind.description.replace(/`([a-z_]+)`/g, (_m, name: string) => `“${name.replaceAll("_", " ")}”`);
}

/** A rule's parameters in one line: "window 20 · threshold 30 % · min reviews 10". */
export function paramsLine(kind: AlertKind | undefined, params: Record<string, number>): string {
  if (!kind || kind.params.length === 0) return "no parameters";
  return kind.params.map((p) => `${p.name.replaceAll("_", " ")} ${paramText(p, params[p.name] ?? p.default)}`).join(" · ");
}

/** The form's fields (a number input gives a number, or nothing when empty) read as the kind's parameters, or the
 * first problem, naming the field as the server would (`params.threshold`), so a person fixes it before sending. */
export function readParams(
  kind: AlertKind,
  raw: Record<string, string | number | null | undefined>,
): { params: Record<string, number> } | { field: string; message: string } {
  const params: Record<string, number> = {};
  for (const p of kind.params) {
    const text = String(raw[p.name] ?? "").trim();
    const value = text === "" ? p.default : Number(text);
    const field = `params.${p.name}`;
    if (!Number.isFinite(value)) return { field, message: `${p.name.replaceAll("_", " ")} must be a number` };
    if (p.type === "int" && !Number.isInteger(value)) {
      return { field, message: `${p.name.replaceAll("_", " ")} must be a whole number` };
    }
    if (value < p.minimum || value > p.maximum) {
      return { field, message: `${p.name.replaceAll("_", " ")} must be between ${p.minimum} and ${p.maximum}` };
    }
    params[p.name] = value;
  }
  return { params };
}

/** The total of open alerts in the summary, and the project's own count (0 when the project is not listed). */
export function openCount(summary: AlertSummary | null, projectId?: number): number {
  if (!summary) return 0;
  if (projectId === undefined) return summary.total;
  return summary.projects.find((p) => p.project_id === projectId)?.open ?? 0;
}

/** The project's id when `path` is one of its pages ("/projects/7/alerts" -> 7), else null. */
export function projectOfPath(path: string): number | null {
  const m = /^\/projects\/(\d+)(?:\/|$)/.exec(path);
  return m ? Number(m[1]) : null;
}
