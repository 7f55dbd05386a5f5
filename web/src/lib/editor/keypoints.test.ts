import { describe, expect, it } from 'vitest';
import { KeypointTool } from './keypoint-tool';
import { hitKeypoints, movedPoint, Placement, withNextVisibility } from './keypoints';
import { editorOn } from './testing';
import type { Ann, ApiAnnotation, LabelSchema } from './types';

const PERSON = { name: 'person', color: '#e6194b', hotkey: '1', keypoints: ['nose', 'left_eye', 'right_eye'], skeleton: [[0, 1], [0, 2]] as [number, number][] };
const SCHEMA: LabelSchema = { classes: [PERSON, { name: 'car', color: '#3cb44b', hotkey: '2' }], kinds: ['box', 'keypoints'] };

const stored: ApiAnnotation = {
  id: 1, kind: 'keypoints', label: 'person', geometry: { points: [100, 100, 2, 120, 90, 2, 0, 0, 0] },
  source: 'human', model_version: null, score: null, state: 'accepted', attributes: {}, version: 1,
};

function setup(list: ApiAnnotation[] = []) {
  const { core, server, timers } = editorOn(list, 'annotator', { schema: SCHEMA });
  const said: string[] = [];
  let preview: Ann | null = null;
  const tool = new KeypointTool({ core, tol: () => 6, setPreview: (a) => (preview = a), redraw: () => {}, announce: (t) => said.push(t) });
  return { core, server, timers, tool, said, preview: () => preview };
}

describe('Placement', () => {
  it('places the named points in order, skips as unlabelled, takes the last back', () => {
    const pl = new Placement('person', { names: PERSON.keypoints, edges: PERSON.skeleton });
    expect(pl.hint()).toContain('click “nose” (1 of 3)');
    pl.place({ x: 10.123, y: 20 });
    pl.skip();
    expect(pl.hint()).toContain('right_eye');
    expect(pl.back()).toBe(true);
    pl.skip();
    expect(pl.result()).toEqual([10.12, 20, 2, 0, 0, 0, 0, 0, 0]);
    pl.place({ x: 30, y: 40 });
    expect(pl.done).toBe(true);
    expect(pl.placed).toBe(2);
  });
});

describe('keypoints geometry', () => {
  it('hits a point, then an edge, never a hidden point', () => {
    const a = { ...stored, key: 'k1', frame: null, track_id: null } as Ann;
    const all = () => true;
    expect(hitKeypoints([a], { x: 101, y: 101 }, 4, SCHEMA.classes, all)).toEqual({ key: 'k1', point: 0 });
    expect(hitKeypoints([a], { x: 110, y: 95 }, 4, SCHEMA.classes, all)).toEqual({ key: 'k1', point: null });
    expect(hitKeypoints([a], { x: 0, y: 0 }, 4, SCHEMA.classes, all)).toBeNull();
  });
  it('moves one point and steps visibility 2 -> 1 -> 0 -> 2', () => {
    const pts = [1, 1, 2, 5, 5, 2];
    expect(movedPoint(pts, 1, { x: 7, y: 8 })).toEqual([1, 1, 2, 7, 8, 2]);
    let p = withNextVisibility(pts, 0);
    expect(p[2]).toBe(1);
    p = withNextVisibility(p, 0);
    expect(p[2]).toBe(0);
    expect(withNextVisibility(p, 0)[2]).toBe(2);
  });
});

