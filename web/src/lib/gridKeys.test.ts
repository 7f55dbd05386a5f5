import { describe, expect, it } from 'vitest';
import { arrowTarget } from './gridKeys';

describe('arrowTarget', () => {
  it('moves along the row and between rows', () => {
    expect(arrowTarget('ArrowRight', 0, 4, 10)).toBe(1);
    expect(arrowTarget('ArrowLeft', 5, 4, 10)).toBe(4);
    expect(arrowTarget('ArrowDown', 1, 4, 10)).toBe(5);
    expect(arrowTarget('ArrowUp', 5, 4, 10)).toBe(1);
  });
  it('stops at the ends', () => {
    expect(arrowTarget('ArrowLeft', 0, 4, 10)).toBeNull();
    expect(arrowTarget('ArrowRight', 9, 4, 10)).toBeNull();
    expect(arrowTarget('ArrowUp', 2, 4, 10)).toBeNull();
  });
  it('goes down to the last item when the row below is short', () => {
    expect(arrowTarget('ArrowDown', 7, 4, 10)).toBe(9);
    expect(arrowTarget('ArrowDown', 9, 4, 10)).toBeNull();
  });
  it('ignores other keys', () => {
    expect(arrowTarget('Enter', 0, 4, 10)).toBeNull();
    expect(arrowTarget('ArrowRight', 0, 4, 0)).toBeNull();
  });
});
