/**
 * A track sent over its own frames (`GET .../tracks?span=true`: `states`, `boxes`, `confidence` and the per-frame
 * attribute values from `start`, the track's first box, to its last) made whole again: one entry per frame of the
 * video, as the editor draws it. A track sent whole (`start` 0, one entry per frame) is returned as it is.
 */

import type { Track } from './types';

/** A track as the API sends it: `start` is the frame its per-frame lists begin on (0 when absent). */
export type SentTrack = Track & { start?: number };

export function wholeTrack(sent: SentTrack): Track {
  const { start = 0, ...track } = sent;
  const before = Math.max(0, start);
  const after = Math.max(0, track.frame_count - before - track.states.length);
  if (before === 0 && after === 0) return track;
  const pad = <T>(values: T[]): (T | null)[] => [...Array<null>(before).fill(null), ...values, ...Array<null>(after).fill(null)];
  const whole: Track = {
    ...track,
    states: '-'.repeat(before) + track.states + '-'.repeat(after),
    boxes: pad(track.boxes),
    confidence: pad(track.confidence),
  };
  if (track.frame_attributes) {
    whole.frame_attributes = Object.fromEntries(Object.entries(track.frame_attributes).map(([name, values]) => [name, pad(values)]));
  }
  return whole;
}
