/**
 * What the video editor's keys and drags do to tracks, as requests through the session (`session.svelte.ts`):
 * a new track from a drawn box, a keyframe from a moved box or from `k`, outside from `o`, removing a keyframe,
 * relabelling and deleting a track. Each says in words what it does (the conflict panel and the error toasts
 * repeat it), and shows at once where it can.
 */

import type { Edit, VideoSession } from './session.svelte';
import { boxAt, isKeyframeState, isLastBoxKeyframe, stateAt, withKeyframe } from './states';
import type { Box, Method, Track } from './types';

const round2 = (v: number): number => Math.round(v * 100) / 100;

/** A box as the API takes it: rounded to 1/100 pixel, inside the frame. */
export function apiBox(b: Box, width: number, height: number): number[] {
  const cl = (v: number, hi: number): number => round2(Math.min(hi, Math.max(0, v)));
  return [cl(b[0], width), cl(b[1], height), cl(b[2], width), cl(b[3], height)];
}

/** A new track from a box drawn on frame `frame`; propagation starts on the server. */
export async function createTrack(s: VideoSession, label: string, frame: number, box: Box, method: Method = 'track'): Promise<Track | null> {
  const b = apiBox(box, s.width, s.height);
  const r = await s.edit({
    what: `add a ${label} track on frame ${frame}`,
    send: (version) => s.server.create({ version, label, frame, box: b, propagate: true, method }),
  });
  if (!r || !('track' in r)) return null;
  s.select(r.track.track_id);
  return r.track;
}

function keyframeEdit(s: VideoSession, t: Track, frame: number, box: Box | null, what: string): Edit {
  const b = box ? apiBox(box, s.width, s.height) : null;
  const id = t.track_id;
  return {
    what,
    local: () => {
      const cur = s.track(id);
      if (cur) s.putTrack(withKeyframe(cur, frame, b ? [b[0]!, b[1]!, b[2]!, b[3]!] : null));
    },
    send: (version) => s.server.setKeyframe(id, frame, version, b),
  };
}

/** A moved or resized box: a keyframe on this frame (the frames around it are propagated again). */
export function setBox(s: VideoSession, t: Track, frame: number, box: Box, verb = 'move'): Promise<unknown> {
  return s.edit(keyframeEdit(s, t, frame, box, `${verb} the box of track ${t.track_id} on frame ${frame}`));
}

/** `k`: the shown propagated box becomes a keyframe as it is (an outside frame becomes an outside keyframe). */
export function makeKeyframe(s: VideoSession, t: Track, frame: number): Promise<unknown> | null {
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
  const what = `make frame ${frame} a keyframe of track ${t.track_id}`;
  return s.edit(keyframeEdit(s, t, frame, shown.outside ? null : shown.box, what));
}

/** `o`: outside on this frame; on an outside frame, visible again where the object was last seen. */
export function toggleOutside(s: VideoSession, t: Track, frame: number): Promise<unknown> | null {
  const shown = boxAt(t, frame);
  if (!shown) {
    s.notify(`Track ${t.track_id} has nothing on frame ${frame} yet`, 'warn');
    return null;
  }
  if (shown.outside) return s.edit(keyframeEdit(s, t, frame, shown.box, `show track ${t.track_id} again on frame ${frame}`));
  if (isLastBoxKeyframe(t, frame)) {
    s.notify('This is the track’s only keyframe with a box: draw the box on another frame first', 'warn');
    return null;
  }
  return s.edit(keyframeEdit(s, t, frame, null, `mark track ${t.track_id} outside on frame ${frame}`));
}

export type RemoveOutcome = 'removed' | 'not-keyframe' | 'last';

/**
 * Delete/Backspace: remove the keyframe on this frame. The last keyframe with a box cannot go (the server
 * refuses it): the caller asks whether to delete the whole track instead.
 */
export function removeKeyframe(s: VideoSession, t: Track, frame: number): RemoveOutcome {
  if (!t.keyframes.includes(frame)) {
    s.notify(`Frame ${frame} is not a keyframe of track ${t.track_id}; the nearest are listed in the panel`, 'warn');
    return 'not-keyframe';
  }
  if (isLastBoxKeyframe(t, frame)) return 'last';
  const id = t.track_id;
  void s.edit({
    what: `remove the keyframe of track ${id} on frame ${frame}`,
    send: (version) => s.server.removeKeyframe(id, frame, version),
  });
  return 'removed';
}

/** Delete a whole track (every keyframe and propagated box). A refused delete reloads the tracks. */
export function deleteTrack(s: VideoSession, id: number): Promise<unknown> {
  return s.edit({
    what: `delete track ${id}`,
    local: () => s.dropTrack(id),
    send: (version) => s.server.deleteTrack(id, version),
  });
}

export function relabel(s: VideoSession, id: number, label: string): Promise<unknown> | null {
  const t = s.track(id);
  if (!t || t.label === label) return null;
  return s.edit({
    what: `relabel track ${id} as ${label}`,
    local: () => {
      const cur = s.track(id);
      if (cur) s.putTrack({ ...cur, label });
    },
    send: (version) => s.server.relabel(id, version, label),
  });
}
