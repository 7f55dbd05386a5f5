import { describe, expect, it } from 'vitest';
import { actionFor, SHORTCUTS } from './keymap';
import { conversionOf, fillOutline, isRefusal, shapeBitmap, toMaskEdit, toPolygonEdit } from './mask-convert';
import { coveredPixels, emptyBitmap, fillBox } from './mask-raster';
import { polygonArea } from './geometry';
import { decodeMask, maskGeometry, pixelCount } from './rle';
import { editorOn, schema } from './testing';
import type { Ann, ApiAnnotation, LabelSchema, Standing } from './types';

const ALL: LabelSchema = { ...schema, kinds: ['box', 'polygon', 'mask', 'class'] };
const W = 640;
const H = 480;

function api(id: number, kind: ApiAnnotation['kind'], geometry: ApiAnnotation['geometry'], extra: Partial<ApiAnnotation> = {}): ApiAnnotation {
  return { id, kind, label: 'car', geometry, source: 'human', model_version: null, score: null, state: 'accepted', attributes: {}, ...extra };
}

/** A mask of the test item's size with the boxes `boxes` set. */
function maskOf(...boxes: number[][]): ApiAnnotation['geometry'] {
  const bm = emptyBitmap(H, W);
  for (const b of boxes) fillBox(bm, b, 1);
  return maskGeometry(bm);
}

function setup(list: ApiAnnotation[], standing: Standing = 'annotator', kinds = ALL) {
  return editorOn(list, standing, { schema: kinds });
}

function area(a: Ann | undefined): number {
  return a ? pixelCount(decodeMask(a.geometry)) : -1;
}

const reshape = (a: Ann, c: Pick<Ann, 'kind' | 'geometry'>): Ann => ({ ...a, ...c });

describe('what converts to what', () => {
  it('a box or polygon to a mask, a mask to polygons, each only when the project allows the result', () => {
    const all = () => true;
    expect(conversionOf({ kind: 'box' }, all)).toBe('mask');
    expect(conversionOf({ kind: 'polygon' }, all)).toBe('mask');
    expect(conversionOf({ kind: 'mask' }, all)).toBe('polygon');
    expect(conversionOf({ kind: 'keypoints' }, all)).toBeNull();
    expect(conversionOf({ kind: 'box' }, (k) => k !== 'mask')).toBeNull();
    expect(conversionOf({ kind: 'mask' }, (k) => k !== 'polygon')).toBeNull();
    expect(conversionOf(undefined, all)).toBeNull();
  });
});

