// The label mapping of a connected model, as a person types it: one `model label = project label` a line.
// Blank lines and lines starting with `#` are skipped; spaces around the names are trimmed. The result is the
// `labels` object of a registration (model class index or name -> project label), or the first bad line.

export type LabelMap = Record<string, string>;

export type ParsedLabelMap =
  | { ok: true; labels: LabelMap; count: number }
  | { ok: false; line: number; error: string };

/** Parse the mapping; `error` names its line (1-based, as an editor counts) and what is wrong with it. */
export function parseLabelMap(text: string): ParsedLabelMap {
  const labels: LabelMap = {};
  const seenOn = new Map<string, number>();
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    const n = i + 1;
    const raw = line.trim();
    if (raw === "" || raw.startsWith("#")) continue;
    const eq = raw.indexOf("=");
    if (eq < 0) return bad(n, `"${clip(raw)}" has no "=": write model label = project label`);
    const from = raw.slice(0, eq).trim();
    const to = raw.slice(eq + 1).trim();
    if (!from) return bad(n, "the model label (left of \"=\") is empty");
    if (!to) return bad(n, `"${clip(from)}" maps to nothing (right of "=" is empty)`);
    const first = seenOn.get(from);
    if (first !== undefined) return bad(n, `"${clip(from)}" is already mapped on line ${first}`);
    seenOn.set(from, n);
    labels[from] = to;
  }
  return { ok: true, labels, count: seenOn.size };
}

const bad = (line: number, what: string): ParsedLabelMap => ({ ok: false, line, error: `Line ${line}: ${what}` });
const clip = (s: string): string => (s.length > 40 ? `${s.slice(0, 39)}…` : s);
