/**
 * What the video editor's keys and drags do to tracks, as requests through the session (`session.svelte.ts`):
 * a new track from a drawn box, a keyframe from a moved box or from `k`, outside from `o`, removing a keyframe,
 * relabelling and deleting a track, and undoing and redoing them (split and merge: `track-ops.ts`). Each says in
 * words what it does (the conflict panel, the error toasts and "Undid: …" repeat it), and shows at once where it
 * can.
 *
 * Each change that the server takes becomes a step of the session's undo history (`history.ts`), whose undo is
 * the inverse change (`inverse.ts`) read from the track just before this one showed; a deleted track is brought
 * back by the server from the copy it kept (`restore.ts`). Undo and redo go through `VideoSession.edit` like the
 * first change, so they get the same versions, conflict panel and re-propagation; one the server refuses is said
 * in the notice and drops the steps of its track that no longer match (`refusal.ts`). A step's words are made
 * from its track's ref when shown, so they name the id a track made again has now.
 */

import type { AttributeValue } from '../attributes';
import { ask, type Asker } from '../confirm.svelte';
import { stepTracks, type Step, type TrackRef } from './history';
import { inverseOf, type TrackOp } from './inverse';
import { refusable } from './refusal';
import { sendRestorable } from './restore';
import type { Answer, Edit, VideoSession } from './session.svelte';
import { boxAt, isKeyframeState, isLastBoxKeyframe, stateAt, withKeyframe } from './states';
import { frameOpWords, setFromOp, withFrameValue } from './frame-attributes';
import { mixedWarning, newTrackValues, relabelChanges, withAttributes } from './track-attributes';
import type { AttributeChanges, Box, Method, Track } from './types';

const round2 = (v: number): number => Math.round(v * 100) / 100;

/** A box as the API takes it: rounded to 1/100 pixel, inside the frame. */
export function apiBox(b: Box, width: number, height: number): number[] {
  const cl = (v: number, hi: number): number => round2(Math.min(hi, Math.max(0, v)));
  return [cl(b[0], width), cl(b[1], height), cl(b[2], width), cl(b[3], height)];
}

/** `op` on the track `ref` points to, as a request through the session. */
function opEdit(s: VideoSession, ref: TrackRef, op: TrackOp, what: string, saved?: (a: Answer) => void): Edit {
  switch (op.op) {
    case 'keyframe': {
      const b = op.box;
      return {
        what,
        saved,
        local: () => {
          const cur = s.track(ref.id);
          if (cur) s.putTrack(withKeyframe(cur, op.frame, b ? [b[0]!, b[1]!, b[2]!, b[3]!] : null));
        },
        send: (version) => s.server.setKeyframe(ref.id, op.frame, version, b),
      };
    }
    case 'unkeyframe':
      // No local change: only the server's propagation knows what the frame becomes.
      return { what, saved, send: (version) => s.server.removeKeyframe(ref.id, op.frame, version) };
    case 'relabel': {
      const changes = op.attributes && Object.keys(op.attributes).length > 0 ? op.attributes : undefined;
      return {
        what,
        saved,
        local: () => {
          const cur = s.track(ref.id);
          if (cur) s.putTrack(changes ? withAttributes({ ...cur, label: op.label }, changes) : { ...cur, label: op.label });
        },
        send: (version) => s.server.relabel(ref.id, version, op.label, changes),
      };
    }
    case 'attributes':
      return {
        what,
        saved,
        local: () => {
          const cur = s.track(ref.id);
          if (cur) s.putTrack(withAttributes(cur, op.values));
        },
        send: (version) => s.server.relabel(ref.id, version, null, op.values),
      };
    case 'frame': {
      const c = op.change;
      return {
        what,
        saved,
        local: () => {
          const cur = s.track(ref.id);
          if (cur) s.putTrack(withFrameValue(cur, c));
        },
        send: (version) => s.server.setFrameValues(ref.id, version, c.from, c.to, { [c.name]: c.value }),
      };
    }
  }
}

/**
 * Send `op` on `t`; once saved, it can be undone. The inverse is read now, before the change shows. A locked track
 * (`flags.ts`) refuses it here with a notice, as every change below does before it asks or sends anything.
 * `words` says the change for the track's id (then, and whenever the step is shown).
 */
function recorded(s: VideoSession, t: Track, op: TrackOp, words: (id: number) => string): Promise<Answer | null> {
  if (s.refusesChanges([t.track_id])) return Promise.resolve(null);
  const ref = s.history.ref(t.track_id);
  const back = inverseOf(s.track(t.track_id) ?? t, op);
  const what = (): string => words(ref.id);
  const step: Step = {
    get what() {
      return what();
    },
    track: ref,
    undo: (done) => s.edit(refusable(s, 'undo', what, [ref], opEdit(s, ref, back, `undo: ${what()}`, done))),
    redo: (done) => s.edit(refusable(s, 'redo', what, [ref], opEdit(s, ref, op, `redo: ${what()}`, done))),
  };
  return s.edit(opEdit(s, ref, op, what(), () => s.history.push(step)));
}

