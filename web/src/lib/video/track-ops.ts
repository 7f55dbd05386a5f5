/**
 * Split and merge, as in CVAT: "Split here" (`Alt+M`) cuts the selected track at the current frame, the frames from
 * there on becoming a new track (same class and values); "Merge with…" joins another track into the selected one,
 * and the track with the lower id stays. The server decides the details (docs/tracking.md, "Split and merge"):
 * the seams become keyframes, a gap between merged tracks is outside. Here: what is checked before anything is
 * sent (said in words, as the server would refuse it), and the requests through the session.
 *
 * Each is one undo step (`restore.ts`): `Ctrl+Z` has the server put the tracks back as they were before it, with
 * their ids (a split track whole again, a merged-away track back), and a redo makes the change again. The checks
 * are pure, tested without a browser.
 */

import { ask, type Asker } from '../confirm.svelte';
import type { TrackRef } from './history';
import { sendRestorable } from './restore';
import type { Answer, VideoSession } from './session.svelte';
import type { Track } from './types';

const LISTED = 8;

const visible = (c: string | undefined): boolean => c === 'k' || c === 'p';

/** Frames in words: "10, 14 and 3 more". */
export function framesText(frames: readonly number[]): string {
  const shown = frames.slice(0, LISTED).join(', ');
  return frames.length > LISTED ? `${shown} and ${frames.length - LISTED} more` : shown;
}

/** Why track `t` cannot be split at `frame` (as the server would refuse it), or null when it can. */
export function splitRefusal(t: Track, frame: number): string | null {
  const id = t.track_id;
  const filled = [...t.states].flatMap((c, i) => (c === '-' ? [] : [i]));
  const first = filled[0];
  const last = filled.at(-1);
  if (first === undefined || last === undefined) return `Track ${id} has no boxes yet`;
  if (frame <= first) return `Frame ${frame} is where track ${id} starts: split it on a later frame`;
  if (frame > last) return `Track ${id} has nothing on frame ${frame} yet`;
  if (![...t.states.slice(0, frame)].some(visible)) return `Track ${id} shows nothing before frame ${frame}`;
  const head = filled.find((f) => f >= frame);
  if (!visible(t.states[head ?? -1]) && !t.states.slice(frame).includes('k')) {
    return `Track ${id} shows nothing from frame ${frame} on: nothing to split off`;
  }
  return null;
}

/** Frames where both tracks have a keyframe with a box: the server refuses to merge them. */
export function mergeConflicts(a: Track, b: Track): number[] {
  const out: number[] = [];
  for (const f of a.keyframes) if (a.states[f] === 'k' && b.states[f] === 'k') out.push(f);
  return out;
}

/** The two tracks of a merge: the one that stays (the lower id) and the one merged into it. */
export function mergeOrder(a: Track, b: Track): [keep: Track, gone: Track] {
  return a.track_id < b.track_id ? [a, b] : [b, a];
}

/** Why `a` and `b` cannot be merged, or null. */
export function mergeRefusal(a: Track, b: Track): string | null {
  if (a.track_id === b.track_id) return 'Choose another track to merge with';
  const [keep, gone] = mergeOrder(a, b);
  const both = mergeConflicts(keep, gone);
  if (both.length === 0) return null;
  const where = both.length === 1 ? `frame ${both[0]}` : `frames ${framesText(both)}`;
  return `Tracks ${keep.track_id} and ${gone.track_id} both have a keyframe on ${where}: remove one of them first`;
}

/** Split `t` at `frame`: it keeps the frames before, a new track (then selected) the rest. */
export async function splitTrack(s: VideoSession, t: Track, frame: number): Promise<Track | null> {
  if (s.refusesChanges([t.track_id])) return null;
  const why = splitRefusal(t, frame);
  if (why) {
    s.notify(why, 'warn');
    return null;
  }
  const ref = s.history.ref(t.track_id);
  const partOf = (a: Answer): Track | undefined => ('tracks' in a ? a.tracks.find((x) => x.track_id !== ref.id) : undefined);
  // The new track; made again by a redo, it may get another id, and the steps that hold its ref follow it there.
  let made: TrackRef | null = null;
  const r = await sendRestorable(s, {
    what: () => `split track ${ref.id} at frame ${frame}`,
    refs: [ref],
    also: () => (made ? [made.id] : []),
    send: (version) => s.server.split(ref.id, frame, version),
    applied: (a) => {
      const part = partOf(a);
      if (!part) return;
      if (made) s.history.moveRef(made, part.track_id);
      else made = s.history.ref(part.track_id);
      s.select(part.track_id);
      s.notify(`Track ${ref.id} now ends before frame ${frame}; from there on it is track ${part.track_id}`);
    },
    restored: (a) => {
      s.select(ref.id);
      s.notify(`Track ${a.removed.join(' and ')} is part of track ${ref.id} again`);
    },
  });
  return (r && partOf(r)) ?? null;
}

/**
 * Merge tracks `a` and `b` into the one with the lower id (then selected). Tracks of different classes take the
 * kept track's class, once the person agreed (`asker`: the app's dialog; a stand-in in unit tests).
 */
export async function mergeTracks(s: VideoSession, a: number, b: number, asker: Asker = ask): Promise<Track | null> {
  const ta = s.track(a);
  const tb = s.track(b);
  if (!ta || !tb || s.refusesChanges([a, b])) return null;
  const why = mergeRefusal(ta, tb);
  if (why) {
    s.notify(why, 'warn');
    return null;
  }
  const [keep, gone] = mergeOrder(ta, tb);
  let label: string | null = null;
  if (keep.label !== gone.label) {
    label = keep.label;
    const said = `Track ${keep.track_id} is ‘${keep.label}’ and track ${gone.track_id} is ‘${gone.label}’: the merged track will be ‘${keep.label}’.`;
    const message = `${said} Merge them?`;
    if (!(await asker({ title: 'Merge tracks of different classes?', message, confirm: 'Merge tracks' }))) return null;
  }
  const [k, g] = [s.history.ref(keep.track_id), s.history.ref(gone.track_id)];
  const r = await sendRestorable(s, {
    what: () => `merge track ${g.id} into track ${k.id}`,
    refs: [k, g],
    local: () => s.dropTrack(g.id),
    send: (version) => s.server.merge([k.id, g.id], version, label),
    applied: () => {
      s.history.release(g.id);
      s.select(k.id);
      s.notify(`Track ${g.id} is now part of track ${k.id}`);
    },
    restored: () => {
      s.select(g.id);
      s.notify(`Tracks ${k.id} and ${g.id} are apart again`);
    },
  });
  return r && 'tracks' in r ? (r.tracks[0] ?? null) : null;
}
