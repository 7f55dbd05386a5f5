// Colours of the embedding map's points: each label gets its class colour from the project's schema, a label
// the schema does not know gets a stable colour from the palette (by its name, so it keeps it across reloads),
// and items without a label are grey. The legend lists the labels by how many points have them. Two labels of a
// map never share a colour while there are colours left: a label whose colour a larger one already has (classes
// beyond the 80 schema colours repeat them, and a schema may set any) takes the next free one of MAP_PALETTE, so
// up to 84 labels are told apart.

import { PALETTE, type LabelClass } from "../labels";

export const UNLABELLED = "#a3abb8";

/** The schema's 80 colours and four more that stand apart from the unlabelled grey. */
export const MAP_PALETTE: readonly string[] = [...PALETTE, "#808000", "#ffd8b1", "#000075", "#2b2b2b"];

export interface LegendEntry {
  label: string | null;
  color: string;
  count: number;
}

/** A stable index into the palette for a name (FNV-1a). */
function hash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The colour of a point with `label`, given the project's classes. */
export function colorOf(label: string | null | undefined, classes: readonly LabelClass[]): string {
  if (label == null || label === "") return UNLABELLED;
  const known = classes.find((c) => c.name === label);
  if (known) return known.color;
  return PALETTE[hash(label) % PALETTE.length] ?? UNLABELLED;
}

/** The legend: one entry per label present, most points first, the unlabelled entry last; ties by name. */
export function legendOf(labels: readonly (string | null)[], classes: readonly LabelClass[]): LegendEntry[] {
  const counts = new Map<string | null, number>();
  for (const l of labels) {
    const key = l === "" ? null : l;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const entries = [...counts].map(([label, count]) => ({ label, count, color: colorOf(label, classes) }));
  entries.sort((a, b) => {
    if ((a.label === null) !== (b.label === null)) return a.label === null ? 1 : -1;
    return b.count - a.count || String(a.label).localeCompare(String(b.label));
  });
  // The larger label keeps a shared colour; the others take free ones (once all are taken, colours repeat).
  const used = new Set<string>([UNLABELLED]);
  for (const e of entries) {
    if (e.label === null) continue;
    const mine = e.color.toLowerCase();
    if (used.has(mine)) e.color = MAP_PALETTE.find((c) => !used.has(c.toLowerCase())) ?? e.color;
    used.add(e.color.toLowerCase());
  }
  return entries;
}
