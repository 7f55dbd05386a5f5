/**
 * The timeline's frame axis: frame <-> x (CSS pixels) for `n` frames over a strip from `x0` of `width` pixels,
 * each frame a cell of `width / n`; the ruler's tick step; and a frame's time. Pure functions.
 */

export interface FrameScale {
  /** Number of frames. */
  n: number;
  /** Left edge of the strip. */
  x0: number;
  /** Width of the strip. */
  width: number;
}

/** The centre of frame `f`'s cell. */
export function frameToX(s: FrameScale, f: number): number {
  return s.x0 + ((f + 0.5) * s.width) / Math.max(1, s.n);
}

/** The left edge of frame `f`'s cell (the right edge of `f - 1`). */
export function frameEdge(s: FrameScale, f: number): number {
  return s.x0 + (f * s.width) / Math.max(1, s.n);
}

/** The frame whose cell holds `x`, clamped into [0, n - 1]. */
export function xToFrame(s: FrameScale, x: number): number {
  if (s.n <= 0 || s.width <= 0) return 0;
  const f = Math.floor(((x - s.x0) / s.width) * s.n);
  return Math.min(s.n - 1, Math.max(0, f));
}

/** A ruler step (1, 2, 5, 10, 20, 50, ... frames) that keeps labelled ticks at least `minPx` apart. */
export function tickStep(s: FrameScale, minPx = 56): number {
  const perFrame = s.width / Math.max(1, s.n);
  for (let base = 1; ; base *= 10) {
    for (const m of [1, 2, 5]) {
      const step = base * m;
      if (step * perFrame >= minPx || step >= s.n) return step;
    }
  }
}

/** Frame `f` as time at `fps` ("0:01.33", "1:02:03.50" past an hour); "–" without a frame rate. */
export function formatTime(f: number, fps: number | null): string {
  if (!fps || fps <= 0 || !Number.isFinite(fps)) return '–';
  const total = f / fps;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total - h * 3600 - m * 60;
  const ss = sec.toFixed(2).padStart(5, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A frame number typed by a person, clamped into the video; null for something that is not a number. */
export function parseFrame(text: string, n: number): number | null {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return null;
  return Math.min(Math.max(0, n - 1), Math.max(0, Number(t)));
}