describe('the list edits (pure)', () => {
  const base = (kind: Ann['kind'], geometry: Ann['geometry'], key = 'k1'): Ann => ({
    key, kind, label: 'car', geometry, frame: null, track_id: null, source: 'human', model_version: null, score: null, state: 'accepted', attributes: { z_order: 2 },
  });

  it('a polygon becomes a mask of its pixels in its place in the list; a box its pixel rectangle', () => {
    const tri = base('polygon', { points: [100, 100, 300, 100, 100, 300] });
    const anns = [base('box', { bbox: [0, 0, 10, 10] }, 'k0'), tri, base('box', { bbox: [5, 5, 50, 40] }, 'k2')];
    const r = toMaskEdit(anns, 'k1', H, W, reshape);
    if (isRefusal(r)) throw new Error(r.refused);
    expect(r.next.map((a) => [a.key, a.kind])).toEqual([['k0', 'box'], ['k1', 'mask'], ['k2', 'box']]);
    expect(r.next[1]!.attributes).toEqual({ z_order: 2 });
    expect(area(r.next[1])).toBe((199 * 200) / 2); // pixel centres inside the right triangle
    expect(r.label).toBe('convert to mask');
    const box = toMaskEdit(anns, 'k2', H, W, reshape);
    if (isRefusal(box)) throw new Error(box.refused);
    expect(area(box.next[2])).toBe(45 * 35);
    expect(shapeBitmap(base('mask', {}), H, W)).toBeNull();
  });

  it('refuses a shape that covers no pixel centre, off the image or a sliver', () => {
    const off = [base('box', { bbox: [700, 10, 800, 20] })];
    expect(toMaskEdit(off, 'k1', H, W, reshape)).toEqual({ refused: expect.stringContaining('covers no pixel') });
  });

  it('a mask of two regions becomes two polygons, the larger in its place; specks are left out and said', () => {
    const bm = emptyBitmap(H, W);
    fillBox(bm, [10, 10, 20, 20], 1); // 100 px
    fillBox(bm, [100, 100, 200, 150], 1); // 5,000 px
    fillBox(bm, [300, 300, 302, 301], 1); // a 2-px speck
    const anns = [base('mask', maskGeometry(bm)), base('box', { bbox: [0, 0, 5, 5] }, 'k9')];
    let n = 0;
    const fresh = (from: Ann, points: number[]): Ann => ({ ...from, key: `new${++n}`, kind: 'polygon', geometry: { points } });
    const r = toPolygonEdit(anns, 'k1', reshape, fresh);
    if (isRefusal(r)) throw new Error(r.refused);
    expect(r.next.map((a) => [a.key, a.kind])).toEqual([['k1', 'polygon'], ['new1', 'polygon'], ['k9', 'box']]);
    expect(polygonArea(r.next[0]!.geometry.points!)).toBe(5000);
    expect(polygonArea(r.next[1]!.geometry.points!)).toBe(100);
    expect(r.next[1]!.attributes).toEqual({ z_order: 2 });
    expect(r.select).toEqual(['k1', 'new1']);
    expect(r.tone).toBe('warn');
    expect(r.message).toBe('Converted the mask to 2 polygons (8 points); 1 region under 5 px left out');
  });

  it('a hole is filled in and said; an empty mask or one of specks only is refused', () => {
    const bm = emptyBitmap(H, W);
    fillBox(bm, [10, 10, 60, 60], 1);
    fillBox(bm, [20, 20, 30, 30], 0);
    const r = toPolygonEdit([base('mask', maskGeometry(bm))], 'k1', reshape, () => {
      throw new Error('one region only');
    });
    if (isRefusal(r)) throw new Error(r.refused);
    expect(r.message).toBe('Converted the mask to a polygon of 4 points; 1 hole filled in (a polygon has no holes; 100 px more)');
    expect(coveredPixels([r.next[0]!.geometry.points!], W, H)).toBe(2500);
    const never = (): Ann => {
      throw new Error('no region to add');
    };
    const specks = emptyBitmap(H, W);
    fillBox(specks, [5, 5, 7, 6], 1);
    expect(toPolygonEdit([base('mask', maskGeometry(specks))], 'k1', reshape, never)).toEqual({ refused: 'Nothing to convert: 1 region under 5 px left out' });
    expect(toPolygonEdit([base('mask', maskGeometry(emptyBitmap(H, W)))], 'k1', reshape, never)).toEqual({ refused: 'The mask is empty: nothing to convert' });
  });

  it('the polygon fill sets or clears the pixels inside the outline, starting from the target mask', () => {
    const sq = [10, 10, 30, 10, 30, 30, 10, 30];
    const fresh = fillOutline(null, sq, 'brush', H, W);
    expect([fresh.changed, pixelCount(fresh.bitmap)]).toEqual([400, 400]);
    const target = base('mask', maskOf([0, 0, 20, 20]));
    const cleared = fillOutline(target, sq, 'eraser', H, W);
    expect([cleared.changed, pixelCount(cleared.bitmap)]).toEqual([100, 300]);
    expect(area(target)).toBe(400); // the target's own bitmap is untouched
  });
});

