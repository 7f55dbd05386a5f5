import { describe, expect, it } from 'vitest';
import { readSpecs } from '../attributes';
import { EditorCore } from './core';
import { actionFor } from './keymap';
import { deletedSaid, labelChosen, selectionSaid } from './say';
import { Selection } from './selection';
import { snapshot } from './snapshot';
import { editorOn, schema as baseSchema } from './testing';
import type { ApiAnnotation, LabelSchema, Standing } from './types';

const specs = readSpecs([
  { name: 'occluded', type: 'bool', default: false },
  { name: 'colour', type: 'select', options: ['red', 'blue'], labels: ['car'] },
]);
const schema: LabelSchema = { ...baseSchema, attributes: specs };

function box(id: number, bbox: [number, number, number, number], extra: Partial<ApiAnnotation> = {}): ApiAnnotation {
  return { id, kind: 'box', label: 'car', geometry: { bbox }, source: 'human', model_version: null, score: null, state: 'accepted', ...extra };
}

/** Three boxes in a row (s1, s2 car; s3 dog), a polygon (s4) and an image tag (s5). */
function three(): ApiAnnotation[] {
  return [
    box(1, [10, 10, 50, 50]),
    box(2, [60, 10, 100, 50], { attributes: { colour: 'blue' } }),
    box(3, [110, 10, 150, 50], { label: 'dog' }),
    { ...box(4, [0, 0, 0, 0]), kind: 'polygon', geometry: { points: [300, 300, 340, 300, 340, 340] } },
    { ...box(5, [0, 0, 0, 0]), kind: 'class', geometry: {}, label: 'dog' },
  ];
}

function setup(list: ApiAnnotation[] = three(), standing: Standing = 'annotator') {
  return editorOn(list, standing, { autosaveDelay: 800, schema });
}

const keys = (core: EditorCore) => [...core.selectedKeys];

describe('picking several shapes', () => {
  it('Shift+click toggles a shape in and out; the last picked is the primary', () => {
    const { core } = setup();
    core.select('s1');
    expect(core.toggleSelect('s3')).toBe(true);
    expect(keys(core)).toEqual(['s1', 's3']);
    expect(core.selectedKey).toBe('s3');
    expect(core.toggleSelect('s2')).toBe(true);
    expect(core.selectedKey).toBe('s2');
    // Taking the primary out hands it to the last picked of those left.
    expect(core.toggleSelect('s2')).toBe(false);
    expect(keys(core)).toEqual(['s1', 's3']);
    expect(core.selectedKey).toBe('s3');
    // An image tag is no shape on the canvas; a plain select collapses the set to one.
    expect(core.toggleSelect('s5')).toBe(false);
    core.select('s1');
    expect(keys(core)).toEqual(['s1']);
  });

  it('the rubber band adds the shapes lying wholly inside it, not hidden ones nor ones it only crosses', () => {
    const { core } = setup();
    core.select('s4');
    // Takes in s1 and s2 whole, s3 only in part.
    expect(core.selectInside({ x1: 5, y1: 5, x2: 120, y2: 60 })).toBe(2);
    expect(new Set(core.selectedKeys)).toEqual(new Set(['s4', 's1', 's2']));
    expect(core.selectedKey).toBe('s4');
    core.select(null);
    core.toggleLabelHidden('car');
    // Every car (s1, s2 and the polygon s4) is hidden now: only the dog box is taken.
    expect(core.selectInside({ x1: 0, y1: 0, x2: 640, y2: 480 })).toBe(1);
    expect(keys(core)).toEqual(['s3']);
  });

  it('Ctrl+A selects every visible shape (not tags, hidden classes or hidden rejected proposals); Esc clears', () => {
    const list = [...three(), box(6, [200, 200, 220, 220], { source: 'model', score: 0.4, state: 'rejected' })];
    const { core } = setup(list);
    core.select('s2');
    expect(core.selectAll()).toBe(4);
    expect(new Set(core.selectedKeys)).toEqual(new Set(['s1', 's2', 's3', 's4']));
    expect(core.selectedKey).toBe('s2');
    core.toggleLabelHidden('dog');
    expect(new Set(core.selectedKeys)).toEqual(new Set(['s1', 's2', 's4']));
    core.select(null);
    expect(core.selectedKeys.size).toBe(0);
    expect(actionFor({ key: 'a', ctrlKey: true, metaKey: false, shiftKey: false, altKey: false })).toBe('select.all');
    expect(actionFor({ key: 'a', ctrlKey: false, metaKey: true, shiftKey: false, altKey: false })).toBe('select.all');
    expect(actionFor({ key: 'a', ctrlKey: false, metaKey: false, shiftKey: false, altKey: false })).toBe('accept');
  });
});

