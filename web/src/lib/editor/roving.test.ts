import { describe, expect, it } from 'vitest';
import { gridStep, radioStep, rovingStep, stopIndex, type Box } from './roving';

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
    ['ArrowRight', 0, 3, 1],
    ['ArrowRight', 2, 3, 2],
    ['ArrowLeft', 1, 3, 0],
    ['ArrowLeft', 0, 3, 0],
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

describe('chips that wrap into rows', () => {
  // Three rows: [0 1 2] at the top, [3 4] with 4 a tall chip (a long name wrapped), [5] alone at the bottom.
  const box = (left: number, top: number, width: number, height = 20): Box => ({ left, top, right: left + width, bottom: top + height });
  const boxes = [box(0, 0, 60), box(66, 0, 60), box(132, 0, 60), box(0, 30, 100), box(106, 26, 80, 28), box(40, 64, 60)];

  it.each([
    ['ArrowRight', 0, 1],
    ['ArrowRight', 2, 3],
    ['ArrowRight', 5, 5],
    ['ArrowLeft', 3, 2],
    ['ArrowLeft', 0, 0],
    ['Home', 4, 0],
    ['End', 1, 5],
    // Down: the nearest in x in the next row (the tall chip's row counts as one row).
    ['ArrowDown', 0, 3],
    ['ArrowDown', 2, 4],
    ['ArrowDown', 4, 5],
    ['ArrowDown', 5, 5],
    // Up: the nearest in x in the row above.
    ['ArrowUp', 4, 2],
    ['ArrowUp', 3, 0],
    ['ArrowUp', 5, 3],
    ['ArrowUp', 1, 1],
    ['ArrowDown', -1, 0],
    ['Tab', 0, null],
    ['Enter', 0, null],
  ] as const)('%s from %i goes to %o', (key, at, want) => {
    expect(gridStep(key, at, boxes)).toBe(want);
  });

  it('has nowhere to go in an empty group', () => {
    expect(gridStep('ArrowDown', -1, [])).toBeNull();
  });
});