describe('converting in the editor', () => {
  it('polygon to mask: same class, attributes and place, selected, one undo step that gives the polygon back', () => {
    const poly = api(1, 'polygon', { points: [100, 100, 300, 100, 300, 250, 100, 250] }, { attributes: { z_order: 3 } });
    const { core } = setup([api(9, 'box', { bbox: [0, 0, 10, 10] }), poly, api(8, 'box', { bbox: [400, 400, 410, 410] })]);
    const before = core.anns;
    core.select('s1');
    expect(core.conversion).toBe('mask');
    expect(core.convertSelected('mask')).toBe(true);
    const m = core.get('s1')!;
    expect([m.kind, m.label, m.attributes]).toEqual(['mask', 'car', { z_order: 3 }]);
    expect(core.anns.map((a) => a.key)).toEqual(['s9', 's1', 's8']);
    expect(area(m)).toBe(200 * 150);
    expect(core.selectedKey).toBe('s1');
    expect(core.history.undoLabel).toBe('convert to mask');
    expect(core.notice?.text).toBe('Converted the polygon to a mask of 30,000 px');
    expect(core.toInputs()[1]).toMatchObject({ id: 1, kind: 'mask' }); // saved as an update of the same annotation
    core.undo();
    expect(core.anns).toEqual(before);
  });

  it('mask to polygons and back: the area comes back within a few percent', () => {
    const poly = [200, 50, 380, 160, 300, 400, 90, 330, 60, 150];
    const { core } = setup([api(1, 'polygon', { points: poly })]);
    core.select('s1');
    core.convertSelected('mask');
    const pixels = area(core.get('s1'));
    expect(Math.abs(pixels - polygonArea(poly)) / polygonArea(poly)).toBeLessThan(0.02);
    expect(core.conversion).toBe('polygon');
    expect(core.convertSelected('polygon')).toBe(true);
    const back = core.get('s1')!;
    expect(back.kind).toBe('polygon');
    expect(back.geometry.points!.length / 2).toBeLessThan(30);
    expect(Math.abs(polygonArea(back.geometry.points!) - pixels) / pixels).toBeLessThan(0.02);
    expect(core.history.undoLabel).toBe('convert to polygon');
    core.undo();
    expect(core.get('s1')!.kind).toBe('mask');
    core.undo();
    expect(core.get('s1')!.geometry).toEqual({ points: poly });
  });

  it("several regions: several polygons selected, the first in the mask's place; one undo removes them all", () => {
    const { core } = setup([api(1, 'mask', maskOf([10, 10, 50, 50], [100, 100, 120, 120]), { attributes: { z_order: 1 } })]);
    core.select('s1');
    core.convertSelected('polygon');
    expect(core.anns.map((a) => [a.kind, a.label, a.attributes])).toEqual([
      ['polygon', 'car', { z_order: 1 }],
      ['polygon', 'car', { z_order: 1 }],
    ]);
    expect(core.selectedKeys.size).toBe(2);
    expect(core.selectedKey).toBe('s1');
    core.undo();
    expect(core.anns.map((a) => a.kind)).toEqual(['mask']);
  });

  it("a model's proposal converted becomes the person's; refusals are said and change nothing", () => {
    const prop = api(1, 'box', { bbox: [10, 10, 40, 40] }, { source: 'model', state: 'proposed', score: 0.9, model_version: 'm@1' });
    const { core } = setup([prop, api(2, 'keypoints', { points: [] })]);
    core.select('s1');
    core.convertSelected('mask');
    expect(core.get('s1')).toMatchObject({ kind: 'mask', source: 'human', state: 'accepted', score: null, model_version: 'm@1' });
    const before = core.anns;
    expect(core.convertSelected('mask')).toBe(false);
    expect(core.notice?.text).toBe('Only a box or a polygon converts to a mask (this is a mask)');
    core.select('s2');
    expect(core.conversion).toBeNull();
    expect(core.convertSelected('polygon')).toBe(false);
    expect(core.anns).toBe(before);
  });

  it('not without masks allowed, nor for a viewer, nor with several selected', () => {
    const list = [api(1, 'box', { bbox: [10, 10, 40, 40] }), api(2, 'box', { bbox: [50, 50, 90, 90] })];
    const withMasks = setup(list).core;
    const viewer = setup(list, 'viewer', ALL).core;
    const many = setup(list).core;
    for (const c of [withMasks, viewer]) c.select('s1');
    many.selectAll();
    const plain = editorOn(list, 'annotator').core; // the test schema: boxes, polygons and tags only
    plain.select('s1');
    expect([plain.conversion, viewer.conversion, many.conversion]).toEqual([null, null, null]);
    expect(plain.convertSelected('mask')).toBe(false);
    expect(plain.notice?.text).toBe('This project does not allow masks');
    expect(many.convertSelected('mask')).toBe(false);
    expect(many.notice?.text).toBe('Select one box or polygon to convert');
    expect(withMasks.convertSelected('mask')).toBe(true);
  });
});

