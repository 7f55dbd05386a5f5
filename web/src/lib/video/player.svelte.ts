/**
 * Playback at the video's frame rate times the chosen speed (`speed.ts`: 0.25× to 4×, kept per browser). Each
 * animation frame it shows the newest decoded frame the clock has reached; when the next one has not decoded yet
 * it waits (the clock stops with it) rather than skip ahead to blank frames. Frames ahead are prefetched in chunks
 * (`FrameCache.ahead`), further ahead when playing faster. A change of speed while playing goes on from the frame
 * on show (the clock is re-anchored there), without a jump.
 */

import type { FrameCache } from './frames';
import { playbackFps } from './scale';
import type { VideoSession } from './session.svelte';
import { browserStorage, clockPosition, isRate, type PlayClock, prefetchCount, rateText, readRate, reanchor, stepRate, writeRate } from './speed';

export class Player {
  playing = $state(false);
  /** The playback speed, 1 for the video's own frame rate. */
  rate = $state(readRate(browserStorage()));
  private raf = 0;
  private clock: PlayClock = { t0: 0, f0: 0 };

  constructor(
    private readonly session: VideoSession,
    private readonly frames: FrameCache,
  ) {}

  /** The item's frame rate, or `DEFAULT_FPS` (`scale.ts`) when it has none. */
  get fps(): number {
    return playbackFps(this.session.fps);
  }

  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  play(): void {
    const s = this.session;
    if (this.playing) return;
    if (s.frame >= s.frameCount - 1) s.seek(0);
    this.playing = true;
    this.clock = { t0: performance.now(), f0: s.frame };
    this.prefetch();
    this.raf = requestAnimationFrame(this.tick);
  }

  pause(): void {
    this.playing = false;
    cancelAnimationFrame(this.raf);
  }

  /** Play at `rate` (one of `RATES`; anything else is ignored), kept in this browser. */
  setRate(rate: number): void {
    if (!isRate(rate) || rate === this.rate) return;
    if (this.playing) {
      this.clock = reanchor(this.clock, performance.now(), this.fps, this.rate, this.session.frame);
      this.rate = rate;
      this.prefetch();
    } else this.rate = rate;
    writeRate(browserStorage(), rate);
  }

  /** `<` / `>`: the next slower or faster speed, said in the editor's notice (and at either end, that it is). */
  stepRate(dir: 1 | -1): void {
    const next = stepRate(this.rate, dir);
    if (next === this.rate) {
      return this.session.notify(`${rateText(next)} is the ${dir > 0 ? 'fastest' : 'slowest'} playback speed`);
    }
    this.setRate(next);
    this.session.notify(`Playback speed ${rateText(next)}`);
  }

  private prefetch(): void {
    this.frames.ahead(this.session.frame, prefetchCount(this.fps, this.rate, this.frames.limit));
  }

  private readonly tick = (now: number): void => {
    if (!this.playing) return;
    const s = this.session;
    const last = s.frameCount - 1;
    const target = Math.min(last, Math.floor(clockPosition(this.clock, now, this.fps, this.rate)));
    this.prefetch();
    let show = s.frame;
    for (let f = target; f > s.frame; f--) {
      if (this.frames.ready(f)) {
        show = f;
        break;
      }
    }
    if (show !== s.frame) s.seek(show);
    else if (target > s.frame) {
      // Waiting for the next frame to decode: the clock waits too.
      this.clock = { t0: now, f0: s.frame };
    }
    if (s.frame >= last) {
      this.pause();
      return;
    }
    this.raf = requestAnimationFrame(this.tick);
  };

  dispose(): void {
    this.pause();
  }
}
