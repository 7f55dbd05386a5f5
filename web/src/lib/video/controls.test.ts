import { describe, expect, it } from 'vitest';
import { stepTrack } from './controls';

describe('stepTrack', () => {
  it('steps through the tracks in id order and wraps', () => {
    expect(stepTrack([3, 1, 7], 1, 1)).toBe(3);
    expect(stepTrack([3, 1, 7], 7, 1)).toBe(1);
    expect(stepTrack([3, 1, 7], 1, -1)).toBe(7);
  });

  it('starts at the first (or last) track when none of them is selected', () => {
    expect(stepTrack([3, 1, 7], null, 1)).toBe(1);
    expect(stepTrack([3, 1, 7], 42, -1)).toBe(7);
    expect(stepTrack([], null, 1)).toBeNull();
  });
});