describe('the keys', () => {
  it('Shift+M converts to a mask, Shift+G to polygons; M and G stay the tools; the help sheet lists them', () => {
    const k = (key: string, shiftKey = false) => ({ key, shiftKey, ctrlKey: false, metaKey: false, altKey: false });
    expect(actionFor(k('M', true))).toBe('convert.mask');
    expect(actionFor(k('G', true))).toBe('convert.polygon');
    expect(actionFor(k('m'))).toBe('tool.brush');
    expect(actionFor(k('g'))).toBe('tool.polygon');
    expect(SHORTCUTS.filter((s) => s.action?.startsWith('convert.')).map((s) => s.keys[0])).toEqual(['Shift+M', 'Shift+G']);
    expect(SHORTCUTS.some((s) => s.keys[0]?.startsWith('Shift+click (Brush'))).toBe(true);
  });
});

describe('the polygon fill of the brush and the eraser', () => {
  const outline = [100, 100, 200, 100, 200, 200, 100, 200];

  it('the brush on nothing makes a new mask of the outline; the eraser clears it from the mask; undo each', () => {
    const { core } = setup([]);
    core.setTool('brush');
    expect(core.fillMaskOutline(outline, [])).toBe(true);
    const key = core.selectedKey!;
    expect(area(core.get(key))).toBe(10000);
    expect(core.history.undoLabel).toBe('fill polygon');
    core.setTool('eraser');
    expect(core.fillMaskOutline([150, 150, 250, 150, 250, 250, 150, 250], [core.get(key)!])).toBe(true);
    expect(area(core.get(key))).toBe(10000 - 2500);
    expect(core.history.undoLabel).toBe('clear polygon');
    core.undo();
    expect(area(core.get(key))).toBe(10000);
    core.undo();
    expect(core.anns).toHaveLength(0);
  });

  it('the brush fills into the mask of the current class under the first point, as a stroke would', () => {
    const { core } = setup([api(1, 'mask', maskOf([0, 0, 120, 120]))]);
    core.setTool('brush');
    expect(core.fillMaskOutline(outline, [core.get('s1')!])).toBe(true);
    expect(core.anns).toHaveLength(1);
    expect(area(core.get('s1'))).toBe(120 * 120 + 10000 - 20 * 20);
    expect(core.fillMaskOutline(outline, [core.get('s1')!])).toBe(false); // nothing new
    expect(core.notice?.text).toBe('The outline adds no pixel to the mask');
  });

  it('the eraser off any mask, or an outline of two points, changes nothing', () => {
    const { core } = setup([api(1, 'mask', maskOf([0, 0, 50, 50]))]);
    core.setTool('eraser');
    expect(core.fillMaskOutline(outline, [])).toBe(false);
    expect(core.notice?.text).toContain('Nothing to erase here');
    expect(core.fillMaskOutline([1, 1, 5, 5], [core.get('s1')!])).toBe(false);
    expect(area(core.get('s1'))).toBe(2500);
  });
});
