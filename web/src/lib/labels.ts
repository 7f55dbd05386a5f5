// The project's label schema as the UI reads it (the `label_schema` JSON of a project), and its defaults.

import type { AnnotationKind, ItemKind, Project } from "./api/client";
import { readSpecs, type AttributeSpec } from "./attributes";
import { hotkeyClash } from "./classHotkeys";
import { keypointProblem, readDecl } from "./keypointSchema";

export interface LabelClass {
  name: string;
  color: string;
  hotkey: string | null;
  /** The named points of the class's keypoints annotations, in order (see keypointSchema.ts). */
  keypoints?: string[];
  /** Edges between those points, as 0-based index pairs. */
  skeleton?: [number, number][];
}

export interface LabelSchema {
  classes: LabelClass[];
  kinds: AnnotationKind[];
  /** The attributes annotations may carry (what the editors show per annotation). */
  attributes?: AttributeSpec[];
}

/**
 * The server's palette (domain/schema.py, which says how it was made), so classes made here look like classes an
 * import made: 80 colours told apart from each other (COCO's 80 classes), none pale, each visible on the dark
 * editor stage; beyond 80 they repeat.
 */
export const PALETTE = [
  "#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#46f0f0", "#f032e6", "#bcf60c",
  "#008080", "#9a6324", "#a0379b", "#ff9bff", "#a57dff", "#9100ff", "#00a5ff", "#dc73a5",
  "#c3b419", "#008200", "#00e100", "#00c8b4", "#87e18c", "#969128", "#ffb96e", "#dc0096",
  "#ff9baa", "#aa4155", "#64c8ff", "#8c69be", "#be00d7", "#b9aaff", "#cd6955", "#2387c3",
  "#ff4600", "#00a07d", "#c35ac8", "#ff3c8c", "#e173ff", "#7d5fff", "#0069a5", "#8241c8",
  "#b45f8c", "#6e780a", "#0082ff", "#c83c00", "#87c814", "#ff6e73", "#788cdc", "#b950ff",
  "#ff64cd", "#5a3cff", "#d2d269", "#00aac8", "#c87d00", "#0fd27d", "#00f57d", "#559600",
  "#c387d7", "#87b969", "#c30a69", "#645aaa", "#ff05b4", "#7daafa", "#eba00a", "#f08ccd",
  "#0055ff", "#afdc32", "#dc5578", "#d705ff", "#1e8755", "#00e6be", "#00c81e", "#00d7e6",
  "#ffc300", "#be9b37", "#ff9b73", "#a54bd2", "#e14baa", "#be05aa", "#c80532", "#8caa00",
] as const;

export const ANNOTATION_KINDS: AnnotationKind[] = ["box", "polygon", "mask", "keypoints", "class", "span", "track_box"];

export const KIND_TITLES: Record<AnnotationKind, string> = {
  box: "Boxes",
  polygon: "Polygons",
  mask: "Masks",
  keypoints: "Keypoints",
  class: "Whole-item classes",
  span: "Text spans",
  track_box: "Track boxes (video)",
};

/** The annotation kinds that make sense for each item kind: what a new project offers checked. */
export const DEFAULT_KINDS: Record<ItemKind, AnnotationKind[]> = {
  image: ["box", "polygon", "class"],
  video: ["track_box", "box", "class"],
  text: ["class", "span"],
  volume: ["mask", "class"],
};

/** The kinds that apply to an item kind at all (the others are not offered). */
export const APPLICABLE_KINDS: Record<ItemKind, AnnotationKind[]> = {
  image: ["box", "polygon", "mask", "keypoints", "class"],
  video: ["track_box", "box", "polygon", "class"],
  text: ["class", "span"],
  volume: ["mask", "class"],
};