describe('acting on the selection', () => {
  it('Delete removes every selected shape in one undo step, and undo brings them all back', () => {
    const { core } = setup();
    core.selectAll();
    const depth = core.history.depth;
    expect(core.deleteSelected()).toBe(true);
    expect(core.anns.map((a) => a.key)).toEqual(['s5']);
    expect(core.selectedKeys.size).toBe(0);
    expect(core.history.depth).toBe(depth + 1);
    expect(core.history.undoLabel).toBe('delete 4 shapes');
    expect(core.undo()).toBe(true);
    expect(core.anns.map((a) => a.key)).toEqual(['s1', 's2', 's3', 's4', 's5']);
    expect(core.notice?.text).toBe('Undid delete 4 shapes');
  });

  it("an annotator's Delete keeps a model's open proposal (selected, and says why) and removes the rest", () => {
    const list = [box(1, [10, 10, 50, 50]), box(2, [60, 10, 100, 50], { source: 'model', score: 0.9, state: 'proposed' })];
    const { core } = setup(list);
    expect(core.selectAll()).toBe(1); // Ctrl+A and the band leave open proposals out: a key would make them the person's
    expect(keys(core)).toEqual(['s1']);
    core.toggleSelect('s2'); // Shift+click adds one on purpose
    expect(core.deleteSelected()).toBe(true);
    expect(core.anns.map((a) => a.key)).toEqual(['s2']);
    expect(keys(core)).toEqual(['s2']);
    expect(core.notice?.text).toBe('1 proposal kept: removing a proposal rejects it, which needs the reviewer role');
    expect(core.deleteSelected()).toBe(false);
    expect(core.anns.length).toBe(1);
  });

  it('a label relabels every selected shape in one step, dropping values the new label does not take', () => {
    const { core } = setup();
    core.select('s1');
    core.toggleSelect('s2');
    core.toggleSelect('s3');
    const depth = core.history.depth;
    core.chooseLabel('dog');
    expect(core.anns.slice(0, 3).map((a) => [a.label, a.attributes])).toEqual([
      ['dog', { occluded: false }],
      ['dog', { occluded: false }],
      ['dog', {}],
    ]);
    expect(core.history.depth).toBe(depth + 1);
    expect(core.history.undoLabel).toBe('relabel 2 shapes to dog');
    expect(core.undo()).toBe(true);
    expect(core.anns.slice(0, 3).map((a) => [a.label, a.attributes])).toEqual([
      ['car', {}],
      ['car', { colour: 'blue' }],
      ['dog', {}],
    ]);
    // The selection is no undo step: it stays as it was.
    expect(keys(core)).toEqual(['s1', 's2', 's3']);
  });

  it('the attribute panel shows "N shapes" with mixed values, and a change sets them all in one step', () => {
    const { core } = setup();
    core.select('s1');
    core.toggleSelect('s2');
    const ui = snapshot(core, new Map());
    expect(ui.selectedCount).toBe(2);
    expect(ui.selectedSummary).toBe('2 shapes selected: car 2');
    expect(ui.attributes!.target).toBe('2 shapes');
    expect(ui.attributes!.keys).toEqual(['s1', 's2']);
    const colour = ui.attributes!.rows.find((r) => r.spec.name === 'colour')!;
    expect(colour.mixed).toBe(true);
    expect(core.setAttribute(ui.attributes!.keys, 'colour', 'red')).toBe(true);
    expect(core.anns.slice(0, 2).map((a) => a.attributes.colour)).toEqual(['red', 'red']);
    expect(core.undo()).toBe(true);
    expect(core.anns.slice(0, 2).map((a) => a.attributes.colour)).toEqual([undefined, 'blue']);
  });

  it('the arrow keys move only the primary of several, as in CVAT and Label Studio', () => {
    const { core } = setup();
    core.select('s1');
    core.toggleSelect('s2');
    expect(core.nudgeSelected(5, 0)).toBe(true);
    expect(core.get('s2')!.geometry.bbox).toEqual([65, 10, 105, 50]);
    expect(core.get('s1')!.geometry.bbox).toEqual([10, 10, 50, 50]);
    expect(keys(core)).toEqual(['s1', 's2']);
  });

  it('undo of a create takes the shape out of the selection, and the primary passes on', () => {
    const { core } = setup();
    const made = core.addBox({ x1: 400, y1: 400, x2: 450, y2: 450 })!;
    expect(keys(core)).toEqual([made]);
    core.toggleSelect('s1');
    core.toggleSelect('s3');
    core.toggleSelect(made); // out
    core.toggleSelect(made); // in again, as the primary
    expect(keys(core)).toEqual(['s1', 's3', made]);
    expect(core.selectedKey).toBe(made);
    expect(core.undo()).toBe(true);
    expect(core.get(made)).toBeUndefined();
    expect(keys(core)).toEqual(['s1', 's3']);
    expect(core.selectedKey).toBe('s3');
    expect(snapshot(core, new Map()).selection!.key).toBe('s3');
  });

  it('a drawing tool drops the selection; with shapes hidden (H) the selected ones still show', () => {
    const { core } = setup();
    core.selectAll();
    core.toggleShapesHidden();
    expect(core.anns.filter((a) => core.visible(a)).map((a) => a.key)).toEqual(['s1', 's2', 's3', 's4']);
    core.setTool('box');
    expect(core.selectedKeys.size).toBe(0);
  });
});

describe('Selection', () => {
  it('keeps the primary last and follows renamed keys', () => {
    const s = new Selection();
    s.replace(['a', 'b', 'c'], 'a');
    expect([...s.keys]).toEqual(['b', 'c', 'a']);
    s.rekey(new Map([['a', 'x']]));
    expect(s.primary).toBe('x');
    expect(s.retain((k) => k !== 'x')).toBe(true);
    expect(s.primary).toBe('c');
    expect(s.retain(() => true)).toBe(false);
  });
});

describe('what is said', () => {
  it('says a selection of several with counts per label, a deletion, a relabel of many', () => {
    expect(selectionSaid([['car', 2], ['dog', 1]])).toBe('3 shapes selected: car 2, dog 1');
    expect(selectionSaid([['car', 1]])).toBe('car selected');
    expect(selectionSaid([])).toBe('Nothing selected');
    expect(deletedSaid(3, 'box')).toBe('3 shapes deleted');
    expect(deletedSaid(1, 'box')).toBe('Box deleted');
    expect(labelChosen('dog', 3)).toBe('3 shapes relabelled dog');
    expect(labelChosen('dog', true)).toBe('Selection relabelled dog');
  });
});
