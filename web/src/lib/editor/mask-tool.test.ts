import { describe, expect, it } from 'vitest';
import { brushKeyFor, brushStep, stampSegment, startBitmap } from './mask-tool';
import { maskBitmap } from './masks';
import { decodeMask, pixelCount, type Bitmap } from './rle';
import { editorOn, schema } from './testing';
import type { ApiAnnotation, Point, Standing } from './types';

const MASKS = { ...schema, kinds: [...(schema.kinds ?? []), 'mask' as const] };

/** A 640x480 mask (the test item's size) with the rectangle x 100-109, y 50-59 set (100 pixels). */
function square(): { size: number[]; counts: number[] } {
  const counts: number[] = [];
  let at = 0;
  for (let x = 100; x < 110; x++) {
    const start = x * 480 + 50;
    counts.push(start - at, 10);
    at = start + 10;
  }
  counts.push(640 * 480 - at);
  return { size: [480, 640], counts };
}

function mask(id: number, extra: Partial<ApiAnnotation> = {}): ApiAnnotation {
  return { id, kind: 'mask', label: 'car', geometry: square(), source: 'human', model_version: null, score: null, state: 'accepted', ...extra };
}

function setup(list: ApiAnnotation[] = [mask(1)], standing: Standing = 'annotator') {
  return editorOn(list, standing, { schema: MASKS });
}

type Core = ReturnType<typeof setup>['core'];

/** A stroke as the canvas makes one: its target under the first point, the points painted, then stored. */
function stroke(core: Core, points: Point[], radius = 3): boolean {
  const first = points[0]!;
  const under = core.anns.filter((a) => a.kind === 'mask' && maskBitmap(a.geometry)?.data[Math.floor(first.x) * 480 + Math.floor(first.y)]);
  const target = core.maskTarget(under);
  if (target === false) return false;
  const bm = startBitmap(target, 480, 640);
  let last = first;
  for (const p of points) {
    stampSegment(bm, last, p, radius, core.tool === 'brush' ? 1 : 0);
    last = p;
  }
  return core.paintMask(target, bm);
}

function area(core: Core, key: string | null): number {
  const a = core.get(key);
  return a ? pixelCount(decodeMask(a.geometry)) : 0;
}

describe('painting a bitmap', () => {
  it('sets the pixels whose centres lie within the radius of the segment, and says whether any changed', () => {
    const bm: Bitmap = { h: 10, w: 10, data: new Uint8Array(100) };
    expect(stampSegment(bm, { x: 5, y: 5 }, { x: 5, y: 5 }, 1, 1)).toBe(true);
    expect(pixelCount(bm)).toBe(4); // the four pixels round the point (5, 5)
    expect(stampSegment(bm, { x: 5, y: 5 }, { x: 5, y: 5 }, 1, 1)).toBe(false);
    expect(stampSegment(bm, { x: 0.5, y: 0.5 }, { x: 9.5, y: 0.5 }, 0.5, 1)).toBe(true);
    for (let x = 0; x < 10; x++) expect(bm.data[x * 10]).toBe(1); // the top row, column-major
    stampSegment(bm, { x: -50, y: -50 }, { x: 50, y: 50 }, 100, 0); // far past the edges: clipped, all cleared
    expect(pixelCount(bm)).toBe(0);
  });

  it('changes the brush size a pixel at a time when small and by about a fifth when large, within 1-250', () => {
    expect(brushStep(3, 1)).toBe(4);
    expect(brushStep(40, 1)).toBe(50);
    expect(brushStep(50, -1)).toBe(40);
    expect(brushStep(1, -1)).toBe(1);
    expect(brushStep(250, 1)).toBe(250);
    const key = { key: ']', ctrlKey: false, metaKey: false, shiftKey: false, altKey: false };
    expect(brushKeyFor(key, 'brush')).toBe(1);
    expect(brushKeyFor({ ...key, key: '[' }, 'eraser')).toBe(-1);
    expect(brushKeyFor(key, 'select')).toBeNull(); // ] is the next proposal then
  });
});

