import { describe, expect, it } from 'vitest';
import { regionOf, regionOrder } from './regions';

describe('F6 round the regions', () => {
  it.each([
    // The stage (0), the toolbar (1), two panel sections (2, 3), the top bar (4).
    [0, 5, false, [1, 2, 3, 4]],
    [4, 5, false, [0, 1, 2, 3]],
    [2, 5, false, [3, 4, 0, 1]],
    [0, 5, true, [4, 3, 2, 1]],
    [1, 5, true, [0, 4, 3, 2]],
    // Focus in no region (the page body) counts as the stage.
    [-1, 5, false, [1, 2, 3, 4]],
    [-1, 5, true, [4, 3, 2, 1]],
    [0, 1, false, []],
  ] as const)('from %i of %i (back: %s) tries %o', (at, n, back, want) => {
    expect(regionOrder(at, n, back)).toEqual(want);
  });

  it('finds the region that holds a node', () => {
    const a = { contains: (n: unknown) => n === 'in-a' } as unknown as Element;
    const b = { contains: (n: unknown) => n === 'in-b' } as unknown as Element;
    expect(regionOf([null, a, b], 'in-b' as unknown as Node)).toBe(2);
    expect(regionOf([null, a, b], 'elsewhere' as unknown as Node)).toBe(-1);
    expect(regionOf([a, b], null)).toBe(-1);
  });
});
