import { describe, expect, it } from 'vitest';
import { cellCount, cellOf, laneSegments, markedCells } from './lanes';

describe('laneSegments', () => {
  it('draws one cell per frame when they fit, merging equal neighbours', () => {
    const t = { states: 'kppoo--', confidence: [null, 0.95, 0.91, 0.4, 0.4, null, null] };
    expect(laneSegments(t, 7, cellCount(7, 700))).toEqual([
      { from: 0, to: 1, fill: 'none', level: 0 },
      { from: 1, to: 3, fill: 'p', level: 9 },
      { from: 3, to: 5, fill: 'out', level: 0 },
      { from: 5, to: 7, fill: 'none', level: 0 },
    ]);
  });

  it('shades propagated frames by confidence, in tenths', () => {
    const t = { states: 'ppp', confidence: [1, 0.55, 0.04] };
    expect(laneSegments(t, 3, 3).map((s) => s.level)).toEqual([10, 5, 0]);
  });

  it('shows the weakest confidence of the frames that share a pixel', () => {
    const n = 10_000;
    const states = 'p'.repeat(n);
    const confidence = new Array<number>(n).fill(0.9);
    confidence[5_003] = 0.12;
    const segs = laneSegments({ states, confidence }, n, 1000);
    const bad = segs.find((s) => s.level === 1);
    expect(bad).toEqual({ from: 500, to: 501, fill: 'p', level: 1 });
    expect(segs).toHaveLength(3);
  });

  it('lets a propagated frame win a cell over outside ones', () => {
    const segs = laneSegments({ states: 'ooopoooo', confidence: new Array(8).fill(0.8) }, 8, 2);
    expect(segs.map((s) => s.fill)).toEqual(['p', 'out']);
  });

  it('keeps the number of rectangles within the pixels there are', () => {
    const n = 50_000;
    const states = Array.from({ length: n }, (_, i) => (i % 3 ? 'p' : 'o')).join('');
    expect(laneSegments({ states, confidence: new Array(n).fill(0.7) }, n, 800).length).toBeLessThanOrEqual(800);
  });
});

describe('cells', () => {
  it('puts frames into cells and lists marked cells once', () => {
    expect(cellOf(0, 100, 10)).toBe(0);
    expect(cellOf(99, 100, 10)).toBe(9);
    expect(cellCount(40, 900.7)).toBe(40);
    expect(cellCount(4000, 900.7)).toBe(900);
    expect(markedCells([3, 4, 95, 200, -1], 100, 10)).toEqual([0, 9]);
  });
});
