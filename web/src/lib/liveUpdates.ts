// What the pages make of live events (lib/live.svelte.ts): which grid cells to read again, how many items came or
// went, whether someone else just changed the item open in the editor, and an event as the activity list shows it.

import type { AuditEvent } from "./audit";
import type { LiveEvent } from "./live.svelte";

/** What a batch of events changed in a project's grid. */
export interface GridChanges {
  /** Items whose cells (status, counts, labels) are to be read again. */
  items: Set<number>;
  /** Some change touched items the events do not name (a bulk change): read every loaded cell again. */
  all: boolean;
  /** Items imported since (shown only when the user asks: the grid does not jump). */
  added: number;
  /** Items deleted since. */
  deleted: number;
}

/** Actions on many items at once, whose events name the project rather than the items. */
const BULK = new Set(["item.bulk_update", "item.accept_proposals", "item.reject_proposals", "item.assign", "consensus.set"]);

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** The item an event is about, or null. */
export function eventItem(e: LiveEvent): number | null {
  if (e.object_type !== "item" || e.object_id === null) return null;
  const id = Number(e.object_id);
  return Number.isInteger(id) ? id : null;
}

/** What `events` changed in the grid; the user's own (`me`) are left out: the page that made them shows them. */
export function gridChanges(events: readonly LiveEvent[], me: number | null): GridChanges {
  const out: GridChanges = { items: new Set(), all: false, added: 0, deleted: 0 };
  for (const e of events) {
    if (me !== null && e.user_id === me) continue;
    const item = eventItem(e);
    if (e.action === "item.delete") {
      out.deleted += 1;
      if (item !== null) out.items.delete(item);
    } else if (e.action === "project.import") {
      out.added += num(e.detail.items_added);
      if (num(e.detail.annotations_added) > 0) out.all = true; // labels may have come for items already shown
    } else if (BULK.has(e.action)) {
      out.all = true;
    } else if (item !== null && /^(annotations|item|track|consensus)\./.test(e.action)) {
      out.items.add(item);
    }
  }
  return out;
}

/** "3 new items", "1 item deleted", "3 new items, 1 deleted"; "" for none. */
export function changesText(added: number, deleted: number): string {
  const parts: string[] = [];
  if (added > 0) parts.push(`${added.toLocaleString()} new item${added === 1 ? "" : "s"}`);
  if (deleted > 0) parts.push(parts.length ? `${deleted.toLocaleString()} deleted` : `${deleted.toLocaleString()} item${deleted === 1 ? "" : "s"} deleted`);
  return parts.join(", ");
}

/** Someone else's change to the open item: who, and what they did. */
export interface OthersChange {
  actor: string;
  verb: "saved" | "approved" | "rejected" | "deleted";
  version: number | null;
}

/**
 * Whether `e` is someone else's change to item `itemId` that the editor (at version `held`) has not got: a save
 * (annotations, tracks), a review or a deletion by another user (or the system). An event that carries the item's
 * new version counts only when that version is newer than `held`.
 */
export function othersChange(e: LiveEvent, itemId: number, me: number | null, held: number | null): OthersChange | null {
  if (eventItem(e) !== itemId || (me !== null && e.user_id === me)) return null;
  let verb: OthersChange["verb"];
  if (e.action.startsWith("annotations.") || e.action.startsWith("track.")) verb = "saved";
  else if (e.action === "item.approve") verb = "approved";
  else if (e.action === "item.reject") verb = "rejected";
  else if (e.action === "item.delete") verb = "deleted";
  else return null;
  const version = typeof e.detail.version === "number" ? e.detail.version : null;
  if (verb !== "deleted" && version !== null && held !== null && version <= held) return null;
  return { actor: e.actor ?? "Someone", verb, version };
}

/** A live event as the activity list shows an audit event. */
export function auditEvent(e: LiveEvent): AuditEvent {
  return {
    id: e.id,
    at: e.at,
    user_id: e.user_id,
    username: e.user_id === null ? null : e.actor,
    project_id: e.project_id,
    action: e.action,
    object_type: e.object_type,
    object_id: e.object_id,
    detail: { ...e.detail, actor: e.actor ?? undefined },
  };
}

/** Whether an event belongs in the activity list filtered by `action` (a prefix ending in a dot, an exact action
 * or "") and `user` (a user id as text, or ""). */
export function inActivity(e: LiveEvent, action: string, user: string): boolean {
  if (action && !(action.endsWith(".") ? e.action.startsWith(action) : e.action === action)) return false;
  return !user || e.user_id === Number(user);
}
