/**
 * Split and merge, as in CVAT: "Split here" (`Alt+M`) cuts the selected track at the current frame, the frames from
 * there on becoming a new track (same class and values); "Merge with…" joins another track into the selected one,
 * and the track with the lower id stays. The server decides the details (docs/tracking.md, "Split and merge"):
 * the seams become keyframes, a gap between merged tracks is outside. Here: what is checked before anything is
 * sent (said in words, as the server would refuse it), and the requests through the session.
 *
 * Neither can be undone: a split's undo would be a merge, which keeps the keyframes the split made, and a merged
 * track's id cannot be given back. Once the server took one, the undo steps of the tracks it changed are dropped
 * (they would act on frames that moved to another track) and `Ctrl+Z` says what to do instead when it gets there.
 * The checks are pure, tested without a browser.
 */

import type { VideoSession } from './session.svelte';
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

/** After a split or a merge: the steps of the tracks it changed go, and one that says why it cannot be undone. */
function cannotUndo(s: VideoSession, what: string, ids: readonly number[], instead: string): void {
  for (const id of ids) s.history.forgetTrack(id);
  s.history.push({ what, track: null, undo: null, refusal: instead, redo: async () => null });
}

/** Split `t` at `frame`: it keeps the frames before, a new track (then selected) the rest. */
export async function splitTrack(s: VideoSession, t: Track, frame: number): Promise<Track | null> {
  const why = splitRefusal(t, frame);
  if (why) {
    s.notify(why, 'warn');
    return null;
  }
  const id = t.track_id;
  const what = `split track ${id} at frame ${frame}`;
  const r = await s.edit({
    what,
    send: (version) => s.server.split(id, frame, version),
    saved: () => cannotUndo(s, what, [id], 'merge the two tracks to join them again'),
  });
  if (!r || !('tracks' in r)) return null;
  const made = r.tracks.find((x) => x.track_id !== id) ?? null;
  if (made) {
    s.select(made.track_id);
    s.notify(`Track ${id} now ends before frame ${frame}; from there on it is track ${made.track_id}`);
  }
  return made;
}

/**
 * Merge tracks `a` and `b` into the one with the lower id (then selected). Tracks of different classes take the
 * kept track's class, once the person agreed.
 */
export async function mergeTracks(s: VideoSession, a: number, b: number): Promise<Track | null> {
  const ta = s.track(a);
  const tb = s.track(b);
  if (!ta || !tb) return null;
  const why = mergeRefusal(ta, tb);
  if (why) {
    s.notify(why, 'warn');
    return null;
  }
  const [keep, gone] = mergeOrder(ta, tb);
  let label: string | null = null;
  if (keep.label !== gone.label) {
    label = keep.label;
    const ask = `Track ${keep.track_id} is ‘${keep.label}’ and track ${gone.track_id} is ‘${gone.label}’: the merged track will be ‘${keep.label}’.`;
    if (typeof confirm === 'function' && !confirm(`${ask} Merge them?`)) return null;
  }
  const what = `merge track ${gone.track_id} into track ${keep.track_id}`;
  const r = await s.edit({
    what,
    local: () => s.dropTrack(gone.track_id),
    send: (version) => s.server.merge([keep.track_id, gone.track_id], version, label),
    saved: () => cannotUndo(s, what, [keep.track_id, gone.track_id], 'split the track again to separate them'),
  });
  if (!r || !('tracks' in r)) return null;
  s.select(keep.track_id);
  s.notify(`Track ${gone.track_id} is now part of track ${keep.track_id}`);
  return r.tracks[0] ?? null;
}
