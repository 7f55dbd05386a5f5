import { beforeEach, describe, expect, it } from 'vitest';
import { readSpecs } from '../attributes';
import { clearClip, clipText, currentClip } from './clipboard';
import { fitOffset } from './clip-geometry';
import { EditorCore } from './core';
import { KeypointTool } from './keypoint-tool';
import { actionFor } from './keymap';
import { leftToPage } from './clipboard-ui';
import { decodeMask, pixelCount } from './rle';
import { FakeServer, FakeTimers, schema as baseSchema } from './testing';
import type { Ann, ApiAnnotation, LabelSchema, Standing } from './types';

const PERSON = { name: 'person', color: '#4363d8', hotkey: '3', keypoints: ['nose', 'left_eye', 'right_eye'], skeleton: [[0, 1], [0, 2]] as [number, number][] };
const specs = readSpecs([
  { name: 'occluded', type: 'bool', default: false },
  { name: 'colour', type: 'select', options: ['red', 'blue'], labels: ['car'] },
]);
const SCHEMA: LabelSchema = {
  classes: [...baseSchema.classes, PERSON],
  kinds: ['box', 'polygon', 'mask', 'keypoints', 'class'],
  attributes: specs,
};

function ann(id: number, extra: Partial<ApiAnnotation>): ApiAnnotation {
  return { id, kind: 'box', label: 'car', geometry: {}, source: 'human', model_version: null, score: null, state: 'accepted', attributes: {}, ...extra };
}
const box = (id: number, bbox: number[], extra: Partial<ApiAnnotation> = {}) => ann(id, { geometry: { bbox }, ...extra });

/** A mask on a `w` x `h` image with the square x 100-109, y 50-59 set (100 pixels). */
function square(w = 640, h = 480): { size: number[]; counts: number[] } {
  const counts: number[] = [];
  let at = 0;
  for (let x = 100; x < 110; x++) {
    const start = x * h + 50;
    counts.push(start - at, 10);
    at = start + 10;
  }
  counts.push(w * h - at);
  return { size: [h, w], counts };
}

/** An editor on item `id` (`w` x `h`) holding `list`, saving to a fake server. */
function editor(id: number, list: ApiAnnotation[] = [], opts: { w?: number; h?: number; standing?: Standing; schema?: LabelSchema } = {}) {
  const server = new FakeServer(list);
  const core = new EditorCore({
    item: { id, projectId: 1, width: opts.w ?? 640, height: opts.h ?? 480, mediaUrl: '/m', version: server.version },
    schema: opts.schema ?? SCHEMA,
    annotations: list,
    standing: opts.standing ?? 'annotator',
    save: server.save,
    load: server.load,
    timers: new FakeTimers(),
  });
  return { core, server };
}

const added = (core: EditorCore, before: number): Ann[] => core.anns.slice(before);

beforeEach(() => clearClip());

