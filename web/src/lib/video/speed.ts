/**
 * Playback speed of the video editor (CVAT's "player speed", YouTube's `<` / `>`): the speeds offered, the next
 * slower or faster one, how a speed reads ("0.5×"), the playback clock at a speed and how far ahead to prefetch.
 * The speed is kept per browser in localStorage under `labelhub.videoRate` (one setting for every video), as the
 * number ("2"); at 1× the key is removed. Pure functions, tested without a DOM.
 */

/** The speeds offered, slowest first. */
export const RATES: readonly number[] = [0.25, 0.5, 1, 1.5, 2, 4];

/** Where the speed is kept (localStorage, per browser). */
export const RATE_SETTING = 'labelhub.videoRate';

export function isRate(r: unknown): r is number {
  return typeof r === 'number' && RATES.includes(r);
}

/** The speed stored as `text`; 1 for nothing, something that is not a plain number, or a speed not offered. */
export function parseRate(text: string | null | undefined): number {
  const t = text?.trim() ?? '';
  if (!/^\d+(\.\d+)?$/.test(t)) return 1;
  const r = Number(t);
  return isRate(r) ? r : 1;
}

/** The next faster (`dir` 1) or slower (-1) speed than `rate`; `rate` itself at either end (no wrapping round). A
 * speed not in the list steps to the nearest offered one in that direction. */
export function stepRate(rate: number, dir: 1 | -1): number {
  if (dir > 0) return RATES.find((r) => r > rate) ?? RATES[RATES.length - 1]!;
  return [...RATES].reverse().find((r) => r < rate) ?? RATES[0]!;
}

/** How a speed reads: "0.25×", "1×", "1.5×". */
export function rateText(rate: number): string {
  return `${Math.round(rate * 100) / 100}×`;
}

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** The stored speed; 1 when there is none, storage is refused or what is stored is not an offered speed. */
export function readRate(store: Pick<Storage, 'getItem'> | undefined): number {
  try {
    return parseRate(store?.getItem(RATE_SETTING));
  } catch {
    return 1; // storage refused (private mode)
  }
}

export function writeRate(store: Store | undefined, rate: number): void {
  try {
    if (rate === 1) store?.removeItem(RATE_SETTING);
    else store?.setItem(RATE_SETTING, String(rate));
  } catch {
    // not remembered; the speed still applies on this page
  }
}

/** This browser's localStorage, or undefined where it is refused (a sandboxed frame). */
export function browserStorage(): Store | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

// ---- the playback clock ----------------------------------------------------------------------------------

/** The playback clock: at time `t0` (ms, `performance.now()`) it stood at frame position `f0` (may be
 * fractional: part of that frame already played). */
export interface PlayClock {
  t0: number;
  f0: number;
}

/** The frame position the clock has reached at `now`: it advances `fps × rate` frames a second. */
export function clockPosition(c: PlayClock, now: number, fps: number, rate: number): number {
  return c.f0 + (Math.max(0, now - c.t0) * fps * rate) / 1000;
}

/**
 * The clock re-anchored at `now` when the speed changes, so that playback goes on from where it is without a
 * jump: from the position reached at the old speed, kept within the frame on show (`shown`), so that neither
 * the shown frame changes at the change nor the part of it already played is played again.
 */
export function reanchor(c: PlayClock, now: number, fps: number, oldRate: number, shown: number): PlayClock {
  const at = clockPosition(c, now, fps, oldRate);
  return { t0: now, f0: Math.min(shown + 0.999, Math.max(shown, at)) };
}

/**
 * Frames to have decoded ahead of the playhead while playing: two seconds of video (at least 30) as before at
 * 1× and slower, and proportionally more when faster (240 at 4× for a 30 fps video), but no more than the frame
 * cache holds beside a chunk in flight and the frames just shown (`cacheLimit - 60`), which would evict the
 * nearest frames to make room for far ones.
 */
export function prefetchCount(fps: number, rate: number, cacheLimit: number): number {
  const base = Math.max(2 * Math.ceil(fps), 30);
  if (rate <= 1) return base;
  return Math.max(base, Math.min(Math.ceil(base * rate), cacheLimit - 60));
}
