/**
 * The changes to one track that undo can send back and forth, as data, and the change that undoes each. The
 * inverse is read from the track as the editor shows it just before the change (its own optimistic update not
 * yet applied), so it puts back what the person saw: a keyframe box, an outside keyframe, or no keyframe (the
 * server then propagates the frame again), a label, or attribute values. Pure, tested without a browser.
 */

import { undoFrameOp, type FrameValueOp } from './frame-attributes';
import { stateAt } from './states';
import { undoChanges } from './track-attributes';
import type { AttributeChanges, Track } from './types';

export type TrackOp =
  /** `PUT .../keyframes/{frame}`: a keyframe with `box`, or outside when it is null. */
  | { op: 'keyframe'; frame: number; box: number[] | null }
  /** `DELETE .../keyframes/{frame}`. */
  | { op: 'unkeyframe'; frame: number }
  /** `PATCH .../tracks/{id}` with a label, and the attribute values the new label changes (dropped: null). */
  | { op: 'relabel'; label: string; attributes?: AttributeChanges }
  /** `PATCH .../tracks/{id}` with attribute values for the whole track (null: unset). */
  | { op: 'attributes'; values: AttributeChanges }
  /** `PATCH .../tracks/{id}` with `frame_attributes`: one per-frame value on frames `from`..`to`. */
  | { op: 'frame'; change: FrameValueOp };

/** The op that makes frame `f` of `t` what it is now. */
export function frameAsIs(t: Track, f: number): TrackOp {
  const st = stateAt(t.states, f);
  if (st === 'x') return { op: 'keyframe', frame: f, box: null };
  const b = t.boxes[f];
  if (st === 'k' && b && b.length === 4) return { op: 'keyframe', frame: f, box: [...b] };
  // Propagated, system-outside or not yet filled in: not a keyframe, so undo removes the one the change adds.
  return { op: 'unkeyframe', frame: f };
}

/** The op that undoes `op` on `t`, where `t` is the track before `op`. */
export function inverseOf(t: Track, op: TrackOp): TrackOp {
  switch (op.op) {
    case 'keyframe':
    case 'unkeyframe':
      return frameAsIs(t, op.frame);
    case 'relabel':
      return op.attributes && Object.keys(op.attributes).length > 0
        ? { op: 'relabel', label: t.label, attributes: undoChanges(t, op.attributes) }
        : { op: 'relabel', label: t.label };
    case 'attributes':
      return { op: 'attributes', values: undoChanges(t, op.values) };
    case 'frame':
      return { op: 'frame', change: undoFrameOp(t, op.change) };
  }
}
