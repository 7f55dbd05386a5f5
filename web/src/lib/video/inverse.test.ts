import { describe, expect, it } from 'vitest';
import { frameAsIs, inverseOf } from './inverse';
import { BOX, track } from './testing';

describe('inverseOf', () => {
  // k keyframe, x outside keyframe, p propagated, o outside (propagated), - nothing yet
  const t = { ...track(1, 'kxpo-kpppp'), label: 'car' };
  t.boxes[5] = [1, 2, 3, 4];

  it('puts a keyframe back with the box it had', () => {
    expect(inverseOf(t, { op: 'keyframe', frame: 5, box: [9, 9, 19, 19] })).toEqual({ op: 'keyframe', frame: 5, box: [1, 2, 3, 4] });
    expect(inverseOf(t, { op: 'keyframe', frame: 0, box: null })).toEqual({ op: 'keyframe', frame: 0, box: BOX });
  });

  it('puts back an outside keyframe as outside', () => {
    expect(inverseOf(t, { op: 'keyframe', frame: 1, box: [9, 9, 19, 19] })).toEqual({ op: 'keyframe', frame: 1, box: null });
  });

  it('removes the keyframe a change added on a frame that had none', () => {
    for (const frame of [2, 3, 4]) {
      expect(inverseOf(t, { op: 'keyframe', frame, box: [9, 9, 19, 19] })).toEqual({ op: 'unkeyframe', frame });
      expect(inverseOf(t, { op: 'keyframe', frame, box: null })).toEqual({ op: 'unkeyframe', frame });
    }
  });

  it('puts a removed keyframe back, box or outside', () => {
    expect(inverseOf(t, { op: 'unkeyframe', frame: 5 })).toEqual({ op: 'keyframe', frame: 5, box: [1, 2, 3, 4] });
    expect(inverseOf(t, { op: 'unkeyframe', frame: 1 })).toEqual({ op: 'keyframe', frame: 1, box: null });
  });

  it('relabels back', () => {
    expect(inverseOf(t, { op: 'relabel', label: 'person' })).toEqual({ op: 'relabel', label: 'car' });
  });

  it('copies the box rather than share the track’s', () => {
    const op = frameAsIs(t, 5);
    expect(op.op === 'keyframe' && op.box).not.toBe(t.boxes[5]);
  });
});
