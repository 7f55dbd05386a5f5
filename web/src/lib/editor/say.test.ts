import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { labelChosen, labelRowName, nudgeSaid, settled } from './say';

describe('labelRowName', () => {
  it('puts the count and the key in words', () => {
    expect(labelRowName('bowl', 26, '1')).toBe('bowl, 26 shapes, key 1');
    expect(labelRowName('person', 1, '2')).toBe('person, 1 shape, key 2');
    expect(labelRowName('car', 0, null, 'track')).toBe('car, 0 tracks');
  });
});

describe('labelChosen', () => {
  it('says whether the selection took the label', () => {
    expect(labelChosen('dog', true)).toBe('Selection relabelled dog');
    expect(labelChosen('dog', false)).toBe('New shapes get dog');
  });
});

describe('nudgeSaid', () => {
  it('says the top-left corner, or the size when resizing', () => {
    const r = { x1: 410.2, y1: 299.6, x2: 520, y2: 380 };
    expect(nudgeSaid(r, false)).toBe('Moved to 410, 300');
    expect(nudgeSaid(r, true)).toBe('Resized to 110 × 80');
  });
});

describe('settled', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('calls once with the last value after the pushes stop', () => {
    const said: string[] = [];
    const s = settled((v: string) => said.push(v), 500);
    for (let i = 0; i < 30; i++) {
      s.push(`at ${i}`);
      vi.advanceTimersByTime(30);
    }
    expect(said).toEqual([]);
    vi.advanceTimersByTime(500);
    expect(said).toEqual(['at 29']);
  });

  it('drops a pending call on cancel', () => {
    const said: string[] = [];
    const s = settled((v: string) => said.push(v), 500);
    s.push('x');
    s.cancel();
    vi.advanceTimersByTime(1000);
    expect(said).toEqual([]);
  });
});
