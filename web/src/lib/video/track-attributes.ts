/**
 * A track's attributes in the video editor: one value per attribute for the whole track, set on every box of it
 * by the server (`PATCH .../tracks/{id}` with `attributes`). What the panel's "Attributes" section shows for the
 * selected track (the image editor's rows, `../editor/attribute-panel.ts`), the values a change sends, and the
 * values that put the track back as it was (undo). Pure, tested without a browser.
 */

import { defaultsFor, relabelled, type AttributeSpec, type AttributeValue } from '../attributes';
import { attributePanel, type AttributePanelModel } from '../editor/attribute-panel';
import type { AttributeChanges, Track } from './types';

/** The track's values (none: `{}`). */
export function valuesOf(t: Track): Record<string, AttributeValue> {
  return t.attributes ?? {};
}

/** The "Attributes" section for the selected track `t` (null: none selected). An attribute whose boxes differ is
 * shown as mixed; setting it sets one value on the whole track. */
export function trackAttributePanel(specs: readonly AttributeSpec[], t: Track | null): AttributePanelModel {
  if (!t) return { keys: [], target: '', rows: [], empty: 'Select a track to see and set its attributes.' };
  // Per-frame attributes have their own section (`frame-attributes.ts`): here the whole-track ones.
  const whole = specs.filter((s) => s.mutable !== true);
  const model = attributePanel(whole, [{ key: String(t.track_id), label: t.label, attributes: valuesOf(t) }]);
  const mixed = new Set(t.attributes_mixed ?? []);
  const rows = model.rows.map((r) => (mixed.has(r.spec.name) ? { ...r, value: null, mixed: true } : r));
  const target = `track ${t.track_id}`;
  const empty = model.empty === null ? null : `No attributes apply to ${t.label} tracks.`;
  return { ...model, target, rows, empty };
}

/** `t` with `changes` applied (null removes a value): what the editor shows before the server answers. */
export function withAttributes(t: Track, changes: AttributeChanges): Track {
  const next: Record<string, AttributeValue> = { ...valuesOf(t) };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  const mixed = (t.attributes_mixed ?? []).filter((n) => !(n in changes));
  return { ...t, attributes: next, attributes_mixed: mixed };
}

/** The values that undo `changes` on `t` (as `t` is before them): each name's value now, or null when unset. A
 * name whose boxes held different values (mixed) is left out: one value for the track cannot bring them back, and
 * null would wipe them (the person was asked before setting it, `mixedWarning`). */
export function undoChanges(t: Track, changes: AttributeChanges): AttributeChanges {
  const now = valuesOf(t);
  const mixed = new Set(t.attributes_mixed ?? []);
  return Object.fromEntries(Object.keys(changes).filter((k) => !mixed.has(k)).map((k) => [k, now[k] ?? null]));
}

/** What to ask before `changes` replace values that differ between `t`'s boxes, or null when none do. */
export function mixedWarning(t: Track, changes: AttributeChanges): string | null {
  const mixed = Object.keys(changes).filter((k) => (t.attributes_mixed ?? []).includes(k));
  if (mixed.length === 0) return null;
  const names = mixed.map((k) => `'${k}'`).join(', ');
  return (
    `${names} ${mixed.length === 1 ? 'differs' : 'differ'} between the boxes of track ${t.track_id}. Setting it gives ` +
    'every box the same value, and undo cannot bring the per-box values back. Set it anyway?'
  );
}

/** What relabelling `t` as `label` does to its whole-track values (the web's `relabelled` rule): the values the new
 * label does not take go (null), its defaults fill what is unset. Empty when nothing changes. */
export function relabelChanges(specs: readonly AttributeSpec[], t: Track, label: string): AttributeChanges {
  const before = valuesOf(t);
  // Whole-track attributes only: a per-frame one's default sent here would replace its values on every frame (the
  // server drops the per-frame values the new label does not take).
  const after = relabelled(
    specs.filter((s) => s.mutable !== true),
    before,
    label,
  );
  const out: AttributeChanges = {};
  for (const k of Object.keys(before)) if (!(k in after)) out[k] = null;
  for (const [k, v] of Object.entries(after)) if (before[k] !== v) out[k] = v as AttributeValue;
  return out;
}

/** The values a new track labelled `label` starts with: the defaults of the attributes it takes. */
export function newTrackValues(specs: readonly AttributeSpec[], label: string): Record<string, AttributeValue> {
  return defaultsFor(specs, label);
}
