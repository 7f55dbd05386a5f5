import { describe, expect, it } from 'vitest';
import { fillRange } from './fill';

describe('fill range', () => {
  it('takes the nearest annotated slices around the one on screen', () => {
    expect(fillRange([2, 6, 10], 4)).toEqual([2, 6]);
    expect(fillRange([2, 6, 10], 8)).toEqual([6, 10]);
  });

  it('counts the slice on screen as the lower end when it is annotated', () => {
    expect(fillRange([2, 6, 10], 6)).toEqual([6, 10]);
    expect(fillRange([2, 6], 6)).toEqual([2, 6]);
  });

  it('offers nothing without two annotated slices at least two apart', () => {
    expect(fillRange([], 3)).toBeNull();
    expect(fillRange([5], 3)).toBeNull();
    expect(fillRange([3, 4], 3)).toBeNull();
    expect(fillRange([1, 2], 5)).toBeNull();
  });
});
