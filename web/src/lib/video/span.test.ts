import { describe, expect, it } from 'vitest';
import { wholeTrack } from './span';

const sent = {
  track_id: 3,
  label: 'person',
  frame_count: 8,
  start: 2,
  keyframes: [2, 5],
  states: 'kppk',
  boxes: [
    [1, 2, 3, 4],
    [2, 2, 4, 4],
    [3, 2, 5, 4],
    [4, 2, 6, 4],
  ],
  confidence: [null, 0.9, 0.8, null],
  review: [4],
  suggested: [4, 3],
  frame_attributes: { occluded: [false, null, true, true] },
  job: null,
};

describe('wholeTrack', () => {
  it('puts a track sent over its own frames back on every frame of the video', () => {
    const t = wholeTrack(sent);
    expect(t.states).toBe('--kppk--');
    expect(t.boxes).toEqual([null, null, [1, 2, 3, 4], [2, 2, 4, 4], [3, 2, 5, 4], [4, 2, 6, 4], null, null]);
    expect(t.confidence).toEqual([null, null, null, 0.9, 0.8, null, null, null]);
    expect(t.frame_attributes).toEqual({ occluded: [null, null, false, null, true, true, null, null] });
    // Frame numbers are the video's already: kept as they are, and no `start` is left on the track.
    expect([t.keyframes, t.review, t.suggested]).toEqual([[2, 5], [4], [4, 3]]);
    expect('start' in t).toBe(false);
  });

  it('returns a track sent whole as it is', () => {
    const t = wholeTrack({ ...sent, start: 0, frame_count: 4 });
    expect(t.states).toBe('kppk');
    expect(t.boxes).toBe(sent.boxes);
    expect(t.frame_attributes).toBe(sent.frame_attributes);
  });

  it('fills a track with no box at all with nothing on every frame', () => {
    const t = wholeTrack({ ...sent, start: 0, states: '', boxes: [], confidence: [], frame_attributes: {}, keyframes: [], frame_count: 3 });
    expect(t.states).toBe('---');
    expect(t.boxes).toEqual([null, null, null]);
    expect(t.frame_attributes).toEqual({});
  });
});
