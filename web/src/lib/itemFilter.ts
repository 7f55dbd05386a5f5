// The grid's filter and sort: what an address (`?status=new&label=dog&order=-name`) says, and back.

import type { AnnotationState, ItemStatus, Schemas, Source } from "./api/client";
import { ITEM_STATUSES } from "./status";
import { assigneeParam } from "./assign/assign";

/** The grid's sort: by id (the order items came in, the default) or by name, either way. */
export type ItemOrder = Schemas["ItemOrder"];

/** The sorts the grid offers, as its Sort menu names them. */
export const ITEM_ORDERS: readonly { value: ItemOrder; text: string }[] = [
  { value: "id", text: "Oldest first" },
  { value: "-id", text: "Newest first" },
  { value: "name", text: "Name A–Z" },
  { value: "-name", text: "Name Z–A" },
];
const ORDERS: readonly string[] = ITEM_ORDERS.map((o) => o.value);

export interface ItemFilter {
  status?: ItemStatus | undefined;
  label?: string | undefined;
  source?: Source | undefined;
  state?: AnnotationState | undefined;
  min_score?: number | undefined;
  max_score?: number | undefined;
  q?: string | undefined;
  /** Items carrying this tag exactly (`meta.tags`, as the map's and search's bulk actions set them). */
  tag?: string | undefined;
  /** Items with an annotation carrying a value for this declared attribute (on the same annotation as label,
   * source, state and score). */
  attribute?: string | undefined;
  /** With `attribute`: the value, as the API reads it by the attribute's type (`true`/`false`, a number, an option,
   * a text); undefined is any value. */
  attribute_value?: string | undefined;
  /** Items assigned to `me`, to nobody (`none`) or to a user id (as text, as the address and the API spell it). */
  assignee?: string | undefined;
  /** The list's sort (it narrows nothing); undefined is the id order, so an address without it means that. */
  order?: ItemOrder | undefined;
}

/** The filter's keys in the order an address spells them (one filter, one address: links compare as strings). */
const FILTER_KEYS = [
  "q",
  "status",
  "label",
  "source",
  "state",
  "min_score",
  "max_score",
  "tag",
  "attribute",
  "attribute_value",
  "assignee",
  "order",
] as const;
const STATUSES: readonly string[] = ITEM_STATUSES;
const SOURCES: readonly string[] = ["human", "model"] satisfies Source[];
const STATES: readonly string[] = ["proposed", "accepted", "rejected"] satisfies AnnotationState[];

function scoreParam(v: string | null): number | undefined {
  if (v === null || v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : undefined;
}

/**
 * The filter an address carries (`#/projects/1?status=new&tag=night`, and an item opened from that grid): the
 * grid's filters, each dropped when it holds no value the API accepts (a hand-edited or old link).
 */
export function filterFromQuery(query: URLSearchParams): ItemFilter {
  const out: ItemFilter = {};
  const text = (key: string): string | undefined => query.get(key)?.trim() || undefined;
  const oneOf = (key: string, allowed: readonly string[]): string | undefined => {
    const v = query.get(key);
    return v !== null && allowed.includes(v) ? v : undefined;
  };
  const found: ItemFilter = {
    q: text("q"),
    status: oneOf("status", STATUSES) as ItemStatus | undefined,
    label: query.get("label") || undefined,
    source: oneOf("source", SOURCES) as Source | undefined,
    state: oneOf("state", STATES) as AnnotationState | undefined,
    min_score: scoreParam(query.get("min_score")),
    max_score: scoreParam(query.get("max_score")),
    tag: text("tag"),
    attribute: query.get("attribute") || undefined,
    // A value names nothing without its attribute (the API refuses it alone): dropped, as filterNotes says.
    attribute_value: query.get("attribute") ? query.get("attribute_value") || undefined : undefined,
    assignee: assigneeParam(query.get("assignee")),
    order: query.get("order") === "id" ? undefined : (oneOf("order", ORDERS) as ItemOrder | undefined),
  };
  for (const k of FILTER_KEYS) if (found[k] !== undefined) (out as Record<string, unknown>)[k] = found[k];
  return out;
}

/** The query that carries a filter (`status=new&label=dog`), "" for none; the inverse of filterFromQuery. */
export function filterToQuery(f: ItemFilter): string {
  const out = new URLSearchParams();
  for (const k of FILTER_KEYS) {
    const v = f[k];
    if (v === undefined || v === "" || (typeof v === "number" && !Number.isFinite(v))) continue;
    if (k === "attribute_value" && !f.attribute) continue;
    out.set(k, String(v));
  }
  return out.toString();
}

/** The grid of a project showing a filter. */
export function gridPath(projectId: number, f: ItemFilter): string {
  const q = filterToQuery(f);
  return `/projects/${projectId}${q ? `?${q}` : ""}`;
}

/** An item opened from a filtered grid: its next and previous walk the same filtered list. */
export function gridItemPath(projectId: number, itemId: number, f: ItemFilter): string {
  const q = filterToQuery(f);
  return `/projects/${projectId}/items/${itemId}${q ? `?${q}` : ""}`;
}

/** The order a filter's list is in. */
export function orderOf(f: ItemFilter): ItemOrder {
  return f.order ?? "id";
}

/** Whether a list in ``order`` is sorted by name (its pages then start at a name, not an id). */
export function byName(order: ItemOrder): boolean {
  return order === "name" || order === "-name";
}

/** The filter without its sort: what narrows the list, whatever order it is in. */
export function withoutOrder(f: ItemFilter): ItemFilter {
  const { order: _order, ...rest } = f;
  return rest;
}

/** True when the filter narrows the list (so the project's total item count no longer applies); a sort does not. */
export function isFiltered(f: ItemFilter): boolean {
  return Object.values(withoutOrder(f)).some((v) => v !== undefined && v !== "");
}

/** A score bound from the filter's number box: Svelte binds it to a number, or to null when the box is empty or
 * holds no number (typed text is accepted too). Undefined means no bound, NaN a value that is no score; the rest
 * is clamped to 0..1, all the API accepts. */
export function parseScore(v: number | string | null | undefined): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "string") {
    if (v.trim() === "") return undefined;
    v = Number(v);
  }
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : NaN;
}

/** Why a pair of parsed score bounds cannot be applied, or "" when they can. */
export function scoreProblem(lo: number | undefined, hi: number | undefined): string {
  if (Number.isNaN(lo) || Number.isNaN(hi)) return "Scores are numbers from 0 to 1.";
  if (lo !== undefined && hi !== undefined && lo > hi) return "The lowest score is above the highest.";
  return "";
}