/** A new track from a box drawn on frame `frame`; propagation starts on the server. */
export async function createTrack(s: VideoSession, label: string, frame: number, box: Box, method: Method = 'track'): Promise<Track | null> {
  const b = apiBox(box, s.width, s.height);
  const what = `add a ${label} track on frame ${frame}`;
  const values = newTrackValues(s.attributes, label);
  const attributes = Object.keys(values).length > 0 ? values : undefined;
  const send = (version: number): Promise<Answer> =>
    s.server.create({ version, label, frame, box: b, propagate: true, method, ...(attributes ? { attributes } : {}) });
  const step = (ref: TrackRef): Step => ({
    what,
    track: ref,
    undo: (done) =>
      s.edit(
        refusable(s, 'undo', () => what, [ref], {
          what: `undo: ${what}`,
          local: () => s.dropTrack(ref.id),
          send: (v) => s.server.deleteTrack(ref.id, v),
          saved: done,
        }),
      ),
    // Made again, the track gets a new id: the steps after this one hold `ref` and follow it there.
    redo: (done) =>
      s.edit(
        refusable(s, 'redo', () => what, [ref], {
          what: `redo: ${what}`,
          send,
          saved: (r) => {
            if ('track' in r) {
              s.history.moveRef(ref, r.track.track_id);
              s.select(r.track.track_id);
            }
            done();
          },
        }),
      ),
  });
  const saved = (a: Answer): void => {
    if ('track' in a) s.history.push(step(s.history.ref(a.track.track_id)));
  };
  const r = await s.edit({ what, send, saved });
  if (!r || !('track' in r)) return null;
  s.select(r.track.track_id);
  return r.track;
}

function setKeyframe(s: VideoSession, t: Track, frame: number, box: Box | null, words: (id: number) => string): Promise<Answer | null> {
  return recorded(s, t, { op: 'keyframe', frame, box: box ? apiBox(box, s.width, s.height) : null }, words);
}

/** A moved or resized box: a keyframe on this frame (the frames around it are propagated again). */
export function setBox(s: VideoSession, t: Track, frame: number, box: Box, verb = 'move'): Promise<unknown> {
  return setKeyframe(s, t, frame, box, (id) => `${verb} the box of track ${id} on frame ${frame}`);
}

/** `k`: the shown propagated box becomes a keyframe as it is (an outside frame becomes an outside keyframe). */
export function makeKeyframe(s: VideoSession, t: Track, frame: number): Promise<unknown> | null {
  if (s.refusesChanges([t.track_id])) return null;
  const st = stateAt(t.states, frame);
  if (isKeyframeState(st)) {
    s.notify(`Frame ${frame} is a keyframe of track ${t.track_id} already`);
    return null;
  }
  const shown = boxAt(t, frame);
  if (!shown) {
    s.notify(`Track ${t.track_id} has no box on frame ${frame} yet: draw one, or wait for propagation`, 'warn');
    return null;
  }
  const words = (id: number): string => `make frame ${frame} a keyframe of track ${id}`;
  return setKeyframe(s, t, frame, shown.outside ? null : shown.box, words);
}

/** `o`: outside on this frame; on an outside frame, visible again where the object was last seen. */
export function toggleOutside(s: VideoSession, t: Track, frame: number): Promise<unknown> | null {
  if (s.refusesChanges([t.track_id])) return null;
  const shown = boxAt(t, frame);
  if (!shown) {
    s.notify(`Track ${t.track_id} has nothing on frame ${frame} yet`, 'warn');
    return null;
  }
  if (shown.outside) return setKeyframe(s, t, frame, shown.box, (id) => `show track ${id} again on frame ${frame}`);
  if (isLastBoxKeyframe(t, frame)) {
    s.notify('This is the track’s only keyframe with a box: draw the box on another frame first', 'warn');
    return null;
  }
  return setKeyframe(s, t, frame, null, (id) => `mark track ${id} outside on frame ${frame}`);
}

export type RemoveOutcome = 'removed' | 'not-keyframe' | 'last' | 'refused';

/**
 * Delete/Backspace: remove the keyframe on this frame. The last keyframe with a box cannot go (the server
 * refuses it): the caller asks whether to delete the whole track instead.
 */
export function removeKeyframe(s: VideoSession, t: Track, frame: number): RemoveOutcome {
  if (s.refusesChanges([t.track_id])) return 'refused';
  if (!t.keyframes.includes(frame)) {
    s.notify(`Frame ${frame} is not a keyframe of track ${t.track_id}; the nearest are listed in the panel`, 'warn');
    return 'not-keyframe';
  }
  if (isLastBoxKeyframe(t, frame)) return 'last';
  void recorded(s, t, { op: 'unkeyframe', frame }, (id) => `remove the keyframe of track ${id} on frame ${frame}`);
  return 'removed';
}

