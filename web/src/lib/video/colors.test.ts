import { describe, expect, it } from 'vitest';
import { trackColor, withAlpha } from './colors';

function hue(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  if (d === 0) return 0;
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

describe('trackColor', () => {
  it('is a #rrggbb colour, the same for the same track every time', () => {
    expect(trackColor(7)).toMatch(/^#[0-9a-f]{6}$/);
    expect(trackColor(7)).toBe(trackColor(7));
  });

  it('gives neighbouring tracks clearly different hues', () => {
    for (let id = 1; id < 40; id++) {
      const d = Math.abs(hue(trackColor(id)) - hue(trackColor(id + 1)));
      expect(Math.min(d, 360 - d)).toBeGreaterThan(60);
    }
  });

  it('gives the first ten tracks ten different colours', () => {
    expect(new Set(Array.from({ length: 10 }, (_, i) => trackColor(i + 1))).size).toBe(10);
  });

  it('makes canvas colours with alpha', () => {
    expect(withAlpha('#ff8000', 0.5)).toBe('rgba(255, 128, 0, 0.5)');
    expect(withAlpha('red', 0.5)).toBe('red');
  });
});
