import { describe, expect, it } from 'vitest';
import type { AttributeSpec } from '../attributes';
import { redo, setFrameValue, undo } from './edits';
import {
  framePanel,
  runEnd,
  setFromHint,
  setFromOp,
  undoFrameOp,
  valueAt,
  valueChanges,
  withFrameValue,
} from './frame-attributes';
import { session, track } from './testing';
import { relabelChanges, trackAttributePanel } from './track-attributes';
import type { Track } from './types';

const SPECS: AttributeSpec[] = [
  { name: 'kind', type: 'select', options: ['sedan', 'van'], labels: [], default: null },
  { name: 'occluded', type: 'bool', options: [], labels: [], default: false, mutable: true },
  { name: 'speed', type: 'number', options: [], labels: ['car'], default: null, mutable: true },
];

/** A person track over frames 2..9 (0 and 1 without a box): occluded false, true from frame 5, false from 8. */
function person(): Track {
  const f = false;
  const t = true;
  return { ...track(1, '--kppppppp'), frame_attributes: { occluded: [null, null, f, f, f, t, t, t, f, f] } };
}

describe('per-frame attribute values of a track', () => {
  it('reads the value on a frame, where it was set and where it changes', () => {
    const t = person();
    expect([valueAt(t, 'occluded', 6), valueAt(t, 'occluded', 0)]).toEqual([true, null]);
    expect(setFromHint(t, 'occluded', 6)).toBe('from frame 5');
    expect(setFromHint(t, 'occluded', 3)).toBe('from frame 2'); // set on the track's first box
    expect(setFromHint(t, 'occluded', 1)).toBeNull(); // no box there
    expect(runEnd(t, 'occluded', 6)).toBe(7);
    expect(valueChanges(t)).toEqual([5, 8]); // not frame 2: the track starts there
  });

  it('sets a value from the current frame up to the next change, and undoes exactly those frames', () => {
    const t = person();
    const op = setFromOp(t, 'occluded', 3, true)!;
    expect(op).toEqual({ name: 'occluded', from: 3, to: 4, value: true }); // 5..7 held true already
    expect(withFrameValue(t, op).frame_attributes!.occluded).toEqual([null, null, false, true, true, true, true, true, false, false]);
    expect(undoFrameOp(t, op)).toEqual({ ...op, value: false });
    expect(setFromOp(t, 'occluded', 6, true)).toBeNull(); // holds already: nothing to send
    expect(setFromOp(t, 'occluded', 0, true)).toBeNull(); // no box on frame 0
  });

  it('shows the per-frame attributes in their own section, and the whole-track ones in the other', () => {
    const p = framePanel(SPECS, person(), 6)!;
    expect(p.target).toBe('track 1, frame 6');
    expect(p.rows.map((r) => [r.spec.name, r.value])).toEqual([['occluded', true]]); // speed is for cars
    expect(framePanel(SPECS, person(), 0)!.empty).toBe('Track 1 has no box on frame 0 yet.');
    expect(framePanel(SPECS.slice(0, 1), person(), 6)).toBeNull();
    expect(trackAttributePanel(SPECS, person()).rows.map((r) => r.spec.name)).toEqual(['kind']);
  });

  it('leaves per-frame values out of what a relabel sends (a default would replace them on every frame)', () => {
    const specs: AttributeSpec[] = [{ ...SPECS[1]!, default: true }, { ...SPECS[0]!, default: 'van' }];
    expect(relabelChanges(specs, person(), 'car')).toEqual({ kind: 'van' }); // no occluded: true
  });

  it('sends the change with its frames, shows it at once, and undo and redo are one step each', async () => {
    const { s, fake } = await session([person()], SPECS);
    const sent = setFrameValue(s, 1, 3, 'occluded', true);
    expect(sent).not.toBeNull();
    expect(s.track(1)!.frame_attributes!.occluded![3]).toBe(true); // before the server answered
    await sent;
    expect(s.undoWhat).toBe('set occluded to true from frame 3 on track 1');
    expect(fake.state.tracks[0]!.frame_attributes!.occluded).toEqual([null, null, false, true, true, true, true, true, false, false]);
    await undo(s);
    await s.settled();
    expect(fake.state.tracks[0]!.frame_attributes!.occluded).toEqual(person().frame_attributes!.occluded);
    await redo(s);
    await s.settled();
    expect(fake.state.tracks[0]!.frame_attributes!.occluded!.slice(2, 8)).toEqual([false, true, true, true, true, true]);
    expect(fake.state.sent.map((x) => [x.op, x.version])).toEqual([['frame', 5], ['frame', 6], ['frame', 7]]);
    expect(setFrameValue(s, 1, 4, 'occluded', true)).toBeNull();
  });
});
