import { describe, expect, it } from 'vitest';
import { clockPosition, parseRate, prefetchCount, RATE_SETTING, RATES, rateText, readRate, reanchor, stepRate, writeRate } from './speed';

/** A Storage with what the module uses, over a Map. */
function memory(initial: Record<string, string> = {}): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
  };
}

const refusing = {
  getItem: (): string | null => {
    throw new DOMException('denied', 'SecurityError');
  },
  setItem: (): void => {
    throw new DOMException('full', 'QuotaExceededError');
  },
  removeItem: (): void => {
    throw new DOMException('denied', 'SecurityError');
  },
};

describe('the speeds offered', () => {
  it('reads as the menu shows them, slowest first, with 1× among them', () => {
    expect(RATES.map(rateText)).toEqual(['0.25×', '0.5×', '1×', '1.5×', '2×', '4×']);
  });

  it('steps to the next faster or slower speed with > and <, and stops at either end', () => {
    expect(stepRate(1, 1)).toBe(1.5);
    expect(stepRate(1.5, 1)).toBe(2);
    expect(stepRate(2, 1)).toBe(4);
    expect(stepRate(4, 1)).toBe(4);
    expect(stepRate(1, -1)).toBe(0.5);
    expect(stepRate(0.5, -1)).toBe(0.25);
    expect(stepRate(0.25, -1)).toBe(0.25);
  });

  it('steps from a speed not offered to the nearest offered one that way', () => {
    expect(stepRate(3, 1)).toBe(4);
    expect(stepRate(3, -1)).toBe(2);
    expect(stepRate(8, 1)).toBe(4);
    expect(stepRate(0.1, -1)).toBe(0.25);
  });
});

describe('the speed kept in the browser', () => {
  it('reads back an offered speed', () => {
    expect(parseRate('0.25')).toBe(0.25);
    expect(parseRate('1.5')).toBe(1.5);
    expect(parseRate('4')).toBe(4);
  });

  it('falls back to 1× for nothing, junk, or a speed not offered', () => {
    for (const bad of [null, undefined, '', 'fast', '3', '0', '-2', '0x4', '4e0', 'Infinity', 'NaN', '2×', '{"rate":2}']) {
      expect(parseRate(bad)).toBe(1);
    }
  });

  it('is written as the number, and removed at 1×', () => {
    const store = memory();
    writeRate(store, 2);
    expect(store.data.get(RATE_SETTING)).toBe('2');
    expect(readRate(store)).toBe(2);
    writeRate(store, 1);
    expect(store.data.has(RATE_SETTING)).toBe(false);
    expect(readRate(store)).toBe(1);
  });

  it('reads 1× from a corrupt value, and where storage is refused or missing', () => {
    expect(readRate(memory({ [RATE_SETTING]: '7' }))).toBe(1);
    expect(readRate(refusing)).toBe(1);
    expect(readRate(undefined)).toBe(1);
    expect(() => writeRate(refusing, 2)).not.toThrow();
  });
});

describe('the playback clock', () => {
  it('advances fps × speed frames a second', () => {
    const c = { t0: 1000, f0: 10 };
    expect(clockPosition(c, 2000, 30, 1)).toBe(40);
    expect(clockPosition(c, 2000, 30, 4)).toBe(130);
    expect(clockPosition(c, 2000, 30, 0.25)).toBe(17.5);
    expect(clockPosition(c, 1500, 25, 2)).toBe(35);
  });

  it('does not run backwards when an animation frame is stamped before the clock started', () => {
    expect(clockPosition({ t0: 1000, f0: 10 }, 990, 30, 1)).toBe(10);
  });

  it('goes on from where it was when the speed changes: no jump at the change, the new speed after it', () => {
    // At 1×, 30 fps: 0.5 s after frame 10 the clock is at 25.0, and frame 25 is on show.
    const c = reanchor({ t0: 1000, f0: 10 }, 1500, 30, 1, 25);
    expect(Math.floor(clockPosition(c, 1500, 30, 4))).toBe(25);
    // Then at 4×: 120 frames a second from there.
    expect(clockPosition(c, 2000, 30, 4)).toBe(85);
  });

  it('keeps the part of the shown frame already played', () => {
    // 0.2 s at 0.25× (7.5 fps) from frame 10: 1.5 frames, so frame 11 is on show and half of it has played.
    const c = reanchor({ t0: 0, f0: 10 }, 200, 30, 0.25, 11);
    expect(c.f0).toBeCloseTo(11.5);
  });

  it('stays on the shown frame when the clock had run ahead of it (a frame still decoding)', () => {
    // The clock says frame 40, but frame 12 is the newest decoded one on show: going faster must not skip on.
    const c = reanchor({ t0: 0, f0: 10 }, 1000, 30, 1, 12);
    expect(Math.floor(c.f0)).toBe(12);
    expect(c.t0).toBe(1000);
  });
});

describe('frames prefetched ahead while playing', () => {
  it('is two seconds of video at 1× and slower, at least 30, as before the speed control', () => {
    expect(prefetchCount(30, 1, 360)).toBe(60);
    expect(prefetchCount(30, 0.25, 360)).toBe(60);
    expect(prefetchCount(10, 1, 360)).toBe(30);
  });

  it('goes proportionally further ahead when faster', () => {
    expect(prefetchCount(30, 2, 360)).toBe(120);
    expect(prefetchCount(30, 4, 360)).toBe(240);
  });

  it('is held to what the frame cache keeps, so far frames do not push out the near ones', () => {
    expect(prefetchCount(30, 4, 200)).toBe(140);
    // A 1080p video keeps 75 frames: no more ahead than at 1×.
    expect(prefetchCount(30, 4, 75)).toBe(60);
  });
});