/**
 * Delete a whole track (every keyframe and propagated box), one undo step: its undo has the server bring the track
 * back as it was, with its id (`restore.ts`). A refused delete reloads the tracks.
 */
export function deleteTrack(s: VideoSession, id: number): Promise<Answer | null> {
  if (s.refusesChanges([id])) return Promise.resolve(null);
  const ref = s.history.ref(id);
  return sendRestorable(s, {
    what: () => `delete track ${ref.id}`,
    refs: [ref],
    local: () => s.dropTrack(ref.id),
    send: (version) => s.server.deleteTrack(ref.id, version),
    applied: () => s.history.release(ref.id),
    restored: () => {
      s.select(ref.id);
      s.notify(`Track ${ref.id} is back`);
    },
  });
}

export function relabel(s: VideoSession, id: number, label: string): Promise<Answer | null> | null {
  const t = s.track(id);
  if (!t || t.label === label) return null;
  const attributes = relabelChanges(s.attributes, t, label);
  const op = Object.keys(attributes).length > 0 ? { op: 'relabel' as const, label, attributes } : { op: 'relabel' as const, label };
  return recorded(s, t, op, (now) => `relabel track ${now} as ${label}`);
}

/**
 * Set attribute values on the whole track `id` (null unsets one): one undoable step, saved at once. Resolves null
 * (nothing sent) when the values are what the track has already, or when a value differs between the track's
 * boxes and the person, asked (`asker`: the app's dialog; a stand-in in unit tests), keeps them.
 */
export async function setTrackAttributes(
  s: VideoSession,
  id: number,
  values: AttributeChanges,
  asker: Asker = ask,
): Promise<Answer | null> {
  const t = s.track(id);
  if (!t) return null;
  const now = t.attributes ?? {};
  const mixed = new Set(t.attributes_mixed ?? []);
  const changes = Object.fromEntries(Object.entries(values).filter(([k, v]) => mixed.has(k) || (now[k] ?? null) !== v));
  if (Object.keys(changes).length === 0 || s.refusesChanges([id])) return null;
  const warning = mixedWarning(t, changes);
  if (warning !== null) {
    const ok = await asker({ title: 'Give every box the same value?', message: warning, confirm: 'Set on every box', danger: true });
    if (!ok) return null;
  }
  const words = Object.entries(changes)
    .map(([k, v]) => (v === null ? `clear ${k}` : `set ${k} to ${String(v)}`))
    .join(', ');
  return recorded(s, t, { op: 'attributes', values: changes }, (now) => `${words} on track ${now}`);
}

/**
 * Set a per-frame value of track `id` from frame `frame` on, up to the next frame where it changes (null unsets
 * it): one undoable step, saved at once. Returns null (nothing sent) when the frame holds that value already.
 */
export function setFrameValue(
  s: VideoSession,
  id: number,
  frame: number,
  name: string,
  value: AttributeValue | null,
): Promise<Answer | null> | null {
  const t = s.track(id);
  const change = t ? setFromOp(t, name, frame, value) : null;
  if (!t || !change) return null;
  return recorded(s, t, { op: 'frame', change }, (now) => frameOpWords(change, now));
}

/** What `relabelSelected` says once the server took the new label. */
export const relabelledText = (id: number, label: string): string => `Track ${id} is now '${label}' (Ctrl+Z undoes)`;

/**
 * A class chosen (`1`-`9`, or a click in the class list) while a track is selected relabels that track too.
 * People often press the key meaning the class of their next box, so once the server took the new label
 * `tell` says what happened and how to undo it. Nothing is sent, or said, without a selection or when the
 * track has that label already; a refused relabel is reported by the session as any refused change.
 */
export async function relabelSelected(s: VideoSession, label: string, tell: (text: string) => void): Promise<void> {
  const id = s.selected;
  const sent = id === null ? null : relabel(s, id, label);
  if (id !== null && sent && (await sent)) tell(relabelledText(id, label));
}

/**
 * Ctrl+Z: once the changes in flight are saved (the last of them is the one the person means), send the last
 * step's inverse. Several presses queue one inverse after another, newest first.
 */
export async function undo(s: VideoSession): Promise<void> {
  if (s.refusesChanges()) return;
  await s.settled();
  const next = s.history.nextUndo;
  // A step of a locked track stays where it is: unlocked, the track undoes it then.
  if (s.refusesChanges(next ? stepTracks(next) : [], `undo: ${next?.what ?? ''}`)) return;
  const step = s.history.undo();
  s.notify(step ? `Undid: ${step.what}` : 'Nothing to undo');
}

/** Ctrl+Shift+Z / Ctrl+Y: send the last undone change again. */
export async function redo(s: VideoSession): Promise<void> {
  if (s.refusesChanges()) return;
  await s.settled();
  const next = s.history.nextRedo;
  if (s.refusesChanges(next ? stepTracks(next) : [], `redo: ${next?.what ?? ''}`)) return;
  const step = s.history.redo();
  s.notify(step ? `Redid: ${step.what}` : 'Nothing to redo');
}