describe('copy and paste', () => {
  it('copies every selected shape and pastes them on the next item at the same pixels, selected, as one undo step', () => {
    const one = editor(1, [box(1, [10, 10, 50, 50], { attributes: { colour: 'blue' } }), box(2, [60, 10, 100, 50], { label: 'dog' })]).core;
    one.selectAll();
    expect(one.copySelected()).toBe(2);
    expect(one.notice?.text).toBe('Copied 2 shapes');

    const two = editor(2).core;
    const keys = two.paste();
    expect(keys).toHaveLength(2);
    expect(two.notice?.text).toBe('Pasted 2 shapes');
    expect([...two.selectedKeys]).toEqual(keys);
    const input = two.toInputs();
    expect(input.map((a) => [a.label, a.geometry.bbox, a.source, a.state])).toEqual([
      ['car', [10, 10, 50, 50], 'human', 'accepted'],
      ['dog', [60, 10, 100, 50], 'human', 'accepted'],
    ]);
    expect(input[0]!.attributes).toEqual({ colour: 'blue', occluded: false });
    expect(input[1]!.attributes).toEqual({ occluded: false });
    expect(two.history.undoLabel).toBe('paste 2 shapes');
    expect(two.undo()).toBe(true);
    expect(two.anns).toHaveLength(0);
    expect(two.notice?.text).toBe('Undid paste 2 shapes');
  });

  it('offsets by 10 px on the item copied from, and 10 px further on each paste where copies already lie', () => {
    const one = editor(1, [box(1, [10, 10, 50, 50])]).core;
    one.select('s1');
    one.copySelected();
    one.paste();
    one.paste();
    expect(one.toInputs().map((a) => a.geometry.bbox)).toEqual([
      [10, 10, 50, 50],
      [20, 20, 60, 60],
      [30, 30, 70, 70],
    ]);
    const two = editor(2).core;
    two.paste();
    two.paste();
    expect(two.toInputs().map((a) => a.geometry.bbox)).toEqual([
      [10, 10, 50, 50],
      [20, 20, 60, 60],
    ]);
  });

  it('offsets from the copies the item holds now: after a cut and its undo, or an undone paste', () => {
    const one = editor(1, [box(1, [10, 10, 50, 50]), box(2, [100, 10, 140, 50])]).core;
    one.selectAll();
    one.cutSelected();
    one.undo();
    one.paste();
    // The originals are back: the copies land 10 px on, not hidden exactly on top of them.
    expect(one.toInputs().map((a) => a.geometry.bbox)).toEqual([
      [10, 10, 50, 50],
      [100, 10, 140, 50],
      [20, 20, 60, 60],
      [110, 20, 150, 60],
    ]);
    one.undo();
    one.paste();
    expect(one.toInputs().map((a) => a.geometry.bbox).slice(2)).toEqual([
      [20, 20, 60, 60],
      [110, 20, 150, 60],
    ]);
  });

  it('the clip survives the editor (moving to the next item builds a new one) and is JSON for the system clipboard', () => {
    const one = editor(1, [box(1, [10, 10, 50, 50])]).core;
    one.select('s1');
    one.copySelected();
    one.dispose();
    const clip = currentClip();
    expect(clip?.shapes).toHaveLength(1);
    expect(JSON.parse(clipText(clip!))).toMatchObject({ labelhub: 'shapes', width: 640, height: 480, shapes: [{ kind: 'box', label: 'car' }] });
  });

  it('drops attributes the label does not declare and fills its defaults, as a relabel does', () => {
    const one = editor(1, [box(1, [10, 10, 50, 50], { label: 'dog', attributes: { colour: 'red', stray: 1 } })]).core;
    one.select('s1');
    one.copySelected();
    const two = editor(2).core;
    two.paste();
    expect(two.toInputs()[0]!.attributes).toEqual({ occluded: false });
  });

  it("pastes a model's proposal as the person's own shape", () => {
    const one = editor(1, [box(1, [10, 10, 50, 50], { source: 'model', model_version: 'det-1', score: 0.8, state: 'proposed' })]).core;
    one.select('s1');
    one.copySelected();
    const two = editor(2).core;
    two.paste();
    expect(two.toInputs()[0]).toMatchObject({ source: 'human', state: 'accepted', score: null, model_version: null });
  });

  it('says there is nothing to paste or copy', () => {
    const { core } = editor(1, [box(1, [10, 10, 50, 50])]);
    expect(core.paste()).toEqual([]);
    expect(core.notice?.text).toBe('Nothing to paste: select shapes and copy them (Ctrl+C) first');
    expect(core.copySelected()).toBe(0);
    expect(core.notice?.text).toBe('Nothing selected to copy');
  });
});

