// Assignment in the web app: who labels what. The pure parts (the grid's assignee filter, initials for a cell,
// who may be assigned, what a dialog sends and what a toast says), kept apart from the components so they are
// tested on their own.

import type { Role, Schemas } from "../api/client";
import type { ItemFilter } from "../itemFilter";
import { can } from "../roles";
import { count } from "../plural";

export type AssignBody = Schemas["AssignIn"];
export type Assigned = Schemas["AssignedPublic"];
export type Workload = Schemas["WorkloadPublic"];
export type MemberLoad = Schemas["MemberLoadPublic"];
export type FilterBody = Schemas["ItemFilterIn"];

/** The grid's assignee filter as the address and the API spell it: "me", "none" or a user id. */
export const ASSIGNEE_VALUE = /^(me|none|[0-9]{1,9})$/;

/** The assignee filter an address carries, or undefined when it holds nothing the API accepts. */
export function assigneeParam(v: string | null | undefined): string | undefined {
  return v != null && ASSIGNEE_VALUE.test(v) ? v : undefined;
}

/** Up to two letters for a username: "rita" → "RI", "anna.berg" → "AB", "j_doe-2" → "JD". */
export function initials(name: string | null | undefined): string {
  const words = (name ?? "").split(/[\s._\-@]+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
  if (words.length === 0) return "?";
  const first = [...(words[0] as string)];
  if (words.length === 1) return first.slice(0, 2).join("").toUpperCase();
  return (first[0]! + [...(words[words.length - 1] as string)][0]!).toUpperCase();
}

/** What the filter's menu shows for a value: "Anyone", "Me", "Unassigned", a member's name or "user #7". */
export function assigneeText(value: string | undefined, members: readonly { user_id: number; username: string }[]): string {
  if (!value) return "Anyone";
  if (value === "me") return "Me";
  if (value === "none") return "Unassigned";
  const m = members.find((x) => String(x.user_id) === value);
  return m ? m.username : `user #${value}`;
}

/** Members a manager can assign items to: active, with a role that may label; by name. */
export function assignable<T extends { role?: Role | null; active?: boolean; username: string }>(members: readonly T[]): T[] {
  return members
    .filter((m) => m.role != null && m.active !== false && can(m.role, "annotate"))
    .sort((a, b) => a.username.localeCompare(b.username));
}

/** How a dialog assigns: to one member, split evenly among several, or takes the assignments off. */
export type AssignChoice = { kind: "one"; userId: number | null } | { kind: "even"; userIds: number[] } | { kind: "none" };

/** What the dialog's choice lets through, or why not ("" when it can be sent). */
export function choiceProblem(choice: AssignChoice): string {
  if (choice.kind === "one" && choice.userId === null) return "Pick the member to assign the items to.";
  if (choice.kind === "even" && choice.userIds.length < 2) return "Pick at least two members to split the items among.";
  return "";
}

/** The request body for a choice over a selection (item ids) or everything matching a filter. */
export function assignBody(choice: AssignChoice, target: { ids: number[] } | { filter: FilterBody; openOnly?: boolean }): AssignBody {
  const who: Pick<AssignBody, "user_ids" | "mode"> =
    choice.kind === "one"
      ? { user_ids: choice.userId === null ? [] : [choice.userId], mode: "one" }
      : choice.kind === "even"
        ? { user_ids: [...choice.userIds].sort((a, b) => a - b), mode: "even" }
        : { user_ids: [], mode: "one" };
  if ("ids" in target) return { item_ids: target.ids, ...who };
  return { filter: target.filter, ...who, ...(target.openOnly ? { open_only: true } : {}) };
}

/** The toast after an assignment: "Assigned 12 items to rita", "Split 30 items: rita 10, bob 20", "Unassigned 3 items". */
export function assignedText(r: Assigned): string {
  if (r.mode === "unassign") return `Unassigned ${count(r.unassigned, "item")}`;
  if (r.assignees.length === 1) return `Assigned ${count(r.items, "item")} to ${r.assignees[0]!.username}`;
  return `Split ${count(r.items, "item")}: ${r.assignees.map((a) => `${a.username} ${a.count.toLocaleString("en-US")}`).join(", ")}`;
}

/** The workload table's total row: the members' counts added up. */
export function workloadTotals(members: readonly MemberLoad[]): Pick<MemberLoad, "open" | "labelled" | "reviewed" | "returned"> {
  const t = { open: 0, labelled: 0, reviewed: 0, returned: 0 };
  for (const m of members) {
    t.open += m.open;
    t.labelled += m.labelled;
    t.reviewed += m.reviewed;
    t.returned += m.returned;
  }
  return t;
}

/** The grid's filter as the assign route's `filter` body (the same names; the sort narrows nothing, so it stays out). */
export function filterBody(f: ItemFilter): FilterBody {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) if (k !== "order" && v !== undefined && v !== "") out[k] = v;
  return out as FilterBody;
}

/** The activity log's words for an `item.assign` event: "assigned 12 items to rita", "split 30 items among rita
 * (10) and bob (20)", "unassigned 3 items", "unassigned 2 items of bob, deactivated" (labelhub.services.users). */
export function assignSentence(d: Record<string, unknown>): string {
  const n = typeof d.count === "number" ? d.count : 0;
  const who = Array.isArray(d.assignees) ? (d.assignees as { name?: unknown; count?: unknown }[]) : [];
  if (d.by === "deactivation") {
    const user = (d.user ?? {}) as { name?: unknown };
    return `unassigned ${count(n, "item")} of ${typeof user.name === "string" ? user.name : "a user"}, deactivated`;
  }
  if (d.mode === "unassign" || who.length === 0) return `unassigned ${count(n, "item")}`;
  if (who.length === 1) return `assigned ${count(n, "item")} to ${String(who[0]!.name)}`;
  const parts = who.map((a) => `${String(a.name)} (${Number(a.count).toLocaleString("en-US")})`);
  return `split ${count(n, "item")} among ${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]!}`;
}