describe('KeypointTool', () => {
  it('places an instance with a skipped point as one undo step', () => {
    const { core, tool } = setup();
    core.setTool('keypoints');
    expect(tool.hint).toContain('Click the 3 points of person');
    tool.down({ x: 50, y: 60 }, { x: 50, y: 60 });
    expect(tool.hint).toContain('“left_eye”');
    tool.act('keypoint.skip');
    tool.down({ x: 70, y: 60 }, { x: 70, y: 60 });
    expect(tool.placing).toBe(false);
    expect(core.toInputs()).toMatchObject([{ kind: 'keypoints', label: 'person', geometry: { points: [50, 60, 2, 0, 0, 0, 70, 60, 2] } }]);
    expect(core.history.canUndo).toBe(true);
    core.undo();
    expect(core.anns).toHaveLength(0);
  });

  it('Enter finishes early (the rest unlabelled), Esc cancels, a class without points says so', () => {
    const { core, tool } = setup();
    core.setTool('keypoints');
    tool.down({ x: 5, y: 5 }, { x: 5, y: 5 });
    expect(tool.key('enter')).toBe(true);
    expect(core.toInputs()[0]?.geometry.points).toEqual([5, 5, 2, 0, 0, 0, 0, 0, 0]);
    tool.down({ x: 9, y: 9 }, { x: 9, y: 9 });
    tool.key('escape');
    expect(core.anns).toHaveLength(1);
    core.chooseLabel('car');
    expect(tool.hint).toContain('car declares no keypoints');
    tool.down({ x: 9, y: 9 }, { x: 9, y: 9 });
    expect(core.notice?.text).toContain('car declares no keypoints');
    expect(core.anns).toHaveLength(1);
  });

  it('selects by a point, drags it as one undo step and steps its visibility', () => {
    const { core, tool, preview } = setup([stored]);
    const key = core.anns[0]!.key;
    expect(tool.down({ x: 120, y: 91 }, { x: 120, y: 91 })).toBe(true);
    expect(core.selectedKey).toBe(key);
    tool.move({ x: 130, y: 95 }, { x: 130, y: 95 });
    expect(preview()?.geometry.points).toEqual([100, 100, 2, 130, 95, 2, 0, 0, 0]);
    expect(tool.up()).toBe(true);
    expect(core.get(key)?.geometry.points).toEqual([100, 100, 2, 130, 95, 2, 0, 0, 0]);
    tool.act('keypoint.visibility');
    expect(core.get(key)?.geometry.points?.[5]).toBe(1);
    core.undo();
    expect(core.get(key)?.geometry.points?.[5]).toBe(2);
    core.undo();
    expect(core.get(key)?.geometry.points).toEqual(stored.geometry.points);
    // A click on an edge selects the instance without picking a point; nowhere near one, nothing is taken.
    expect(tool.down({ x: 110, y: 95 }, { x: 110, y: 95 })).toBe(true);
    expect(tool.state.selected).toBeNull();
    expect(tool.down({ x: 400, y: 400 }, { x: 400, y: 400 })).toBe(false);
  });

  it('O steps the picked point visible -> occluded -> not labelled -> visible again, where it was', () => {
    const { core, tool } = setup([stored]);
    const key = core.anns[0]!.key;
    tool.down({ x: 120, y: 91 }, { x: 120, y: 91 });
    tool.up();
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(tool.act('keypoint.visibility')).toBe(true);
      seen.push(core.get(key)!.geometry.points![5]!);
    }
    expect(seen).toEqual([1, 0, 2]);
    expect(core.get(key)?.geometry.points).toEqual(stored.geometry.points);
  });

  it('an instance placed before its class declared another number of points is refused an edit, with why', () => {
    const four: ApiAnnotation = { ...stored, id: 2, geometry: { points: [10, 10, 2, 20, 20, 2, 30, 30, 2, 40, 40, 2] } };
    const { core, tool } = setup([four]);
    const key = core.anns[0]!.key;
    tool.down({ x: 20, y: 20 }, { x: 20, y: 20 });
    tool.move({ x: 25, y: 25 }, { x: 25, y: 25 });
    tool.up();
    expect(core.get(key)?.geometry.points).toEqual(four.geometry.points);
    expect(core.notice?.text).toBe(
      'person now declares 3 keypoints and this instance has 4: it cannot be edited; delete it and place it again, or relabel it',
    );
    expect(core.nudgeSelected(1, 0)).toBe(false);
    expect(core.history.canUndo).toBe(false);
    // A class that declares no points takes it, and it can be deleted; the instance that fits is edited as before.
    core.chooseLabel('car');
    expect(core.get(key)?.label).toBe('car');
    expect(core.deleteSelected()).toBe(true);
  });
});
