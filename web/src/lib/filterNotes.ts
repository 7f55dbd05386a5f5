// What a deep link's filter asked for that the grid cannot show: `?status=labelled` (the API value is `labeled`)
// is dropped by filterFromQuery, and `?label=nonexistent` names no class. The grid says so in a short note rather
// than ignoring it without a word.

import type { AttributeSpec } from "./attributes";
import { ITEM_STATUSES } from "./status";

const CHOICES: readonly { key: string; allowed: readonly string[]; what: string; all: string }[] = [
  { key: "status", allowed: ITEM_STATUSES, what: "a status", all: "every status" },
  { key: "source", allowed: ["human", "model"], what: "a source", all: "every source" },
  { key: "state", allowed: ["proposed", "accepted", "rejected"], what: "an annotation state", all: "every state" },
];

const SCORES: readonly [key: string, name: string][] = [
  ["min_score", "lowest score"],
  ["max_score", "highest score"],
];

/** How an attribute filter reads: "colour = red", "occluded = yes", "speed: any value". */
export function attributeFilterText(name: string, value: string | undefined, spec?: AttributeSpec): string {
  if (value === undefined || value === "") return `${name}: any value`;
  if (spec?.type === "bool" && (value === "true" || value === "false")) return `${name} = ${value === "true" ? "yes" : "no"}`;
  return `${name} = ${value}`;
}

/**
 * Why `raw` (an address's `attribute_value`) can match no value of `spec`, or null when it can: the API reads it by
 * the type and refuses the rest. Empty text is "any value".
 */
export function attributeValueProblem(spec: AttributeSpec, raw: string): string | null {
  if (raw === "") return null;
  switch (spec.type) {
    case "bool":
      return raw === "true" || raw === "false" ? null : `${spec.name} is yes or no (true or false), not “${raw}”`;
    case "number":
      // A plain decimal, as the API reads one (not " 3 ", "3_0" or "0x10", which Number() would take).
      return DECIMAL.test(raw) && Number.isFinite(Number(raw)) ? null : `${spec.name} is a number, not “${raw}”`;
    case "select":
      return spec.options.includes(raw) ? null : `“${raw}” is not one of ${spec.name}'s options (${spec.options.join(", ")})`;
    default:
      return null;
  }
}

const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** Why the attribute filter `name` = `value` can match nothing in a project declaring `attributes`, or null when
 * it can (or names no attribute). The grid leaves such a filter out of its requests, as the note says. */
export function attributeFilterProblem(
  name: string | null | undefined,
  value: string | null | undefined,
  attributes: readonly AttributeSpec[],
): string | null {
  if (!name) return null;
  const spec = attributes.find((a) => a.name === name);
  if (!spec) return `attribute “${name}” is not declared in this project (see its settings)`;
  return value === null || value === undefined ? null : attributeValueProblem(spec, value);
}

/** Notes on the address's attribute filter; `attributes` null until the project has loaded. */
function attributeNotes(query: URLSearchParams, attributes: readonly AttributeSpec[] | null): string[] {
  const name = query.get("attribute");
  const value = query.get("attribute_value");
  if (!name) return value ? [`attribute value “${value}” names no attribute; ignored`] : [];
  if (attributes === null) return [];
  const why = attributeFilterProblem(name, value, attributes);
  return why ? [`${why}; ignored`] : [];
}

/**
 * Notes on the address's filter values that are not known; `classes` and `attributes` are null until the project
 * has loaded.
 */
export function filterNotes(
  query: URLSearchParams,
  classes: readonly { name: string }[] | null,
  attributes: readonly AttributeSpec[] | null = null,
): string[] {
  const notes: string[] = [];
  for (const c of CHOICES) {
    const v = query.get(c.key);
    if (v !== null && v !== "" && !c.allowed.includes(v)) notes.push(`${c.key} “${v}” is not ${c.what}; showing ${c.all}`);
  }
  const label = query.get("label");
  if (label && classes !== null && !classes.some((c) => c.name === label)) {
    notes.push(`label “${label}” is not a class of this project`);
  }
  for (const [key, name] of SCORES) {
    const v = query.get(key);
    if (v === null || v.trim() === "") continue;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 1) notes.push(`${name} “${v}” is not a number from 0 to 1; ignored`);
  }
  notes.push(...attributeNotes(query, attributes));
  return notes;
}
