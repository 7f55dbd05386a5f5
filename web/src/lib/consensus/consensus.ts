// Words and numbers of consensus labelling the pages show; pure, tested in consensus.test.ts.

/** An agreement (0..1) as a percentage, "—" when there is none. */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`;
}

/** The tone of an agreement: low under 0.5, fair under 0.8, else good. */
export function tone(value: number | null | undefined): "low" | "fair" | "good" | "none" {
  if (value === null || value === undefined) return "none";
  return value < 0.5 ? "low" : value < 0.8 ? "fair" : "good";
}

/** The status line of an item under consensus, as its labeller sees it. */
export function progressText(state: { overlap: number; submitted_count: number; you_submitted: boolean }): string {
  const who = state.you_submitted ? "You submitted your labels" : "Your own labels: nobody else sees them";
  return `${who} · ${state.submitted_count} of ${state.overlap} people submitted`;
}

/** One summary of what a call to put items under consensus did. */
export function setText(overlap: number, changed: number, skipped: { reason: string; count: number }[]): string {
  const what = overlap >= 2 ? `now labelled by ${overlap} people each` : "back to ordinary labelling";
  const items = `${changed.toLocaleString("en-US")} item${changed === 1 ? "" : "s"} ${what}`;
  const left = skipped.map((s) => `${s.count.toLocaleString("en-US")} skipped: ${s.reason}`);
  return [items, ...left].join("; ");
}

/** A label of one annotation of a replica, for the reviewer's list ("box cat", "span PER 4–12"). */
export function describe(a: { kind: string; label?: string | null; geometry?: Record<string, unknown> }): string {
  const g = a.geometry ?? {};
  const label = a.label ?? "";
  if (a.kind === "span" && typeof g.start === "number" && typeof g.end === "number") return `span ${label} ${g.start}–${g.end}`;
  if (a.kind === "box" && Array.isArray(g.bbox)) return `box ${label} [${(g.bbox as number[]).map((v) => Math.round(v)).join(", ")}]`;
  if (a.kind === "class") return `tag ${label}`;
  return `${a.kind} ${label}`.trim();
}

/** A box or polygon of one person's labels, to draw over the image (image pixels). */
export interface OverlayShape {
  label: string;
  box: number[] | null;
  points: number[] | null;
}

/** The boxes and polygons among a replica's labels (class tags and spans have nothing to draw). */
export function overlayShapes(annotations: readonly { kind: string; label?: string | null; geometry?: Record<string, unknown> }[]): OverlayShape[] {
  const out: OverlayShape[] = [];
  for (const a of annotations) {
    const g = a.geometry ?? {};
    if (a.kind === "box" && Array.isArray(g.bbox)) out.push({ label: a.label ?? "", box: g.bbox as number[], points: null });
    else if (a.kind === "polygon" && Array.isArray(g.points)) out.push({ label: a.label ?? "", box: null, points: g.points as number[] });
  }
  return out;
}
