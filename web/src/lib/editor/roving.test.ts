import { describe, expect, it } from 'vitest';
import { radioStep, rovingStep, stopIndex } from './roving';

describe('roving Tab stop', () => {
  it.each([
    ['ArrowDown', 0, 3, 1],
    ['ArrowDown', 2, 3, 2],
    ['ArrowDown', -1, 3, 0],
    ['ArrowUp', 2, 3, 1],
    ['ArrowUp', 0, 3, 0],
    ['ArrowUp', -1, 3, 0],
    ['Home', 2, 3, 0],
    ['End', 0, 3, 2],
    ['ArrowRight', 0, 3, null],
    ['Tab', 0, 3, null],
    ['ArrowDown', -1, 0, null],
  ] as const)('%s from %i of %i goes to %o', (key, at, n, want) => {
    expect(rovingStep(key, at, n)).toBe(want);
  });

  it('is the focused control, else the preferred one, else the first', () => {
    expect(stopIndex(2, 1, 3)).toBe(2);
    expect(stopIndex(-1, 1, 3)).toBe(1);
    expect(stopIndex(-1, -1, 3)).toBe(0);
    expect(stopIndex(-1, -1, 0)).toBe(-1);
  });
});

describe('radio group', () => {
  it.each([
    ['ArrowRight', 0, 4, 1],
    ['ArrowDown', 3, 4, 0],
    ['ArrowLeft', 0, 4, 3],
    ['ArrowUp', 2, 4, 1],
    ['ArrowLeft', -1, 4, 3],
    ['Home', 2, 4, null],
    ['ArrowRight', 0, 0, null],
  ] as const)('%s from %i of %i goes to %o', (key, at, n, want) => {
    expect(radioStep(key, at, n)).toBe(want);
  });
});