describe('pasting on an image of another size', () => {
  it('keeps pixel positions, moves a shape that sticks out back inside whole, cuts one larger than the image', () => {
    const one = editor(1, [
      box(1, [600, 400, 640, 480]),
      ann(2, { kind: 'polygon', geometry: { points: [0, 0, 630, 0, 630, 470] } }),
      box(3, [5, 5, 15, 15]),
    ]).core;
    one.selectAll();
    one.copySelected();
    const small = editor(2, [], { w: 320, h: 240 }).core;
    expect(small.paste()).toHaveLength(3);
    expect(small.toInputs().map((a) => a.geometry.bbox ?? a.geometry.points)).toEqual([
      [280, 160, 320, 240],
      [0, 0, 320, 0, 320, 240],
      [5, 5, 15, 15],
    ]);
  });

  it('re-lays a mask on the new pixel grid without scaling; a mask with nothing inside is left out and said', () => {
    const one = editor(1, [ann(1, { kind: 'mask', geometry: square() })]).core;
    one.select('s1');
    one.copySelected();
    const big = editor(2, [], { w: 800, h: 600 }).core;
    big.paste();
    const m = big.toInputs()[0]!.geometry;
    expect(m.size).toEqual([600, 800]);
    const b = decodeMask(m);
    expect(pixelCount(b)).toBe(100);
    expect(b.data[100 * 600 + 50]).toBe(1);

    const tiny = editor(3, [box(9, [1, 1, 5, 5])], { w: 40, h: 30 }).core;
    tiny.paste();
    // The 10 x 10 square fits: it is moved inside whole.
    const t = decodeMask(tiny.toInputs()[1]!.geometry);
    expect([t.h, t.w, pixelCount(t)]).toEqual([30, 40, 100]);
  });

  it('fitOffset keeps a shape inside where it fits and in place where it does not', () => {
    expect(fitOffset({ x1: 600, y1: 10, x2: 640, y2: 20 }, 10, 10, 320, 240)).toEqual({ x: -320, y: 10 });
    expect(fitOffset({ x1: 0, y1: 0, x2: 400, y2: 20 }, 10, 0, 320, 240)).toEqual({ x: 10, y: 0 });
  });

  it('lays a shape larger than the image that would land wholly outside it over the image, cut at its edges', () => {
    const one = editor(1, [box(1, [500, 100, 600, 200]), ann(2, { kind: 'mask', geometry: square() })]).core;
    one.selectAll();
    one.copySelected();
    const tiny = editor(2, [], { w: 40, h: 30 }).core;
    expect(tiny.paste()).toHaveLength(2);
    expect(tiny.toInputs()[0]!.geometry.bbox).toEqual([0, 0, 40, 30]);
    const m = decodeMask(tiny.toInputs()[1]!.geometry);
    expect([m.h, m.w, pixelCount(m)]).toEqual([30, 40, 100]);
    const far = editor(3, [], { w: 8, h: 6 }).core;
    far.paste();
    expect(far.toInputs()[0]!.geometry.bbox).toEqual([0, 0, 8, 6]);
    expect(pixelCount(decodeMask(far.toInputs()[1]!.geometry))).toBe(48);
  });

  it('moves keypoints inside with their labelled points; unlabelled ones stay unlabelled', () => {
    const one = editor(1, [ann(1, { kind: 'keypoints', label: 'person', geometry: { points: [600, 400, 2, 0, 0, 0, 630, 470, 1] } })]).core;
    one.select('s1');
    one.copySelected();
    const small = editor(2, [], { w: 320, h: 240 }).core;
    small.paste();
    expect(small.toInputs()[0]!.geometry.points).toEqual([290, 170, 2, 0, 0, 0, 320, 240, 1]);
  });
});

describe('what a paste leaves out', () => {
  it('leaves out a label or kind the project does not have, and says so', () => {
    const one = editor(1, [box(1, [10, 10, 50, 50]), box(2, [60, 10, 100, 50], { label: 'person' }), ann(3, { kind: 'mask', geometry: square() })]).core;
    one.selectAll();
    expect(one.copySelected()).toBe(3);
    const other: LabelSchema = { classes: [{ name: 'car', color: '#e6194b' }], kinds: ['box'] };
    const two = editor(2, [], { schema: other }).core;
    expect(two.paste()).toHaveLength(1);
    expect(two.notice?.text).toBe('Pasted 1 shape (2 shapes left out: person is no label of this project; this project does not allow masks)');
  });
});

