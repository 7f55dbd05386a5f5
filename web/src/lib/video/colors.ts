/**
 * One colour per track, stable by its id (the same track keeps its colour across reloads and sessions), and
 * far from its neighbours: hues step by the golden angle, so tracks 1, 2, 3 ... never look alike. Lightness
 * and saturation are fixed to read on dark video frames and on the white panel.
 */

const GOLDEN_ANGLE = 137.508;
const cache = new Map<number, string>();

function hslToHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number): string => {
    const k = (n + h / 30) % 12;
    const c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

/** The colour of track `id` as `#rrggbb`. */
export function trackColor(id: number): string {
  let c = cache.get(id);
  if (c === undefined) {
    const hue = (((id * GOLDEN_ANGLE + 200) % 360) + 360) % 360;
    c = hslToHex(hue, 0.82, 0.56);
    cache.set(id, c);
  }
  return c;
}

/** `#rrggbb` with an alpha, as `rgba(...)` for the canvas. */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;
  return `rgba(${parseInt(m[1]!, 16)}, ${parseInt(m[2]!, 16)}, ${parseInt(m[3]!, 16)}, ${alpha})`;
}
