import { describe, expect, it } from 'vitest';
import { contrastOnWhite, inkOf } from './colors';

function rgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

describe('inkOf', () => {
  it('darkens light colours until they read on white', () => {
    for (const c of ['#facc15', '#ffffff', '#a3e635', '#22d3ee', '#f97316']) {
      const ink = inkOf(c);
      expect(contrastOnWhite(rgb(ink))).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('leaves dark colours alone and passes what it cannot read', () => {
    expect(inkOf('#1d4ed8')).toBe('#1d4ed8');
    expect(inkOf('rebeccapurple')).toBe('rebeccapurple');
  });

  it('keeps the hue (a yellow stays a dark yellow, not grey)', () => {
    const [r, g, b] = rgb(inkOf('#facc15'));
    expect(r).toBeGreaterThan(b * 3);
    expect(g).toBeGreaterThan(b * 3);
  });
});
