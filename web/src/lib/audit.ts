// The audit log as people read it: one sentence per event ("annotator1 replaced the annotations of item 114 (1
// added, 0 deleted; status labeled -> reviewed)"), the action kinds to filter by, and the page fetch.

import { api, unwrap, type Schemas } from "./api/client";
import { jobKindLabel } from "./jobs";
import { count } from "./plural";
import { assignSentence } from "./assign/assign";

export type AuditEvent = Schemas["AuditEventPublic"];
export type AuditPage = Schemas["AuditPagePublic"];

/** The filter's action kinds: each a prefix of the actions (the API takes a prefix ending in a dot). */
export const ACTION_KINDS: readonly { prefix: string; label: string }[] = [
  { prefix: "annotations.", label: "Annotations" },
  { prefix: "item.", label: "Reviews and items" },
  { prefix: "track.", label: "Video tracks" },
  { prefix: "member.", label: "Members" },
  { prefix: "project.", label: "Project, imports and exports" },
  { prefix: "job.", label: "Jobs" },
  { prefix: "model.", label: "Models" },
  { prefix: "prelabel.", label: "Pre-labelling" },
  { prefix: "embeddings.", label: "Embeddings" },
  { prefix: "assist.", label: "Assist settings" },
  { prefix: "consensus.", label: "Consensus" },
  { prefix: "alert.", label: "Alerts" },
  { prefix: "alert_rule.", label: "Alert rules" },
  { prefix: "webhook.", label: "Webhooks" },
];

export interface AuditQuery {
  action?: string;
  user?: number;
  after?: number;
  limit?: number;
}

/** A page of a project's events, newest first; `next_after` fetches the older ones. */
export function fetchProjectAudit(projectId: number, query: AuditQuery): Promise<AuditPage> {
  return unwrap(
    api.GET("/api/v1/projects/{project_id}/audit", {
      params: { path: { project_id: projectId }, query: { ...query, action: query.action || undefined } },
    }),
  );
}

/** Who did it: the user's name, "system" for the server's own work, "(not logged in)" for a refused login (the
 * server audits it as "anonymous"), the old name for a user deleted since. */
export function actorName(e: AuditEvent): string {
  if (e.username) return e.username;
  const then = typeof e.detail.actor === "string" ? e.detail.actor : null;
  if (then === null || then === "system") return "system";
  if (then === "anonymous" && e.action.startsWith("auth.")) return "(not logged in)";
  return `${then} (deleted user)`;
}

const num = (v: unknown): number => (typeof v === "number" ? v : Number(v ?? 0) || 0);
const str = (v: unknown): string => (v === null || v === undefined ? "" : String(v));

/** What happened, without who: "replaced the annotations of item 114 (1 added, 0 deleted)". `names` maps user
 * ids to names, for events that name a user only by id (a member's removal). */
