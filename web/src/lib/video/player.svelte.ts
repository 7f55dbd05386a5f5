/**
 * Playback at the video's frame rate. Each animation frame it shows the newest decoded frame the clock has
 * reached; when the next one has not decoded yet it waits (the clock stops with it) rather than skip ahead to
 * blank frames. Frames ahead are prefetched in chunks (`FrameCache.ahead`).
 */

import type { FrameCache } from './frames';
import { playbackFps } from './scale';
import type { VideoSession } from './session.svelte';

export class Player {
  playing = $state(false);
  private raf = 0;
  private t0 = 0;
  private f0 = 0;

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
    this.t0 = performance.now();
    this.f0 = s.frame;
    this.frames.ahead(s.frame, Math.max(2 * Math.ceil(this.fps), 30));
    this.raf = requestAnimationFrame(this.tick);
  }

  pause(): void {
    this.playing = false;
    cancelAnimationFrame(this.raf);
  }

  private readonly tick = (now: number): void => {
    if (!this.playing) return;
    const s = this.session;
    const last = s.frameCount - 1;
    const target = Math.min(last, this.f0 + Math.floor(((now - this.t0) * this.fps) / 1000));
    this.frames.ahead(s.frame, Math.max(2 * Math.ceil(this.fps), 30));
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
      this.t0 = now;
      this.f0 = s.frame;
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
