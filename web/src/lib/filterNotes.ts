// What a deep link's filter asked for that the grid cannot show: `?status=labelled` (the API value is `labeled`)
// is dropped by filterFromQuery, and `?label=nonexistent` names no class. The grid says so in a short note rather
// than ignoring it without a word.

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

/** Notes on the address's filter values that are not known; `classes` null until the project has loaded. */
export function filterNotes(query: URLSearchParams, classes: readonly { name: string }[] | null): string[] {
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
  return notes;
}
