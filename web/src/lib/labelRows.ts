// The rows of the project page's label panel: every class of the schema, with labels only annotations know
// (e.g. after a schema edit) at the end. The number is what people can rely on (accepted labels; tracks in a
// video project, not a box per frame); proposals still to review are shown apart, rejected ones not at all.
//
// The counts come from the project's stats, the slow request of a big project: until they arrive a row's number
// is null (shown as a placeholder), never a 0 that is not true. Once they are in, a class without annotations
// does count 0.

import type { LabelClass } from "./labels";
import type { Stats } from "./stats";

export interface LabelRow {
  name: string;
  color: string;
  /** Accepted labels (or tracks); null while the counts are not known. */
  count: number | null;
  /** Proposals still to review (0 for tracks); null while not known. */
  proposed: number | null;
}

export interface LabelRows {
  rows: LabelRow[];
  /** The counts are of tracks (a video project), not of labels. */
  tracked: boolean;
  /** The largest count (at least 1), for the bars. */
  max: number;
}

const UNKNOWN_CLASS_COLOR = "#98a2b3";

export function labelRows(stats: Pick<Stats, "labels"> | null, classes: LabelClass[]): LabelRows {
  if (stats === null) {
    // Schema order: there is nothing to sort by yet.
    return { rows: classes.map((c) => ({ name: c.name, color: c.color, count: null, proposed: null })), tracked: false, max: 1 };
  }
  const counts = stats.labels;
  const tracked = Object.values(counts).some((l) => l.tracks > 0);
  const row = (name: string, color: string): LabelRow => {
    const c = counts[name];
    return { name, color, count: (tracked ? c?.tracks : c?.accepted) ?? 0, proposed: tracked ? 0 : (c?.proposed ?? 0) };
  };
  const rows = classes.map((c) => row(c.name, c.color));
  for (const name of Object.keys(counts)) if (!classes.some((c) => c.name === name)) rows.push(row(name, UNKNOWN_CLASS_COLOR));
  rows.sort((a, b) => (b.count ?? 0) - (a.count ?? 0) || a.name.localeCompare(b.name));
  return { rows, tracked, max: Math.max(1, ...rows.map((r) => r.count ?? 0)) };
}

/** A count as the panel shows it: the number, or a placeholder while loading ("…") or after a failure ("—"). */
export function countLabel(n: number | null | undefined, failed: boolean): string {
  if (n === null || n === undefined) return failed ? "—" : "…";
  return n.toLocaleString("en-US");
}
