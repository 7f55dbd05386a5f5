/**
 * A track's per-frame ("mutable") attributes in the video editor. The server sends each one's value on every frame
 * (`frame_attributes`); a person sets a value on the current frame and it holds from there up to the next frame
 * where the value changes (`PATCH .../tracks/{id}` with `frame_attributes`). What the panel's "On this frame"
 * section shows, the "from frame 37" hint, the frames the timeline marks, the request a change sends (with the
 * frames it covers, so undo puts back exactly those) and the value shown before the server answers. Pure, tested
 * without a browser.
 */

import { appliesTo, type AttributeSpec, type AttributeValue } from '../attributes';
import { attributePanel, type AttributePanelModel } from '../editor/attribute-panel';
import type { Track } from './types';

/** A change of one per-frame value: `value` (null: unset) on frames `from`..`to`. */
export interface FrameValueOp {
  name: string;
  from: number;
  to: number;
  value: AttributeValue | null;
}

/** The declared per-frame attributes (those that apply to `label`, when given). */
export function mutableSpecs(specs: readonly AttributeSpec[], label?: string): AttributeSpec[] {
  return specs.filter((s) => s.mutable === true && (label === undefined || appliesTo(s, label)));
}

/** The declared whole-track attributes. */
export function trackSpecs(specs: readonly AttributeSpec[]): AttributeSpec[] {
  return specs.filter((s) => s.mutable !== true);
}

/** `t` has a box (shown or outside) on frame `f`. */
export function hasBox(t: Track, f: number): boolean {
  const st = t.states[f];
  return st !== undefined && st !== '-';
}

/** `name`'s value on frame `f` of `t` (null: unset, or no box there). */
export function valueAt(t: Track, name: string, f: number): AttributeValue | null {
  return t.frame_attributes?.[name]?.[f] ?? null;
}

/** The first frame of the run of equal values (over frames with a box) that frame `f` is in. */
export function runStart(t: Track, name: string, f: number): number {
  const v = valueAt(t, name, f);
  let start = f;
  while (start > 0 && hasBox(t, start - 1) && valueAt(t, name, start - 1) === v) start--;
  return start;
}

/** The last frame of the run of equal values (over frames with a box) that frame `f` is in. */
export function runEnd(t: Track, name: string, f: number): number {
  const v = valueAt(t, name, f);
  const n = t.states.length;
  let end = f;
  while (end + 1 < n && hasBox(t, end + 1) && valueAt(t, name, end + 1) === v) end++;
  return end;
}

/** The hint beside a value: where it was set ("from frame 37"), or null at the track's first frame and unset. */
export function setFromHint(t: Track, name: string, f: number): string | null {
  if (!hasBox(t, f)) return null;
  const start = runStart(t, name, f);
  const first = t.states.search(/[^-]/);
  if (start === first && valueAt(t, name, f) === null) return null;
  return `from frame ${start}`;
}

/** The frames where any per-frame value changes (value keyframes), ascending: the timeline's ticks. */
export function valueChanges(t: Track): number[] {
  const out: number[] = [];
  const names = Object.keys(t.frame_attributes ?? {});
  for (let f = 1; f < t.states.length; f++) {
    if (!hasBox(t, f) || !hasBox(t, f - 1)) continue;
    if (names.some((n) => valueAt(t, n, f) !== valueAt(t, n, f - 1))) out.push(f);
  }
  return out;
}

/** The "On this frame" section for the selected track `t` on frame `f` (null: none, or no per-frame attribute). */
export function framePanel(specs: readonly AttributeSpec[], t: Track | null, f: number): AttributePanelModel | null {
  if (!t || mutableSpecs(specs).length === 0) return null;
  const mine = mutableSpecs(specs);
  const values: Record<string, AttributeValue> = {};
  for (const s of mine) {
    const v = valueAt(t, s.name, f);
    if (v !== null) values[s.name] = v;
  }
  const model = attributePanel(mine, [{ key: String(t.track_id), label: t.label, attributes: values }]);
  const target = `track ${t.track_id}, frame ${f}`;
  if (model.empty !== null) return { ...model, target, empty: `No per-frame attributes apply to ${t.label} tracks.` };
  if (!hasBox(t, f)) return { ...model, target, rows: [], empty: `Track ${t.track_id} has no box on frame ${f} yet.` };
  return { ...model, target };
}

/** The change setting `name` to `value` from frame `f` on, up to the next change; null when it holds already. */
export function setFromOp(t: Track, name: string, f: number, value: AttributeValue | null): FrameValueOp | null {
  if (!hasBox(t, f) || valueAt(t, name, f) === value) return null;
  return { name, from: f, to: runEnd(t, name, f), value };
}

/** The change that undoes `op` on `t` (as `t` is before it): the value each frame held, frame by frame. Every
 * frame of `op` held one value (a run), so one change puts them back. */
export function undoFrameOp(t: Track, op: FrameValueOp): FrameValueOp {
  return { ...op, value: valueAt(t, op.name, op.from) };
}

/** `t` with `op` made: what the editor shows before the server answers. */
export function withFrameValue(t: Track, op: FrameValueOp): Track {
  const now = t.frame_attributes?.[op.name] ?? new Array<AttributeValue | null>(t.states.length).fill(null);
  const next = now.map((v, f) => (f >= op.from && f <= op.to && hasBox(t, f) ? op.value : v));
  return { ...t, frame_attributes: { ...t.frame_attributes, [op.name]: next } };
}

/** The op in words ("set occluded to true from frame 10"). */
export function frameOpWords(op: FrameValueOp, trackId: number): string {
  const what = op.value === null ? `clear ${op.name}` : `set ${op.name} to ${String(op.value)}`;
  return `${what} from frame ${op.from} on track ${trackId}`;
}
