import { describe, expect, it } from 'vitest';
import { fromApi } from './annotations';
import { candidatesAt, clickTarget, hitTest } from './hittest';
import { GridIndex } from './spatial';
import type { Ann, ApiAnnotation } from './types';

function box(id: number, bbox: number[], extra: Partial<ApiAnnotation> = {}): Ann {
  return fromApi({ id, kind: 'box', label: 'car', geometry: { bbox }, source: 'human', model_version: null, score: null, state: 'accepted', ...extra });
}

function indexOf(list: Ann[]): GridIndex<Ann> {
  const idx = new GridIndex<Ann>(1920, 1080);
  for (const a of list) {
    const b = a.geometry.bbox ?? [];
    if (a.kind === 'polygon') {
      const p = a.geometry.points ?? [];
      const xs = p.filter((_, i) => i % 2 === 0);
      const ys = p.filter((_, i) => i % 2 === 1);
      idx.insert({ x1: Math.min(...xs), y1: Math.min(...ys), x2: Math.max(...xs), y2: Math.max(...ys) }, a);
    } else idx.insert({ x1: b[0]!, y1: b[1]!, x2: b[2]!, y2: b[3]! }, a);
  }
  return idx;
}

describe('GridIndex', () => {
  it('returns each intersecting entry once, in insertion order', () => {
    const big = box(1, [0, 0, 1900, 1000]);
    const small = box(2, [500, 500, 520, 520]);
    const far = box(3, [1800, 900, 1850, 950]);
    const idx = indexOf([big, small, far]);
    expect(idx.query({ x1: 505, y1: 505, x2: 506, y2: 506 }).map((e) => e.value.key)).toEqual([big.key, small.key]);
    expect(idx.query({ x1: 0, y1: 0, x2: 1920, y2: 1080 }).length).toBe(3);
    expect(idx.query({ x1: 1901, y1: 1001, x2: 1910, y2: 1010 }).length).toBe(0);
  });

  it('agrees with a linear scan on many random boxes', () => {
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const list: Ann[] = [];
    for (let i = 0; i < 2000; i++) {
      const x = rnd() * 1800;
      const y = rnd() * 1000;
      list.push(box(i + 1, [x, y, x + 5 + rnd() * 120, y + 5 + rnd() * 80]));
    }
    const idx = indexOf(list);
    for (let q = 0; q < 50; q++) {
      const x = rnd() * 1900;
      const y = rnd() * 1060;
      const r = { x1: x, y1: y, x2: x + rnd() * 300, y2: y + rnd() * 200 };
      const expected = list.filter((a) => {
        const b = a.geometry.bbox!;
        return b[0]! <= r.x2 && r.x1 <= b[2]! && b[1]! <= r.y2 && r.y1 <= b[3]!;
      });
      expect(idx.query(r).map((e) => e.value.key)).toEqual(expected.map((a) => a.key));
    }
  });
});

describe('hit testing', () => {
  const big = box(1, [100, 100, 500, 400]);
  const small = box(2, [200, 200, 240, 230]);
  const poly = fromApi({ id: 3, kind: 'polygon', label: 'dog', geometry: { points: [600, 100, 700, 100, 650, 200] }, source: 'human', model_version: null, score: null, state: 'accepted' });
  const idx = indexOf([big, small, poly]);

  it('prefers the smallest shape under the point', () => {
    expect(hitTest(idx, { x: 210, y: 210 }, { tol: 3 })?.key).toBe(small.key);
    expect(hitTest(idx, { x: 120, y: 300 }, { tol: 3 })?.key).toBe(big.key);
    expect(hitTest(idx, { x: 50, y: 50 }, { tol: 3 })).toBeNull();
  });

  it('uses the polygon outline, not its bounding box', () => {
    expect(hitTest(idx, { x: 650, y: 150 }, { tol: 2 })?.key).toBe(poly.key);
    expect(hitTest(idx, { x: 605, y: 190 }, { tol: 2 })).toBeNull();
  });

  it('finds handles and vertices of the selected shape first', () => {
    expect(hitTest(idx, { x: 502, y: 398 }, { tol: 4, selected: big })?.part).toEqual({ type: 'handle', handle: 'se' });
    expect(hitTest(idx, { x: 300, y: 101 }, { tol: 4, selected: big })?.part).toEqual({ type: 'handle', handle: 'n' });
    expect(hitTest(idx, { x: 699, y: 102 }, { tol: 4, selected: poly })?.part).toEqual({ type: 'vertex', index: 1 });
    expect(hitTest(idx, { x: 650, y: 101 }, { tol: 4, selected: poly })?.part).toEqual({ type: 'edge', index: 0 });
  });

  it('leaves the middle of a small selected box for moving', () => {
    const tiny = box(9, [1000, 1000, 1016, 1012]);
    const only = indexOf([tiny]);
    expect(hitTest(only, { x: 1008, y: 1006 }, { tol: 6, selected: tiny })?.part).toEqual({ type: 'body' });
    expect(hitTest(only, { x: 1016, y: 1012 }, { tol: 6, selected: tiny })?.part).toEqual({ type: 'handle', handle: 'se' });
    expect(hitTest(only, { x: 1008, y: 1000 }, { tol: 6, selected: tiny })?.part).toEqual({ type: 'body' });
  });

  it('skips hidden annotations', () => {
    expect(hitTest(idx, { x: 210, y: 210 }, { tol: 3, visible: (a) => a.key !== small.key })?.key).toBe(big.key);
  });

  it('cycles through stacked shapes on repeated clicks', () => {
    const p = { x: 220, y: 215 };
    expect(candidatesAt(idx, p, { tol: 3 }).map((a) => a.key)).toEqual([small.key, big.key]);
    expect(clickTarget(idx, p, { tol: 3 })?.key).toBe(small.key);
    expect(clickTarget(idx, p, { tol: 3, selected: small })?.key).toBe(big.key);
    expect(clickTarget(idx, p, { tol: 3, selected: big })?.key).toBe(small.key);
  });

});
