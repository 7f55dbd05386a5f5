import { describe, expect, it } from 'vitest';
import { frameShapes, hitShape } from './shapes';
import type { Track } from './types';

function track(id: number, states: string, box: number[]): Track {
  const n = states.length;
  return {
    track_id: id,
    label: 'person',
    frame_count: n,
    keyframes: [0],
    states,
    boxes: Array.from({ length: n }, () => box),
    confidence: Array.from({ length: n }, (_, i) => (states[i] === 'p' ? 0.3 : null)),
    review: [1],
    suggested: [],
    job: null,
  };
}

const color = (id: number): string => `#00000${id}`;

describe('frameShapes', () => {
  const tracks = [track(1, 'kpo-', [10, 10, 50, 50]), track(2, 'k---', [100, 100, 120, 140])];

  it('lists the boxes on a frame with their state and confidence', () => {
    const s = frameShapes(tracks, 1, false, color);
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ id: 1, state: 'p', confidence: 0.3, review: true, outside: false });
  });

  it('hides outside boxes unless asked to show them', () => {
    expect(frameShapes(tracks, 2, false, color)).toEqual([]);
    expect(frameShapes(tracks, 2, true, color)[0]).toMatchObject({ id: 1, outside: true });
  });
});

describe('hitShape', () => {
  const shapes = frameShapes([track(1, 'k', [10, 10, 200, 200]), track(2, 'k', [50, 50, 80, 80])], 0, false, color);

  it('picks the smallest box under the point, or the selected one', () => {
    expect(hitShape(shapes, { x: 60, y: 60 }, 2, 1, null)).toEqual({ id: 2, part: 'body' });
    expect(hitShape(shapes, { x: 60, y: 60 }, 2, 1, 1)).toEqual({ id: 1, part: 'body' });
    expect(hitShape(shapes, { x: 300, y: 300 }, 2, 1, null)).toBeNull();
  });

  it('finds the selected box’s handles first', () => {
    expect(hitShape(shapes, { x: 201, y: 199 }, 4, 1, 1)).toEqual({ id: 1, part: 'handle', handle: 'se' });
    expect(hitShape(shapes, { x: 105, y: 10 }, 4, 1, 1)).toEqual({ id: 1, part: 'handle', handle: 'n' });
    // Small on screen: corners only, so the middle of an edge moves the box.
    expect(hitShape(shapes, { x: 65, y: 50 }, 4, 0.5, 2)).toEqual({ id: 2, part: 'body' });
  });
});
