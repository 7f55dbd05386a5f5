/** The slices already fetched, least recently used dropped first once a byte budget is passed, and the order in
 * which the neighbours of the shown slice are fetched ahead. */

import { sliceBytes, type SliceData } from './slice';

/** About 128 slices of 512 × 512 int16. */
export const CACHE_BYTES = 64 * 1024 * 1024;

export class SliceCache {
  private readonly map = new Map<number, SliceData>();
  private bytes = 0;

  constructor(private readonly budget = CACHE_BYTES) {}

  get size(): number {
    return this.map.size;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  has(k: number): boolean {
    return this.map.has(k);
  }

  /** The slice, marked as the most recently used. */
  get(k: number): SliceData | undefined {
    const s = this.map.get(k);
    if (s) {
      this.map.delete(k);
      this.map.set(k, s);
    }
    return s;
  }

  /** Keep the slice; the least recently used go until the budget holds (the newest always stays). */
  put(k: number, s: SliceData): void {
    const old = this.map.get(k);
    if (old) {
      this.bytes -= sliceBytes(old);
      this.map.delete(k);
    }
    this.map.set(k, s);
    this.bytes += sliceBytes(s);
    for (const [key, v] of this.map) {
      if (this.bytes <= this.budget || key === k) break;
      this.map.delete(key);
      this.bytes -= sliceBytes(v);
    }
  }

  keys(): number[] {
    return [...this.map.keys()];
  }
}

/** The slices around `k` to fetch ahead, nearest first, the next one before the previous one: k+1, k-1, k+2, ... */
export function neighbours(k: number, count: number, radius = 3): number[] {
  const out: number[] = [];
  for (let d = 1; d <= radius; d++) {
    if (k + d < count) out.push(k + d);
    if (k - d >= 0) out.push(k - d);
  }
  return out;
}
