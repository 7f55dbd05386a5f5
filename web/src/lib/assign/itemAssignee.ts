// The item page's assignee (lib/assign/ItemAssignee.svelte): what the header says, and which live events may have
// changed the open item's status or assignee, so the page reads the item again. Hand-written and kept apart from
// the component so it is tested on its own.

import type { LiveEvent } from "../live.svelte";
import { eventItem } from "../liveUpdates";

/** "Assigned to alice", "Assigned to user #7" (a name not known) or "Unassigned". */
export function assigneeLine(item: { assignee_id?: number | null; assignee_username?: string | null }): string {
  if (item.assignee_id == null) return "Unassigned";
  return `Assigned to ${item.assignee_username ?? `user #${item.assignee_id}`}`;
}

/** Changes to many items at once: their events name the project, and list the item ids only when few (and only to
 * managers), so without the list any of them may be the open item. */
const BULK = new Set(["item.bulk_update", "item.accept_proposals", "item.reject_proposals", "item.assign", "consensus.set"]);

/**
 * Whether someone else's event `e` may have changed item `itemId`'s status or assignee: a save, review or other
 * change of that item, a bulk change that names it (or names no items), or a member leaving or changing role (their
 * open items go back to the pool). The user's own (`me`) are left out: the page that made them read the item.
 */
export function touchesItem(e: LiveEvent, itemId: number, me: number | null): boolean {
  if (me !== null && e.user_id === me) return false;
  if (BULK.has(e.action)) {
    const ids = e.detail.item_ids;
    return !Array.isArray(ids) || ids.includes(itemId);
  }
  if (e.action === "member.remove" || e.action === "member.set") return true;
  return eventItem(e) === itemId && /^(annotations|item|track|consensus)\./.test(e.action) && e.action !== "item.delete";
}
