/**
 * The settings page's attribute declarations while a person edits them ("drafts"), and the steps between them and
 * the API's `label_schema.attributes`. A draft keeps what the form needs and the API does not: options as typed
 * (one per line) and whether the attribute applies to every class or to chosen ones, so that unticking the last
 * class does not silently mean "every class" (the API's empty `labels`).
 */

import { ApiError } from "../api/problem";
import { readSpecs, valueProblem, type AttributeSpec, type AttributeType, type AttributeValue } from "../attributes";

export interface AttributeDraft {
  name: string;
  type: AttributeType;
  /** The options of a choice, one per line, as typed. */
  optionsText: string;
  /** `all`: every class (labels ignored); `some`: the classes in `labels`. */
  scope: "all" | "some";
  labels: string[];
  default: AttributeValue | null;
  /** Video tracks: the value changes per frame ("changes per frame (video)"). */
  mutable: boolean;
}

/** The field of a draft a problem is about (the one to outline and to put the message under). */
export type DraftField = "name" | "type" | "options" | "labels" | "default";

export interface DraftProblem {
  field: DraftField;
  text: string;
  /** The server's refusal (announced when it appears), not the form's own check. */
  server?: boolean;
}

/** What each type does for the annotator, shown beside the type. */
export const TYPE_HELP: Record<AttributeType, string> = {
  text: "Free text the annotator types (up to 1000 characters).",
  number: "A number the annotator types, such as a count or an angle.",
  bool: "A checkbox: yes or no, such as “occluded”.",
  select: "One of the options below, picked from a list.",
};

export const TYPE_TITLES: Record<AttributeType, string> = {
  text: "Text",
  number: "Number",
  bool: "Yes / no",
  select: "Choice",
};

export function toDraft(spec: AttributeSpec): AttributeDraft {
  return {
    name: spec.name,
    type: spec.type,
    optionsText: spec.options.join("\n"),
    scope: spec.labels.length ? "some" : "all",
    labels: [...spec.labels],
    default: spec.default,
    mutable: spec.mutable === true,
  };
}

/** The drafts of a project's declarations as the API sends them (`label_schema.attributes`). */
export function draftsOf(labelSchema: unknown): AttributeDraft[] {
  const raw = (labelSchema as { attributes?: unknown } | null)?.attributes;
  return readSpecs(Array.isArray(raw) ? (raw as Record<string, unknown>[]) : []).map(toDraft);
}

export function newDraft(): AttributeDraft {
  return { name: "", type: "bool", optionsText: "", scope: "all", labels: [], default: null, mutable: false };
}

/** The options a draft's text lists: one per line, trimmed, blank lines left out. */
export function optionsOf(d: Pick<AttributeDraft, "type" | "optionsText">): string[] {
  if (d.type !== "select") return [];
  return d.optionsText
    .split("\n")
    .map((o) => o.trim())
    .filter((o) => o !== "");
}

/** The declaration the API takes (PATCH /projects/{id} `attributes[i]`). */
export function toBody(d: AttributeDraft): AttributeSpec {
  return {
    name: d.name.trim(),
    type: d.type,
    options: optionsOf(d),
    labels: d.scope === "some" ? [...d.labels] : [],
    default: d.default,
    mutable: d.mutable,
  };
}

/** A draft after its type changes: a default that is no value of the new type is dropped (unset). */
export function withType(d: AttributeDraft, type: AttributeType): AttributeDraft {
  const next = { ...d, type };
  const spec = { ...toBody(next), default: null };
  return valueProblem(spec, d.default) === null ? next : { ...next, default: null };
}

/**
 * The default as the form's control gives it (`raw` is the control's string): text as typed (empty: unset),
 * a number (empty or not a number: unset), yes/no/unset, or a choice (empty: none).
 */
export function parseDefault(type: AttributeType, raw: string): AttributeValue | null {
  if (raw === "") return null;
  if (type === "bool") return raw === "true" ? true : raw === "false" ? false : null;
  if (type === "number") {
    const n = Number(raw);
    return Number.isFinite(n) ? n : null;
  }
  return raw;
}

/** The classes a draft names that are not (or no longer) classes of the project: renamed or removed above. */
export function missingClasses(d: AttributeDraft, classNames: readonly string[]): string[] {
  return d.scope === "some" ? d.labels.filter((n) => !classNames.includes(n)) : [];
}

/**
 * What stops a draft from being saved, as the form says it before asking the server: a name, the options of a
 * choice, a class to apply to, a default the type takes. Duplicate names and classes that are gone are left to
 * the server, whose message shows at the attribute (`problemAt`); `missingClasses` warns about the latter.
 */
export function draftProblem(d: AttributeDraft): DraftProblem | null {
  if (!d.name.trim()) return { field: "name", text: "Give the attribute a name." };
  const options = optionsOf(d);
  if (d.type === "select" && options.length === 0) {
    return { field: "options", text: "A choice needs options: type one per line." };
  }
  if (d.scope === "some" && d.labels.length === 0) {
    return { field: "labels", text: "Tick the classes it applies to, or choose “every class”." };
  }
  const why = valueProblem({ ...toBody(d), options }, d.default);
  return why ? { field: "default", text: `The default ${why}.` } : null;
}

/**
 * The server's refusal of attribute `i` (a 422 whose field is `attributes[i].<field>`), for that attribute. A
 * refused name is refused for every attribute of that name (the server names the first of a name declared twice),
 * so with `drafts` the others show it too.
 */