export function describe(e: AuditEvent, names: ReadonlyMap<number, string> = new Map()): string {
  const d = e.detail;
  const item = `item ${e.object_id ?? "?"}`;
  const track = `track ${str(d.track_id)}`;
  switch (e.action) {
    case "annotations.replace": {
      const counts = [`${num(d.added)} added`];
      if (num(d.updated) > 0) counts.push(`${num(d.updated)} updated`);
      counts.push(`${num(d.deleted)} deleted`);
      const status = Array.isArray(d.status) && d.status.length === 2 ? `; status ${str(d.status[0])} -> ${str(d.status[1])}` : "";
      return `replaced the annotations of ${item} (${counts.join(", ")}${status})`;
    }
    case "item.approve":
      return `approved ${item}`;
    case "item.reject":
      return `rejected ${item}${d.comment ? `: “${str(d.comment)}”` : ""}`;
    case "item.delete":
      return `deleted ${item}${d.name ? ` (${str(d.name)}${d.reason === "duplicate" ? ", a duplicate" : ""})` : ""}`;
    case "item.accept_proposals":
      return `accepted ${count(num(d.accepted), d.label ? `${str(d.label)} proposal` : "proposal")} on ${count(num(d.items), "item")} at once${num(d.skipped) > 0 ? ` (${num(d.skipped)} left open)` : ""}`;
    case "item.reject_proposals":
      return `rejected ${count(num(d.rejected), d.label ? `${str(d.label)} proposal` : "proposal")} on ${count(num(d.items), "item")} at once`;
    case "item.assign":
      return assignSentence(d);
    case "item.bulk_update":
      return `updated ${count(num(d.items), "item")} at once${d.send_to_labelling ? " and sent them to labelling" : ""}`;
    case "track.create":
      return `started ${track} (${str(d.label)}) on ${item} at frame ${str(d.frame)}`;
    case "track.keyframe":
      return `${d.outside ? "marked" : "set"} ${track} ${d.outside ? "outside" : "keyframe"} on ${item} at frame ${str(d.frame)}`;
    case "track.keyframe_remove":
      return `removed the keyframe of ${track} on ${item} at frame ${str(d.frame)}`;
    case "track.rename":
      return `renamed ${track} on ${item} to ${str(d.label)}`;
    case "track.delete":
      return `deleted ${track} of ${item}`;
    case "track.split":
      return `split ${track} of ${item} at frame ${str(d.frame)} into track ${str(d.track_id)} and track ${str(d.new_track_id)}`;
    case "track.merge":
      return `merged track ${str(d.merged_track_id)} into ${track} (${str(d.label)}) on ${item}`;
    case "track.undo": {
      const back = Array.isArray(d.track_ids) ? d.track_ids.map(str) : [];
      const gone = Array.isArray(d.removed) ? d.removed.map(str) : [];
      const noun = { delete: "deletion", split: "split", merge: "merge" }[str(d.undid)] ?? str(d.undid);
      const tracks = back.length === 1 ? `track ${back[0]}` : `tracks ${back.join(" and ")}`;
      return `undid the ${noun} of ${tracks} on ${item}${gone.length > 0 ? ` (track ${gone.join(", ")} removed)` : ""}`;
    }
    case "member.set":
      return `made ${str(d.username)} ${str(d.role)}`;
    case "member.remove": {
      const uid = Number(e.object_id);
      return `removed ${names.get(uid) ?? `user ${e.object_id ?? "?"}`} from the project`;
    }
    case "project.create":
      return `created the project${d.name ? ` “${str(d.name)}”` : ""}`;
    case "project.update": {
      const fields = Array.isArray(d.fields) ? d.fields.map(str) : [];
      return `changed the project's ${fields.length ? fields.join(", ") : "settings"}`;
    }
    case "project.delete":
      return `deleted the project${d.name ? ` “${str(d.name)}”` : ""}`;
    case "project.import":
      return `imported ${count(num(d.items_added), "item")} and ${count(num(d.annotations_added), "annotation")} (${str(d.format)})`;
    case "project.export":
      return `exported ${count(num(d.items), "item")} and ${count(num(d.annotations), "annotation")} as ${str(d.format)}`;
    case "job.create":
      return `started job #${e.object_id ?? "?"} (${jobKindLabel(str(d.kind))})`;
    case "job.cancel":
      return `cancelled job #${e.object_id ?? "?"}`;
    case "job.finished": {
      const job = `job #${e.object_id ?? "?"} (${jobKindLabel(str(d.kind))})`;
      if (d.status === "succeeded") return `ran ${job} to completion`;
      return `ran ${job}, which ${d.status === "cancelled" ? "was cancelled" : "failed"}${d.error ? `: ${str(d.error)}` : ""}`;
    }
    case "consensus.set":
      return num(d.overlap) >= 2
        ? `asked for ${count(num(d.overlap), "person", "people")} to label ${count(num(d.changed), "item")} independently`
        : `took ${count(num(d.changed), "item")} out of consensus`;
    case "consensus.submit":
      return d.submitted
        ? `submitted their labels of ${item} (${num(d.submitted_count)} of ${num(d.overlap)})`
        : `took back their labels of ${item}`;
    case "consensus.merge":
      return `${d.forced ? "merged early" : "merged"} the labels of ${count(num(d.replicas), "person", "people")} on ${item}${typeof d.agreement === "number" ? ` (agreement ${Math.round(d.agreement * 100)}%)` : ""}`;
    case "consensus.reset":
      return `sent ${item} back to consensus labelling afresh (${count(num(d.replicas), "replica")} of the last round removed)`;
    case "alert.raised":
      return `raised an alert: ${str(d.title)}`;
    case "alert.ack":
      return num(d.count) > 1 ? `acknowledged ${count(num(d.count), "alert")}` : `acknowledged alert ${str(d.alert_id)}`;
    case "alert_rule.create":
      return `added a ${str(d.kind).replaceAll("_", " ")} alert rule`;
    case "alert_rule.update":
      return `changed alert rule ${e.object_id ?? "?"}`;
    case "alert_rule.delete":
      return `deleted alert rule ${e.object_id ?? "?"}`;
    case "webhook.create":
      return `added a webhook to ${str(d.url)}`;
    case "webhook.update":
      return `changed the webhook to ${str(d.url) || `#${e.object_id ?? "?"}`}`;
    case "webhook.delete":
      return `deleted the webhook to ${str(d.url)}`;
    case "webhook.disable":
      return `turned off the webhook to ${str(d.url)}: ${str(d.reason)}`;
    case "model.train":
      return `trained ${str(d.name)} v${str(d.version)} on ${count(num(d.labels), "label")}`;
    case "model.register":
      return `connected model ${str(d.name)} v${str(d.version)}`;
    case "model.activate":
      return `made model ${e.object_id ?? "?"} the active one`;
    case "model.evaluate":
      return `evaluated model ${e.object_id ?? "?"}`;
    case "model.delete":
      return `deleted model ${str(d.name)} v${str(d.version)}`;
    case "model.prune":
      return `removed the files of model ${str(d.name)} v${str(d.version)} (keeping ${str(d.keep_versions)} versions)`;
    case "federated.round":
      return `trained federated round ${str(d.round)} on ${count(num(d.examples), "label")} (weights sent back)`;
    case "federated.train":
      return `trained ${str(d.name)} v${str(d.version)} by federated averaging over ${count(num(d.sites), "site")}, ${count(num(d.rounds), "round")}`;
    case "prelabel.run":
      // A run cancelled or failed after some batches says so: what it wrote stays, the rest was not reached.
      if (typeof d.ended === "string")
        return `pre-labelled part of ${count(num(d.items), "item")} (${num(d.accepted)} accepted, ${num(d.proposed)} proposed), then ${d.ended === "cancelled" ? "was cancelled" : "failed"}`;
      return `pre-labelled ${count(num(d.items), "item")} (${num(d.accepted)} accepted, ${num(d.proposed)} proposed)`;
    case "embeddings.compute":
      return `computed ${str(d.space)} embeddings of ${count(num(d.embedded), "item")}`;
    case "assist.settings":
      return "changed the assist settings";
    default:
      return `${e.action} ${e.object_type}${e.object_id ? ` ${e.object_id}` : ""}`;
  }
}

/** The whole sentence: "annotator1 replaced the annotations of item 114 (...)". */
export function sentence(e: AuditEvent, names?: ReadonlyMap<number, string>): string {
  return `${actorName(e)} ${describe(e, names)}`;
}

/** The item an event is about, to link to; null for events about other things. */
export function itemOf(e: AuditEvent): number | null {
  if (e.object_type !== "item" || !e.object_id || e.action === "item.delete") return null;
  const id = Number(e.object_id);
  return Number.isInteger(id) ? id : null;
}
