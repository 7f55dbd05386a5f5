import { describe, expect, it } from 'vitest';
import { keepInView, moveCursor, polygonKeyFor, SAY, startPoint, withVertex } from './polygonKeys';

type Mods = Partial<{ shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; altKey: boolean }>;

const key = (k: string, mods: Mods = {}) => ({
  key: k,
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
});

describe('polygon keys', () => {
  it.each([
    ['ArrowRight', {}, { kind: 'move', dx: 1, dy: 0 }],
    ['ArrowUp', {}, { kind: 'move', dx: 0, dy: -1 }],
    ['ArrowLeft', { shiftKey: true }, { kind: 'move', dx: -10, dy: 0 }],
    ['ArrowDown', { shiftKey: true }, { kind: 'move', dx: 0, dy: 10 }],
    [' ', {}, { kind: 'add' }],
    ['Enter', {}, { kind: 'close' }],
    ['Backspace', {}, { kind: 'undo' }],
    ['Escape', {}, { kind: 'cancel' }],
    ['ArrowRight', { ctrlKey: true }, null],
    ['ArrowRight', { altKey: true }, null],
    [' ', { ctrlKey: true }, null],
    ['Enter', { shiftKey: true }, null],
    ['g', {}, null],
    ['Delete', {}, null],
  ] as const)('%s %o is %o', (k, mods, want) => {
    expect(polygonKeyFor(key(k, mods))).toEqual(want);
  });
});

describe('the crosshair', () => {
  it('starts in the middle of what is shown of the image, or where it was when that is still in view', () => {
    expect(startPoint({ x1: -100, y1: -50, x2: 900, y2: 650 }, 800, 600, null)).toEqual({ x: 400, y: 300 });
    expect(startPoint({ x1: 100, y1: 101, x2: 300, y2: 200 }, 800, 600, null)).toEqual({ x: 200, y: 151 });
    expect(startPoint({ x1: 0, y1: 0, x2: 800, y2: 600 }, 800, 600, { x: 10, y: 20 })).toEqual({ x: 10, y: 20 });
    expect(startPoint({ x1: 100, y1: 100, x2: 300, y2: 200 }, 800, 600, { x: 10, y: 20 })).toEqual({ x: 200, y: 150 });
  });

  it('moves within the image', () => {
    expect(moveCursor({ x: 5, y: 5 }, 10, -1, 800, 600)).toEqual({ x: 15, y: 4 });
    expect(moveCursor({ x: 5, y: 5 }, -10, -10, 800, 600)).toEqual({ x: 0, y: 0 });
    expect(moveCursor({ x: 795, y: 598 }, 10, 10, 800, 600)).toEqual({ x: 800, y: 600 });
  });

  it('pans the view just enough to keep it in sight', () => {
    const seen = { x1: 100, y1: 100, x2: 300, y2: 200 };
    expect(keepInView(seen, { x: 200, y: 150 }, 10)).toEqual({ dx: 0, dy: 0 });
    expect(keepInView(seen, { x: 295, y: 95 }, 10)).toEqual({ dx: 5, dy: -15 });
    expect(keepInView({ x1: 0, y1: 0, x2: 10, y2: 10 }, { x: 8, y: 5 }, 10)).toEqual({ dx: 3, dy: 0 });
  });
});

describe('points', () => {
  it('adds a point, but not the same point twice in a row', () => {
    const one = withVertex([], { x: 1, y: 2 });
    expect(one).toEqual([1, 2]);
    expect(withVertex(one!, { x: 1, y: 2 })).toBeNull();
    expect(withVertex(one!, { x: 1, y: 3 })).toEqual([1, 2, 1, 3]);
  });

  it('says what happened in words', () => {
    expect(SAY.added(3, { x: 120, y: 80 })).toBe('Point 3 at 120, 80');
    expect(SAY.removed(0)).toBe('Last point removed, none left');
    expect(SAY.removed(2)).toBe('Last point removed, 2 left');
    expect(SAY.tooFew(2)).toBe('A polygon needs at least 3 points: 2 so far');
  });
});
