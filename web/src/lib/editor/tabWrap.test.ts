import { describe, expect, it } from 'vitest';
import { wrapIndex } from './tabWrap';

describe('Tab at the ends of the page', () => {
  it.each([
    [4, 5, false, 0],
    [0, 5, true, 4],
    [2, 5, false, null],
    [2, 5, true, null],
    [0, 5, false, null],
    [4, 5, true, null],
    [-1, 5, false, null],
    [0, 1, false, null],
  ] as const)('from %i of %i (back: %s) goes to %o', (at, n, back, want) => {
    expect(wrapIndex(at, n, back)).toBe(want);
  });
});