/** Reads a project's label schema defensively (older rows may lack a member). */
export function schemaOf(project: Pick<Project, "label_schema">): LabelSchema {
  const raw = project.label_schema as { classes?: unknown; kinds?: unknown; attributes?: unknown };
  const classes = Array.isArray(raw.classes)
    ? raw.classes.map((c: { name?: unknown; color?: unknown; hotkey?: unknown; keypoints?: unknown; skeleton?: unknown }, i: number) => ({
        name: String(c.name ?? ""),
        color: typeof c.color === "string" ? c.color : (PALETTE[i % PALETTE.length] ?? "#888888"),
        hotkey: typeof c.hotkey === "string" ? c.hotkey : null,
        ...declared(c),
      }))
    : [];
  const kinds = Array.isArray(raw.kinds) ? (raw.kinds as AnnotationKind[]) : [...ANNOTATION_KINDS];
  const attributes = readSpecs(Array.isArray(raw.attributes) ? (raw.attributes as Record<string, unknown>[]) : []);
  return { classes, kinds, attributes };
}

/** A stored class's keypoints and skeleton, when it declares any (a class without them reads as before). */
function declared(c: { keypoints?: unknown; skeleton?: unknown }): Pick<LabelClass, "keypoints" | "skeleton"> {
  const d = readDecl(c);
  return d.keypoints.length ? d : {};
}

/** Which field of a class row a problem is about (the one to outline), or null when the row is fine. */
export type ClassField = "name" | "color" | "hotkey" | "keypoints";

/**
 * Problems with a list of classes a person is editing, one per row: the message and the field it is about. `kind`
 * is the project's item kind: a hotkey is checked against the keys of the editor its items open in.
 */
function classIssues(classes: LabelClass[], kind: ItemKind): { text: string; field: ClassField | null }[] {
  const names = new Map<string, number>();
  const keys = new Map<string, number>();
  for (const c of classes) {
    const n = c.name.trim().toLowerCase();
    names.set(n, (names.get(n) ?? 0) + 1);
    if (c.hotkey) keys.set(c.hotkey.toLowerCase(), (keys.get(c.hotkey.toLowerCase()) ?? 0) + 1);
  }
  return classes.map((c) => {
    const n = c.name.trim();
    const key = c.hotkey?.toLowerCase() ?? "";
    if (!n) return { text: "Give the class a name.", field: "name" };
    if ((names.get(n.toLowerCase()) ?? 0) > 1) return { text: `Two classes are called “${n}”.`, field: "name" };
    if (!/^#[0-9a-fA-F]{6}$/.test(c.color)) return { text: "The colour must look like #RRGGBB.", field: "color" };
    if (key && key.length !== 1) return { text: "A hotkey is a single key.", field: "hotkey" };
    // An editor ignores a class hotkey that is one of its own keys: say so here, not silently there.
    const clash = key ? hotkeyClash(key, kind, keys.keys()) : null;
    if (clash) return { text: clash, field: "hotkey" };
    if (key && (keys.get(key) ?? 0) > 1) return { text: `Hotkey ${c.hotkey} is used twice.`, field: "hotkey" };
    const kp = keypointProblem(c);
    if (kp) return { text: kp, field: "keypoints" };
    return { text: "", field: null };
  });
}

/**
 * Problems with a list of classes a person is editing, keyed by row index ("" when the row is fine), for a project
 * whose items are `kind` (which editor's keys a hotkey must not be).
 */
export function classProblems(classes: LabelClass[], kind: ItemKind = "image"): string[] {
  return classIssues(classes, kind).map((p) => p.text);
}

/** The field to outline in each row (`classProblems` says why): the hotkey of every row sharing a hotkey, say. */
export function classProblemFields(classes: LabelClass[], kind: ItemKind = "image"): (ClassField | null)[] {
  return classIssues(classes, kind).map((p) => p.field);
}

/** The next unused palette colour and digit hotkey, for a class added to ``classes``. */
export function nextClass(classes: LabelClass[]): LabelClass {
  const colors = new Set(classes.map((c) => c.color.toLowerCase()));
  const keys = new Set(classes.map((c) => c.hotkey));
  const color = PALETTE.find((p) => !colors.has(p)) ?? PALETTE[classes.length % PALETTE.length] ?? "#888888";
  const hotkey = "123456789".split("").find((d) => !keys.has(d)) ?? null;
  return { name: "", color, hotkey };
}