describe('the brush and the eraser', () => {
  it('a brush stroke on nothing starts a new mask of the current class, selected, accepted, by a person', () => {
    const { core } = setup([]);
    core.chooseLabel('dog');
    core.setTool('brush');
    expect(stroke(core, [{ x: 20, y: 20 }, { x: 40, y: 20 }])).toBe(true);
    const a = core.selected!;
    expect([a.kind, a.label, a.source, a.state]).toEqual(['mask', 'dog', 'human', 'accepted']);
    expect(area(core, a.key)).toBeGreaterThan(100);
    expect(core.toInputs()[0]!.geometry.size).toEqual([480, 640]);
    expect(core.history.undoLabel).toBe('paint mask');
  });

  it('a stroke starting on a mask of the current class paints into it; each stroke is one undo step', () => {
    const { core } = setup();
    core.setTool('brush');
    expect(stroke(core, [{ x: 105, y: 55 }, { x: 130, y: 55 }])).toBe(true);
    expect(core.anns.length).toBe(1);
    const grown = area(core, 's1');
    expect(grown).toBeGreaterThan(100);
    expect(stroke(core, [{ x: 105, y: 55 }, { x: 105, y: 90 }])).toBe(true); // the selected mask now
    expect(area(core, 's1')).toBeGreaterThan(grown);
    core.undo();
    expect(area(core, 's1')).toBe(grown);
    core.undo();
    expect(area(core, 's1')).toBe(100);
    expect(core.undo()).toBe(false);
  });

  it('the eraser removes pixels from the mask; erased to nothing, the mask is deleted in the same step', () => {
    const { core } = setup();
    core.setTool('eraser');
    expect(stroke(core, [{ x: 100, y: 50 }], 2)).toBe(true);
    expect(area(core, 's1')).toBeLessThan(100);
    expect(core.history.undoLabel).toBe('erase mask');
    expect(stroke(core, [{ x: 100, y: 55 }, { x: 110, y: 55 }], 8)).toBe(true);
    expect(core.anns).toEqual([]);
    expect(core.selectedKey).toBeNull();
    expect(core.history.undoLabel).toBe('erase mask (deleted)');
    core.undo();
    expect(area(core, 's1')).toBeGreaterThan(0);
    expect(area(core, 's1')).toBeLessThan(100);
  });

  it('the eraser away from any mask, with none selected, says so and changes nothing', () => {
    const { core } = setup();
    core.setTool('eraser');
    expect(stroke(core, [{ x: 400, y: 400 }])).toBe(false);
    expect(core.notice?.text).toMatch(/Nothing to erase/);
    expect(core.history.canUndo).toBe(false);
  });

  it("painting on a model's proposal makes it the person's, as other edits do", () => {
    const { core } = setup([mask(1, { source: 'model', model_version: 'sam@1', score: 0.8, state: 'proposed' })]);
    core.setTool('brush');
    expect(stroke(core, [{ x: 105, y: 55 }, { x: 125, y: 55 }])).toBe(true);
    const a = core.get('s1')!;
    expect([a.source, a.state, a.score, a.model_version]).toEqual(['human', 'accepted', null, 'sam@1']);
  });

  it('viewers cannot take the brush, and projects without masks do not offer it', () => {
    const viewer = setup([mask(1)], 'viewer').core;
    viewer.setTool('brush');
    expect(viewer.tool).toBe('select');
    const noMasks = editorOn([], 'annotator').core;
    noMasks.setTool('eraser');
    expect(noMasks.tool).toBe('select');
    expect(noMasks.notice?.text).toBe('This project does not allow masks');
  });

  it('a mask selected before taking the brush or eraser is the one they edit (the brush takes its class)', () => {
    const { core } = setup([mask(1), mask(2, { label: 'dog' })]);
    core.chooseLabel('dog');
    core.select('s1');
    core.setTool('brush');
    expect([core.selectedKey, core.currentLabel]).toEqual(['s1', 'car']);
    expect(stroke(core, [{ x: 300, y: 300 }])).toBe(true); // a second, disjoint region of the same mask
    expect(core.anns.length).toBe(2);
    expect(area(core, 's1')).toBeGreaterThan(100);
    core.setTool('eraser');
    expect(core.selectedKey).toBe('s1');
    expect(stroke(core, [{ x: 290, y: 300 }, { x: 310, y: 300 }], 8)).toBe(true); // starts off the mask
    expect(area(core, 's1')).toBe(100);
    // Other shapes are still dropped by a drawing tool, so a class key then picks the new shape's class.
    core.setTool('select');
    core.selectAll();
    core.setTool('brush');
    expect(core.selectedKey).toBeNull();
  });

  it('a stroke of another class paints a new mask beside the selected one', () => {
    const { core } = setup();
    core.setTool('brush');
    core.chooseLabel('dog');
    expect(stroke(core, [{ x: 105, y: 55 }])).toBe(true);
    expect(core.anns.map((a) => a.label)).toEqual(['car', 'dog']);
    expect(area(core, 's1')).toBe(100);
  });
});

describe('erasing a proposal away', () => {
  it('is refused without the reviewer role (it would reject it) and allowed to a reviewer', () => {
    const proposal = mask(1, { source: 'model', model_version: 'sam@1', score: 0.8, state: 'proposed' });
    const annotator = setup([proposal]).core;
    annotator.setTool('eraser');
    annotator.select('s1');
    expect(stroke(annotator, [{ x: 100, y: 55 }, { x: 110, y: 55 }], 8)).toBe(false);
    expect(annotator.notice?.text).toMatch(/needs the reviewer role/);
    expect(annotator.anns.length).toBe(1);
    const reviewer = setup([proposal], 'reviewer').core;
    reviewer.setTool('eraser');
    expect(stroke(reviewer, [{ x: 100, y: 55 }, { x: 110, y: 55 }], 8)).toBe(true);
    expect(reviewer.anns).toEqual([]);
  });
});
