import { describe, expect, it } from 'vitest';
import { applyMove, sliceKeyFor, wheelStep, WHEEL_STEP } from './keys';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});
const wheel = (deltaY: number, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; deltaMode: number }> = {}) => ({
  deltaY,
  deltaMode: 0,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  ...mods,
});

describe('slice keys', () => {
  it('steps with PageUp / PageDown always, Shift by 10', () => {
    expect(sliceKeyFor(key('PageUp'), true)).toEqual({ step: 1 });
    expect(sliceKeyFor(key('PageDown'), false)).toEqual({ step: -1 });
    expect(sliceKeyFor(key('PageUp', { shiftKey: true }), false)).toEqual({ step: 10 });
  });

  it('leaves ↑ / ↓ to the editor while it uses them, and ← / → always', () => {
    expect(sliceKeyFor(key('ArrowUp'), false)).toEqual({ step: 1 });
    expect(sliceKeyFor(key('ArrowDown'), false)).toEqual({ step: -1 });
    expect(sliceKeyFor(key('ArrowUp'), true)).toBeNull();
    expect(sliceKeyFor(key('ArrowLeft'), false)).toBeNull();
    expect(sliceKeyFor(key('ArrowUp', { ctrlKey: true }), false)).toBeNull();
    expect(sliceKeyFor(key('m'), false)).toBeNull();
  });

  it('jumps with Home / End and stays inside the volume', () => {
    expect(applyMove(5, 12, sliceKeyFor(key('Home'), false)!)).toBe(0);
    expect(applyMove(5, 12, sliceKeyFor(key('End'), true)!)).toBe(11);
    expect(applyMove(11, 12, { step: 1 })).toBe(11);
    expect(applyMove(3, 12, { step: -10 })).toBe(0);
  });

  it('turns one mouse notch into one slice, touchpad deltas once they add up', () => {
    expect(wheelStep(wheel(100), 0)).toEqual({ step: 1, acc: 0 });
    expect(wheelStep(wheel(-300), 0)).toEqual({ step: -1, acc: 0 });
    expect(wheelStep(wheel(3, { deltaMode: 1 }), 0)).toEqual({ step: 1, acc: 0 });
    const first = wheelStep(wheel(WHEEL_STEP / 2), 0)!;
    expect(first.step).toBe(0);
    expect(wheelStep(wheel(WHEEL_STEP / 2), first.acc)).toEqual({ step: 1, acc: 0 });
  });

  it('leaves Ctrl+wheel (zoom) and Shift+wheel (pan) to the editor', () => {
    expect(wheelStep(wheel(100, { ctrlKey: true }), 0)).toBeNull();
    expect(wheelStep(wheel(100, { shiftKey: true }), 0)).toBeNull();
  });
});
