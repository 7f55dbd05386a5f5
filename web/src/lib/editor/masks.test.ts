import { describe, expect, it } from 'vitest';
import { clickTarget, hitTest } from './hittest';
import { maskHas, maskInfo } from './masks';
import { encodeMask } from './rle';
import { snapshot } from './snapshot';
import { editorOn, schema } from './testing';
import type { Ann, ApiAnnotation } from './types';

const MASKS = { ...schema, kinds: [...(schema.kinds ?? []), 'mask' as const] };

/** A ring on the 640x480 test item: columns 200-239, rows 100-139 set but for a hole at 215-224 x 115-124. */
function ring(): { size: number[]; counts: number[] } {
  const data = new Uint8Array(480 * 640);
  for (let x = 200; x < 240; x++) for (let y = 100; y < 140; y++) if (!(x >= 215 && x < 225 && y >= 115 && y < 125)) data[x * 480 + y] = 1;
  const counts: number[] = [];
  let v = 0;
  let run = 0;
  for (const d of data) {
    if (d !== v) [counts[counts.length], run, v] = [run, 0, d];
    run += 1;
  }
  counts.push(run);
  return { size: [480, 640], counts };
}

const base = { source: 'human', model_version: null, score: null, state: 'accepted' } as const;
const list: ApiAnnotation[] = [
  { id: 1, kind: 'mask', label: 'car', geometry: ring(), ...base },
  { id: 2, kind: 'box', label: 'dog', geometry: { bbox: [230, 130, 300, 200] }, ...base },
];

describe('masks in the editor', () => {
  it('know their pixel rectangle and area, and which pixels they hold', () => {
    const g = ring();
    expect(maskInfo(g).bounds).toEqual({ x1: 200, y1: 100, x2: 240, y2: 140 });
    expect(maskInfo(g).area).toBe(1600 - 100);
    expect(maskHas(g, 200.5, 100.5)).toBe(true);
    expect(maskHas(g, 220, 120)).toBe(false); // the hole
    expect(maskHas(g, 240, 120)).toBe(false);
    expect(maskInfo({ size: [480, 640], counts: 'PP' }).error).toMatch(/ends inside a run/);
  });

  it('find a pixel by searching the runs, as the decoded bitmap has it', () => {
    let seed = 5;
    const next = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const data = new Uint8Array(23 * 31).map(() => (next() > 0.55 ? 1 : 0));
    const g = { size: [23, 31], counts: encodeMask({ h: 23, w: 31, data }) };
    for (let x = 0; x < 31; x++) for (let y = 0; y < 23; y++) expect(maskHas(g, x + 0.5, y + 0.5)).toBe(data[x * 23 + y] === 1);
  });

  it("a click on a mask's pixel selects it; not in its hole; a box over it keeps priority", () => {
    const { core } = editorOn(list, 'annotator', { schema: MASKS });
    const opts = { tol: 3, visible: (a: Ann) => core.visible(a) };
    expect(clickTarget(core.index, { x: 205, y: 105 }, opts)?.key).toBe('s1');
    expect(clickTarget(core.index, { x: 220, y: 120 }, opts)).toBeNull();
    expect(hitTest(core.index, { x: 235, y: 135 }, opts)?.key).toBe('s2'); // both: the box wins
  });

  it('are listed like other shapes: counted by class, described with kind and size, deleted and relabelled', () => {
    const { core } = editorOn(list, 'annotator', { schema: MASKS });
    core.select('s1');
    const ui = snapshot(core, new Map());
    expect(ui.selection).toMatchObject({ kind: 'mask', label: 'car', size: '1,500 px² area · 40 × 40 px' });
    expect(ui.classes.find((c) => c.name === 'car')?.count).toBe(1);
    core.chooseLabel('dog');
    expect(core.get('s1')?.label).toBe('dog');
    expect(core.deleteSelected()).toBe(true);
    expect(core.anns.map((a) => a.kind)).toEqual(['box']);
  });

  it('are not moved by a drag or the arrow keys (the brush and eraser edit them)', () => {
    const { core } = editorOn(list, 'annotator', { schema: MASKS });
    core.select('s1');
    expect(core.nudgeSelected(5, 0)).toBe(false);
  });
});
