/**
 * The video's frames in the browser: decoded images by frame number, the most recently used few hundred kept.
 * A frame loads from `GET .../frames/{n}` (cached by the browser for good: the URL never changes). While
 * playing, `ahead` asks the server to decode the next frames in one sequential pass
 * (`GET .../frames?start&count`) and loads the URLs it returns, so playback does not wait on a decode per frame.
 */

interface Entry {
  img: HTMLImageElement;
  state: 'loading' | 'ready' | 'error';
  done: Promise<HTMLImageElement | null>;
}

/** Frames asked for in one prefetch request (the server takes at most 120). */
export const CHUNK = 30;

/** Decoded frames kept: about 600 MB of pixels, at least 30 and at most 360 frames. */
export function cacheLimit(width: number, height: number): number {
  return Math.max(30, Math.min(360, Math.floor((600 * 2 ** 20) / Math.max(1, width * height * 4))));
}

export class FrameCache {
  private readonly entries = new Map<number, Entry>();
  private readonly asked = new Set<number>();
  private disposed = false;

  constructor(
    /** The video's frame count (read each time: the tracks' first load may correct the item's). */
    private readonly frameCount: () => number,
    private readonly urlOf: (f: number) => string,
    private readonly prefetch: (start: number, count: number) => Promise<string[]>,
    /** Called when a frame has decoded (the stage redraws when it is the current one). */
    private readonly onready: (f: number) => void,
    /** Decoded frames kept (`cacheLimit`). */
    readonly limit = 360,
  ) {}

  /** The decoded image of frame `f`, or null while it loads (or failed). */
  ready(f: number): HTMLImageElement | null {
    const e = this.entries.get(f);
    if (!e || e.state !== 'ready') return null;
    // Most recently used last.
    this.entries.delete(f);
    this.entries.set(f, e);
    return e.img;
  }

  failed(f: number): boolean {
    return this.entries.get(f)?.state === 'error';
  }

  /** Start loading frame `f` (from `url`, else its own URL) unless it is loading or loaded; resolves when decoded. */
  load(f: number, url?: string): Promise<HTMLImageElement | null> {
    const have = this.entries.get(f);
    if (have && have.state !== 'error') return have.done;
    const img = new Image();
    img.decoding = 'async';
    img.src = url ?? this.urlOf(f);
    const entry: Entry = { img, state: 'loading', done: Promise.resolve(null) };
    entry.done = img.decode().then(
      () => {
        entry.state = 'ready';
        if (!this.disposed) this.onready(f);
        return img;
      },
      () => {
        entry.state = 'error';
        if (!this.disposed) this.onready(f);
        return null;
      },
    );
    this.entries.set(f, entry);
    this.evict();
    return entry.done;
  }

  /** Have frames [from, from + count) decoded by the server and loaded here (chunk by chunk, each once). */
  ahead(from: number, count: number): void {
    const total = this.frameCount();
    const end = Math.min(total, from + count);
    for (let c = Math.floor(from / CHUNK) * CHUNK; c < end; c += CHUNK) {
      if (this.asked.has(c)) continue;
      this.asked.add(c);
      const n = Math.min(CHUNK, total - c);
      this.prefetch(c, n).then(
        (urls) => {
          if (this.disposed) return;
          urls.forEach((u, i) => void this.load(c + i, u));
        },
        () => {
          // The frames still load one by one.
          this.asked.delete(c);
          for (let f = c; f < c + n; f++) void this.load(f);
        },
      );
    }
  }

  private evict(): void {
    if (this.entries.size <= this.limit) return;
    for (const [f, e] of this.entries) {
      if (this.entries.size <= this.limit) break;
      if (e.state === 'loading') continue;
      this.entries.delete(f);
      this.asked.delete(Math.floor(f / CHUNK) * CHUNK);
    }
  }

  dispose(): void {
    this.disposed = true;
    this.entries.clear();
  }
}