describe('cut', () => {
  it('copies and deletes the selection as one undo step; pasting back puts the shapes where they were', () => {
    const { core } = editor(1, [box(1, [10, 10, 50, 50]), box(2, [60, 10, 100, 50]), box(3, [110, 10, 150, 50])]);
    core.select('s1');
    core.toggleSelect('s2');
    expect(core.cutSelected()).toBe(2);
    expect(core.notice?.text).toBe('Cut 2 shapes');
    expect(core.anns.map((a) => a.key)).toEqual(['s3']);
    expect(core.history.undoLabel).toBe('cut 2 shapes');
    core.paste();
    expect(core.toInputs().map((a) => a.geometry.bbox)).toEqual([
      [110, 10, 150, 50],
      [10, 10, 50, 50],
      [60, 10, 100, 50],
    ]);
    core.undo();
    core.undo();
    expect(core.anns).toHaveLength(3);
  });

  it('keeps an open proposal without the reviewer role (as Delete does) and does not copy it', () => {
    const { core } = editor(1, [box(1, [10, 10, 50, 50]), box(2, [60, 10, 100, 50], { source: 'model', model_version: 'm', score: 0.9, state: 'proposed' })]);
    core.select('s1');
    core.toggleSelect('s2');
    expect(core.cutSelected()).toBe(1);
    expect(core.anns.map((a) => a.key)).toEqual(['s2']);
    expect(currentClip()?.shapes).toHaveLength(1);
  });
});

describe('viewers', () => {
  it('may copy but neither cut nor paste', () => {
    const { core } = editor(1, [box(1, [10, 10, 50, 50])], { standing: 'viewer' });
    core.select('s1');
    expect(core.copySelected()).toBe(1);
    expect(core.cutSelected()).toBe(0);
    expect(core.paste()).toEqual([]);
    expect(core.notice?.text).toBe('This item is read-only for you');
    expect(core.anns).toHaveLength(1);
  });
});

describe('the keys', () => {
  const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) =>
    actionFor({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

  it('Ctrl or Cmd with C, X, V; plain X still rejects a proposal', () => {
    expect(key('c', { ctrlKey: true })).toBe('clip.copy');
    expect(key('x', { metaKey: true })).toBe('clip.cut');
    expect(key('V', { ctrlKey: true })).toBe('clip.paste');
    expect(key('x')).toBe('reject');
    expect(key('c', { ctrlKey: true, altKey: true })).toBe(null);
  });

  it('leaves Ctrl+C to the page while text is selected on it; Ctrl+V is always the editor’s', () => {
    const doc = (text: string) => ({ getSelection: () => ({ isCollapsed: text === '', toString: () => text }) as Selection });
    expect(leftToPage('clip.copy', doc('item-7.jpg'))).toBe(true);
    expect(leftToPage('clip.copy', doc(''))).toBe(false);
    expect(leftToPage('clip.paste', doc('item-7.jpg'))).toBe(false);
  });

  it('gives Ctrl+C and Ctrl+X to the editor when the image has the keyboard, though text is still selected', () => {
    // Clicking the image does not clear a selection of text made before (the canvas keeps its pointer presses),
    // so the text would be copied instead of the selected shapes.
    const doc = (focused: string) => ({
      getSelection: () => ({ isCollapsed: false, toString: () => '5 shapes' }) as Selection,
      activeElement: { tagName: focused } as Element,
    });
    expect(leftToPage('clip.copy', doc('CANVAS'))).toBe(false);
    expect(leftToPage('clip.cut', doc('CANVAS'))).toBe(false);
    expect(leftToPage('clip.copy', doc('BODY'))).toBe(true);
  });
});

describe('Shift+click on a keypoints instance', () => {
  it('finds the instance by a point or an edge, which toggles it in the selection', () => {
    const { core } = editor(1, [box(1, [300, 300, 340, 340]), ann(2, { kind: 'keypoints', label: 'person', geometry: { points: [100, 100, 2, 60, 100, 2, 140, 100, 2] } })]);
    const tool = new KeypointTool({ core, tol: () => 6, setPreview: () => {}, redraw: () => {}, announce: () => {} });
    expect(tool.instanceAt({ x: 140, y: 101 })).toBe('s2');
    expect(tool.instanceAt({ x: 120, y: 100 })).toBe('s2');
    expect(tool.instanceAt({ x: 320, y: 320 })).toBe(null);
    core.select('s1');
    expect(core.toggleSelect(tool.instanceAt({ x: 80, y: 100 })!)).toBe(true);
    expect([...core.selectedKeys]).toEqual(['s1', 's2']);
    expect(core.toggleSelect(tool.instanceAt({ x: 100, y: 100 })!)).toBe(false);
    expect([...core.selectedKeys]).toEqual(['s1']);
  });
});
