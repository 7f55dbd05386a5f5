import { describe, expect, it } from 'vitest';
import { snapshot } from './snapshot';
import { KeypointTool } from './keypoint-tool';
import { sizeWords } from './keypoint-shapes';
import { editorOn } from './testing';
import type { Ann, ApiAnnotation, LabelSchema } from './types';

const PERSON = { name: 'person', color: '#e6194b', hotkey: '1', keypoints: ['nose', 'left_eye', 'right_eye'], skeleton: [[0, 1], [0, 2]] as [number, number][] };
const SCHEMA: LabelSchema = { classes: [PERSON, { name: 'car', color: '#3cb44b', hotkey: '2' }], kinds: ['box', 'keypoints', 'mask'] };

function kp(id: number, points: number[], extra: Partial<ApiAnnotation> = {}): ApiAnnotation {
  return { id, kind: 'keypoints', label: 'person', geometry: { points }, source: 'human', model_version: null, score: null, state: 'accepted', attributes: {}, version: 1, ...extra };
}
const box: ApiAnnotation = { ...kp(9, []), kind: 'box', label: 'car', geometry: { bbox: [10, 10, 50, 50] } };
/** Imported with the left eye not labelled (v 0). */
const imported = kp(1, [100, 100, 2, 0, 0, 0, 140, 90, 1]);

function setup(list: ApiAnnotation[] = [imported]) {
  const { core } = editorOn(list, 'annotator', { schema: SCHEMA });
  const said: string[] = [];
  let preview: Ann | null = null;
  const tool = new KeypointTool({ core, tol: () => 6, setPreview: (a) => (preview = a), redraw: () => {}, announce: (t) => said.push(t) });
  const at = (x: number, y: number) => tool.down({ x, y }, { x, y });
  return { core, tool, said, at, preview: () => preview };
}

describe('placing the missing points of a selected instance', () => {
  it('K with the instance selected places its missing points in order, naming each, as one undo step', () => {
    const { core, tool, said, at } = setup([kp(1, [0, 0, 0, 0, 0, 0, 140, 90, 2])]);
    const key = core.anns[0]!.key;
    core.select(key);
    core.setTool('keypoints');
    expect(core.selectedKey).toBe(key);
    expect(tool.hint).toBe('Click to place the 2 missing points of the selected person, starting with “nose” · Esc deselects it to place a new one');
    at(100, 100);
    expect(tool.hint).toContain('click missing “left_eye” (2 of 2 missing)');
    expect(said).toContain('nose placed');
    at(120, 95);
    expect(tool.placing).toBe(false);
    expect(core.anns).toHaveLength(1);
    expect(core.get(key)?.geometry.points).toEqual([100, 100, 2, 120, 95, 2, 140, 90, 2]);
    expect(said.at(-1)).toBe('person: 2 missing points placed');
    expect(core.history.undoLabel).toBe('place missing person keypoints');
    core.undo();
    expect(core.get(key)?.geometry.points).toEqual([0, 0, 0, 0, 0, 0, 140, 90, 2]);
  });

  it('U skips one again, Backspace takes the last back, Enter stores, Esc drops', () => {
    const { core, tool, at, said } = setup([kp(1, [0, 0, 0, 0, 0, 0, 140, 90, 2])]);
    const key = core.anns[0]!.key;
    core.select(key);
    core.setTool('keypoints');
    at(10, 10);
    tool.key('escape');
    expect(said.at(-1)).toBe('Missing points dropped');
    expect(core.get(key)?.geometry.points).toEqual([0, 0, 0, 0, 0, 0, 140, 90, 2]);
    expect(core.history.canUndo).toBe(false);
    at(30, 30);
    expect(tool.key('enter')).toBe(true); // stores the nose alone
    expect(core.get(key)?.geometry.points).toEqual([30, 30, 2, 0, 0, 0, 140, 90, 2]);
    core.undo();
    at(30, 30);
    expect(tool.key('backspace')).toBe(true);
    expect(tool.hint).toContain('click missing “nose”');
    tool.act('keypoint.skip'); // the nose stays missing
    at(31, 32);
    expect(core.get(key)?.geometry.points).toEqual([0, 0, 0, 31, 32, 2, 140, 90, 2]);
    expect(said.at(-1)).toBe('person: 1 missing point placed, 1 still missing');

    // Still selected with the nose missing: the next click places it; Enter stores what was placed.
    expect(tool.hint).toContain('1 missing point of the selected person, starting with “nose”');
    core.select(null);
    expect(tool.hint).toContain('Click the 3 points of person');
  });

  it('the arrow keys while placing move the stored instance; the points placed land where they were clicked', () => {
    const { core, tool, at } = setup([kp(1, [0, 0, 0, 0, 0, 0, 140, 90, 2])]);
    const key = core.anns[0]!.key;
    core.select(key);
    core.setTool('keypoints');
    at(50, 50);
    expect(core.nudgeSelected(10, 0)).toBe(true);
    tool.key('enter');
    expect(core.get(key)?.geometry.points).toEqual([50, 50, 2, 0, 0, 0, 150, 90, 2]);
  });

  it('an instance with nothing missing is left alone: the click starts a new one', () => {
    const { core, at } = setup([kp(1, [1, 1, 2, 2, 2, 2, 3, 3, 2])]);
    core.select(core.anns[0]!.key);
    core.setTool('keypoints');
    at(200, 200);
    expect(core.selectedKey).toBeNull();
    expect(core.anns).toHaveLength(1);
  });
});

