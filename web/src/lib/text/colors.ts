/**
 * Colours for spans drawn over text. A class colour is used as picked for tints, but a line or a label tag in
 * it must read on the white paper, which light colours (yellow, lime) do not: `inkOf` darkens a colour just
 * enough for text-grade contrast against white (WCAG 4.5:1), and leaves dark colours as they are.
 */

function parseHex(hex: string): [number, number, number] | null {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim());
  if (!m) return null;
  return [parseInt(m[1] as string, 16), parseInt(m[2] as string, 16), parseInt(m[3] as string, 16)];
}

function channel(v: number): number {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** Relative luminance (WCAG) of an `[r, g, b]` colour, 0-255 channels. */
export function luminance([r, g, b]: readonly [number, number, number]): number {
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** The contrast ratio of a colour against white. */
export function contrastOnWhite(rgb: readonly [number, number, number]): number {
  return 1.05 / (luminance(rgb) + 0.05);
}

function hex(rgb: readonly number[]): string {
  return `#${rgb.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
}

const cache = new Map<string, string>();

/** `color` darkened (mixed with black) until it has at least `ratio` contrast on white; unknown formats pass. */
export function inkOf(color: string, ratio = 4.5): string {
  const key = `${color}|${ratio}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const rgb = parseHex(color);
  let out = color;
  if (rgb) {
    let k = 1;
    let mixed: [number, number, number] = rgb;
    while (contrastOnWhite(mixed) < ratio && k > 0) {
      k = Math.max(0, k - 0.04);
      mixed = [rgb[0] * k, rgb[1] * k, rgb[2] * k];
    }
    out = hex(mixed);
  }
  cache.set(key, out);
  return out;
}
