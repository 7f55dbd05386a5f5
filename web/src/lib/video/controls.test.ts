import { describe, expect, it } from 'vitest';
import { impliedTrack, stepTrack } from './controls';

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

describe('impliedTrack', () => {
  it('keeps the selected track', () => {
    expect(impliedTrack([1, 2], [2], 1)).toBe(1);
  });

  it('takes the only track when none is selected, on the frame or not', () => {
    expect(impliedTrack([4], [], null)).toBe(4);
    expect(impliedTrack([4], [4], null)).toBe(4);
  });

  it('takes the only track on the frame among several', () => {
    expect(impliedTrack([1, 2, 3], [2], null)).toBe(2);
  });

  it('guesses nothing when several tracks could be meant, or none exists', () => {
    expect(impliedTrack([1, 2], [], null)).toBeNull();
    expect(impliedTrack([1, 2, 3], [1, 3], null)).toBeNull();
    expect(impliedTrack([], [], null)).toBeNull();
  });
});