export function problemAt(err: unknown, i: number, drafts: readonly Pick<AttributeDraft, "name">[] = []): DraftProblem | null {
  const at = attributeField(err);
  if (!at || !(err instanceof ApiError)) return null;
  const sameName = at.field === "name" && drafts[i] !== undefined && drafts[i].name.trim() === drafts[at.index]?.name.trim();
  if (at.index !== i && !sameName) return null;
  // Shown at the attribute: the "attributes[0]: " the server starts some messages with says nothing more there.
  const text = (err.problem.detail ?? err.message).replace(/^attributes\[\d+\](\.\w+)?:\s*/, "");
  return { field: at.field, text, server: true };
}

/** The attribute and field a 422 names (`attributes[2].options` -> 2, options), or null for any other error. */
export function attributeField(err: unknown): { index: number; field: DraftField } | null {
  if (!(err instanceof ApiError) || err.status !== 422) return null;
  const m = /^attributes\[(\d+)\](?:\.(name|type|options|labels|default))?/.exec(err.problem.field ?? "");
  if (!m) return null;
  return { index: Number(m[1]), field: (m[2] as DraftField | undefined) ?? "name" };
}

/** `list` with the entry at `i` moved by `by` places (unchanged when that leaves the list). */
export function moved<T>(list: readonly T[], i: number, by: number): T[] {
  const j = i + by;
  if (i < 0 || i >= list.length || j < 0 || j >= list.length) return [...list];
  const out = [...list];
  const [row] = out.splice(i, 1);
  out.splice(j, 0, row as T);
  return out;
}

/**
 * The drafts after class `from` is renamed to `to` in the label editor: an attribute that names `from` names `to`
 * instead (once, in the same place), so a rename does not leave it naming a class that is gone. The page maps from
 * the drafts as they were when the rename began, on every keystroke, so a name typed on the way that is another
 * class's (renaming "cart" through "car" to "cars") merges nothing for good. A blank name is no rename (the class
 * is being retyped): the drafts come back as they were.
 */
export function followRename(drafts: readonly AttributeDraft[], from: string, to: string): AttributeDraft[] {
  const [a, b] = [from.trim(), to.trim()];
  if (!a || !b || a === b) return [...drafts];
  return drafts.map((d) =>
    d.labels.includes(a) ? { ...d, labels: [...new Set(d.labels.map((n) => (n === a ? b : n)))] } : d,
  );
}

/** An attribute's use as GET /projects/{id}/stats?attributes=true gives it: annotations holding a value, per option. */
export interface AttributeUsage {
  used: number;
  options?: Record<string, number>;
}
export type UsageByName = Record<string, AttributeUsage>;

/** The `attributes` of a stats response (an empty record when it has none). */
export function readUsage(stats: unknown): UsageByName {
  const raw = (stats as { attributes?: unknown } | null)?.attributes;
  return raw && typeof raw === "object" ? (raw as UsageByName) : {};
}

const shapes = (n: number): string => `${n} ${n === 1 ? "shape" : "shapes"}`;

/** "used on 12 shapes", "used on 1 shape", "not used yet". */
export function usageText(n: number | undefined): string {
  return n ? `used on ${shapes(n)}` : "not used yet";
}

/** Per option a saved choice has, how many shapes hold it, marking those the draft no longer lists. */
export function optionUsage(d: AttributeDraft, usage: UsageByName): { option: string; n: number; removed: boolean }[] {
  const counts = usage[d.name.trim()]?.options;
  if (!counts || d.type !== "select") return [];
  const kept = optionsOf(d);
  return Object.entries(counts).map(([option, n]) => ({ option, n, removed: !kept.includes(option) }));
}

const TYPE_NOUN: Record<AttributeType, string> = {
  text: "text",
  number: "a number",
  bool: "yes or no",
  select: "one of its options",
};

/**
 * What a save would change about attributes annotations use, as the sentences the person confirms before it: an
 * attribute in use that is removed (or renamed: its values stay under the old name), one whose type changes, an
 * option in use that is removed. Values are never rewritten; the sentences say what happens to them. Empty when
 * the save touches nothing in use.
 */
export function changesToConfirm(
  saved: readonly AttributeSpec[],
  drafts: readonly AttributeDraft[],
  usage: UsageByName,
): string[] {
  const out: string[] = [];
  for (const spec of saved) {
    const use = usage[spec.name];
    if (!use?.used) continue;
    const d = drafts.find((x) => x.name.trim() === spec.name);
    const hold = `${shapes(use.used)} ${use.used === 1 ? "holds" : "hold"} a value for “${spec.name}”`;
    if (!d) {
      out.push(`${hold}: they keep it, but no editor offers or checks “${spec.name}” once it is removed.`);
    } else if (d.type !== spec.type) {
      out.push(`${hold}: they keep it, and the editor flags any that is not ${TYPE_NOUN[d.type]} until someone changes it.`);
    } else if (spec.type === "select") {
      const kept = optionsOf(d);
      for (const [option, n] of Object.entries(use.options ?? {})) {
        if (n && !kept.includes(option)) {
          out.push(`${shapes(n)} ${n === 1 ? "holds" : "hold"} “${option}”: they keep the value, and the editor flags it until someone changes it.`);
        }
      }
    }
  }
  return out;
}