describe('moving a whole instance', () => {
  it('a drag on an edge moves every placed point, kept inside the image, as one undo step', () => {
    const { core, tool, preview } = setup();
    const key = core.anns[0]!.key;
    expect(tool.down({ x: 120, y: 95 }, { x: 120, y: 95 })).toBe(true); // on the edge nose - right_eye
    expect(core.selectedKey).toBe(key);
    tool.move({ x: 130, y: 105 }, { x: 130, y: 105 });
    expect(preview()?.geometry.points).toEqual([110, 110, 2, 0, 0, 0, 150, 100, 1]);
    tool.move({ x: 900, y: 105 }, { x: 640, y: 105 }); // past the right edge: stops there
    expect(tool.up()).toBe(true);
    expect(core.get(key)?.geometry.points).toEqual([600, 110, 2, 0, 0, 0, 640, 100, 1]);
    expect(core.history.undoLabel).toBe('move keypoints');
  });

  it('the arrow keys move the selected instance 1 px (10 with Shift), one undo step each, inside the image', () => {
    const { core } = setup([kp(1, [0, 100, 2, 0, 0, 0, 140, 90, 2])]);
    const key = core.anns[0]!.key;
    core.select(key);
    expect(core.nudgeSelected(10, 0)).toBe(true);
    expect(core.nudgeSelected(-1, 1)).toBe(true);
    expect(core.get(key)?.geometry.points).toEqual([9, 101, 2, 0, 0, 0, 149, 91, 2]);
    expect(core.nudgeSelected(-50, 0)).toBe(true); // stops at the left edge
    expect(core.get(key)?.geometry.points?.[0]).toBe(0);
    expect(core.nudgeSelected(-1, 0)).toBe(false);
    expect(core.nudgeSelected(0, 5, true)).toBe(false); // Ctrl+arrow resizes boxes only
    core.undo();
    expect(core.get(key)?.geometry.points).toEqual([9, 101, 2, 0, 0, 0, 149, 91, 2]);
  });
});

describe('keypoints among the other shapes', () => {
  it('Tab reaches them, the band takes those inside, Ctrl+A takes all but open proposals', () => {
    const proposal = kp(3, [300, 300, 2, 0, 0, 0, 0, 0, 0], { source: 'model', state: 'proposed', score: 0.9, model_version: 'm1' });
    const empty = kp(4, [0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const { core } = setup([box, imported, proposal, empty]);
    const [b, k, p] = core.anns.map((a) => a.key);
    core.selectStep(1);
    expect(core.selectedKey).toBe(b);
    core.selectStep(1);
    expect(core.selectedKey).toBe(k);
    core.selectStep(1);
    expect(core.selectedKey).toBe(p); // a lone proposal is stepped to, as a box is
    core.selectStep(1);
    expect(core.selectedKey).toBe(b); // nothing placed: nothing to select
    core.select(null);
    expect(core.selectInside({ x1: 90, y1: 80, x2: 150, y2: 110 })).toBe(1);
    expect([...core.selectedKeys]).toEqual([k]);
    core.select(null);
    expect(core.selectInside({ x1: 90, y1: 80, x2: 139, y2: 110 })).toBe(0); // the right eye lies outside
    expect(core.selectAll()).toBe(2);
    expect(new Set(core.selectedKeys)).toEqual(new Set([b, k]));
  });

  it('the Selection panel says how many points are placed and which are missing; a mask its area', () => {
    const { core } = setup();
    core.select(core.anns[0]!.key);
    expect(snapshot(core, new Map()).selection?.size).toBe('2 of 3 points placed · missing: left_eye');
    const full = { ...core.anns[0]!, geometry: { points: [1, 1, 2, 2, 2, 2, 3, 3, 1] } };
    expect(sizeWords(full, SCHEMA.classes)).toBe('3 of 3 points placed');
    // A 3-high, 2-wide mask, column-major runs: 1 off, 4 on, 1 off -> 4 pixels over 2 columns and 3 rows.
    const mask = { ...full, kind: 'mask', geometry: { size: [3, 2], counts: [1, 4, 1] } } as Ann;
    expect(sizeWords(mask, SCHEMA.classes)).toBe('4 px² area · 2 × 3 px');
  });
});
