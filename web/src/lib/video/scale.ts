/**
 * The timeline's frame axis: frame <-> x (CSS pixels) for `n` frames over a strip from `x0` of `width` pixels,
 * each frame a cell of `width / n`; the ruler's tick step; a frame's time and the video's length; the frame
 * rate a video without one plays at. Pure functions.
 */

/** Frame rate a video without one (MOT without `seqinfo.ini`) plays at, and its times are shown at. */
export const DEFAULT_FPS = 25;

/** The video's own frame rate when it has a usable one. */
const knownFps = (fps: number | null): fps is number => fps !== null && fps > 0 && Number.isFinite(fps);

/** The frame rate a video plays at: its own, else `DEFAULT_FPS`. */
export function playbackFps(fps: number | null): number {
  return knownFps(fps) ? fps : DEFAULT_FPS;
}

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
  // Rounded to the hundredths shown first, so that 59.996 s reads 1:00.00 rather than 0:60.00.
  const total = Math.round((f / fps) * 100) / 100;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total - h * 3600 - m * 60;
  const ss = sec.toFixed(2).padStart(5, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export interface TimeReadout {
  /** "0:01.20 / 0:04.00": the current frame's start, then the length of the video. */
  text: string;
  /** True when the video has no frame rate and the times are at `DEFAULT_FPS`. */
  assumed: boolean;
  /** What the times are measured in, for a tooltip. */
  title: string;
}

/**
 * The timeline's time: frame `frame` starts at `frame / fps`; the video lasts `frameCount / fps` (the end of
 * its last frame, not the start: 120 frames at 30 fps last 0:04.00). A video without a frame rate is timed at
 * the rate it plays at, `DEFAULT_FPS`, and says so.
 */
export function timeReadout(frame: number, frameCount: number, fps: number | null): TimeReadout {
  const assumed = !knownFps(fps);
  const rate = playbackFps(fps);
  const times = `${formatTime(frame, rate)} / ${formatTime(Math.max(0, frameCount), rate)}`;
  return assumed
    ? { text: `${times} (${DEFAULT_FPS} fps assumed)`, assumed, title: `The video has no frame rate: times are at ${DEFAULT_FPS} fps, the rate it plays at` }
    : { text: times, assumed, title: `Time of this frame / length of the video, at ${Math.round(rate * 100) / 100} fps` };
}

/** The toolbar's frame rate: "30 fps", or "fps unknown (plays at 25)". */
export function fpsText(fps: number | null): string {
  return knownFps(fps) ? `${Math.round(fps * 100) / 100} fps` : `fps unknown (plays at ${DEFAULT_FPS})`;
}

/** A frame number typed by a person, clamped into the video; null for something that is not a number. */
export function parseFrame(text: string, n: number): number | null {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return null;
  return Math.min(Math.max(0, n - 1), Math.max(0, Number(t)));
}
