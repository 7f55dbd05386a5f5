// Project webhooks in the browser: the API calls, the event groups the add form offers as checkboxes (turned
// into the server's patterns and back), and a hook's state and a delivery's outcome in words.

import { api, unwrap, type Schemas } from "./api/client";

export type Webhook = Schemas["WebhookPublic"];
export type WebhookWithSecret = Schemas["WebhookWithSecret"];
export type Delivery = Schemas["DeliveryPublic"];
export type DeliveryPage = Schemas["DeliveryPagePublic"];
export type WebhookInput = { url: string; events: string[]; description: string };

/** The form's event groups: each a set of the server's patterns ("*" every event, "item.*" a kind, or one action). */
export const EVENT_GROUPS: readonly { key: string; label: string; hint: string; patterns: readonly string[] }[] = [
  { key: "all", label: "Everything", hint: "every event of the project", patterns: ["*"] },
  { key: "items", label: "Items & review", hint: "approve, reject, assign, delete, proposals", patterns: ["item.*"] },
  { key: "annotations", label: "Annotations", hint: "saves and video tracks", patterns: ["annotations.*", "track.*"] },
  { key: "transfers", label: "Imports & exports", hint: "finished imports and exports", patterns: ["project.import", "project.export"] },
  { key: "jobs", label: "Jobs", hint: "jobs started, cancelled, finished", patterns: ["job.*"] },
  { key: "alerts", label: "Alerts", hint: "alerts raised and acknowledged", patterns: ["alert.*"] },
  { key: "members", label: "Members", hint: "members added, changed, removed", patterns: ["member.*"] },
];

/** The patterns for the chosen groups and the custom ones (comma- or space-separated); "*" alone when it is chosen. */
export function patternsFrom(groups: readonly string[], custom: string): string[] {
  const out: string[] = [];
  for (const g of EVENT_GROUPS) if (groups.includes(g.key)) out.push(...g.patterns);
  out.push(...custom.split(/[\s,]+/).filter((p) => p));
  const unique = [...new Set(out)];
  return unique.includes("*") ? ["*"] : unique;
}

/** A hook's patterns as the form shows them: the groups wholly chosen, and the rest as custom text. */
export function groupsOf(patterns: readonly string[]): { groups: string[]; custom: string } {
  const groups = EVENT_GROUPS.filter((g) => g.patterns.every((p) => patterns.includes(p))).map((g) => g.key);
  const covered = new Set(EVENT_GROUPS.filter((g) => groups.includes(g.key)).flatMap((g) => g.patterns));
  return { groups, custom: patterns.filter((p) => !covered.has(p)).join(", ") };
}

/** "Everything", or the groups' names and the other patterns: what a hook sends, in a few words. */
export function eventsText(patterns: readonly string[]): string {
  const { groups, custom } = groupsOf(patterns);
  const names = EVENT_GROUPS.filter((g) => groups.includes(g.key)).map((g) => g.label);
  return [...names, ...(custom ? [custom] : [])].join(", ");
}

/** A hook's state as a badge: its words and tone. */
export function stateBadge(hook: Webhook): { text: string; tone: "success" | "warning" | "danger" } {
  if (hook.state === "disabled") return { text: "Disabled", tone: "danger" };
  if (hook.state === "failing") return { text: `Failing: ${hook.failures} ${hook.failures === 1 ? "failure" : "failures"}`, tone: "warning" };
  return { text: "Active", tone: "success" };
}

/** A delivery's outcome in words: "200 OK in 35 ms", "500 after 12 ms: …", "failed: no answer within 10 s". */
export function outcomeText(d: Delivery): string {
  const took = d.duration_ms >= 1000 ? `${(d.duration_ms / 1000).toFixed(1)} s` : `${Math.round(d.duration_ms)} ms`;
  if (d.ok) return `${d.status_code} in ${took}`;
  return d.status_code ? `${d.status_code} in ${took}` : "no answer";
}

const hooks = (pid: number) => ({ params: { path: { project_id: pid } } });
const hook = (pid: number, id: number) => ({ params: { path: { project_id: pid, webhook_id: id } } });

export const listWebhooks = (pid: number): Promise<Webhook[]> =>
  unwrap(api.GET("/api/v1/projects/{project_id}/webhooks", hooks(pid)));

export const createWebhook = (pid: number, body: WebhookInput & { secret?: string | null }): Promise<WebhookWithSecret> =>
  unwrap(api.POST("/api/v1/projects/{project_id}/webhooks", { ...hooks(pid), body }));

export const updateWebhook = (pid: number, id: number, body: Partial<WebhookInput> & { version: number; active?: boolean }): Promise<Webhook> =>
  unwrap(api.PATCH("/api/v1/projects/{project_id}/webhooks/{webhook_id}", { ...hook(pid, id), body }));

export const deleteWebhook = (pid: number, id: number): Promise<unknown> =>
  unwrap(api.DELETE("/api/v1/projects/{project_id}/webhooks/{webhook_id}", hook(pid, id)));

export const testWebhook = (pid: number, id: number): Promise<Delivery> =>
  unwrap(api.POST("/api/v1/projects/{project_id}/webhooks/{webhook_id}/test", hook(pid, id)));

export const resumeWebhook = (pid: number, id: number, skipBacklog: boolean): Promise<Webhook> =>
  unwrap(api.POST("/api/v1/projects/{project_id}/webhooks/{webhook_id}/resume", { ...hook(pid, id), body: { skip_backlog: skipBacklog } }));

export const rotateSecret = (pid: number, id: number): Promise<WebhookWithSecret> =>
  unwrap(api.POST("/api/v1/projects/{project_id}/webhooks/{webhook_id}/rotate-secret", { ...hook(pid, id), body: {} }));

export const listDeliveries = (pid: number, id: number, after?: number): Promise<DeliveryPage> =>
  unwrap(
    api.GET("/api/v1/projects/{project_id}/webhooks/{webhook_id}/deliveries", {
      params: { path: { project_id: pid, webhook_id: id }, query: { after, limit: 20 } },
    }),
  );

export const redeliver = (pid: number, id: number, deliveryId: number): Promise<Delivery> =>
  unwrap(
    api.POST("/api/v1/projects/{project_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", {
      params: { path: { project_id: pid, webhook_id: id, delivery_id: deliveryId } },
    }),
  );
