import { describe, expect, it } from 'vitest';
import { decodeSlice, type SliceData } from './slice';
import { draggedWindow, greyOf, int16Table, renderSlice, round } from './window';

function greys(out: Uint8ClampedArray): number[] {
  const g: number[] = [];
  for (let i = 0; i < out.length; i += 4) g.push(out[i]!);
  return g;
}

describe('window', () => {
  it('maps the window to black .. white and clamps outside it', () => {
    const w = { center: 40, width: 400 }; // soft tissue: -160 .. 240 HU
    expect(greyOf(-1000, w)).toBe(0);
    expect(greyOf(-160, w)).toBe(0);
    expect(greyOf(40, w)).toBe(128);
    expect(greyOf(240, w)).toBe(255);
    expect(greyOf(3000, w)).toBe(255);
  });

  it('renders an int16 slice through its table, opaque grey', () => {
    const s: SliceData = { width: 3, height: 1, values: Int16Array.from([-1000, 40, 1000]) };
    const out = new Uint8ClampedArray(12);
    renderSlice(s, { center: 40, width: 400 }, out);
    expect(greys(out)).toEqual([0, 128, 255]);
    expect([out[3], out[7], out[11]]).toEqual([255, 255, 255]);
    expect([out[4], out[5], out[6]]).toEqual([128, 128, 128]);
  });

  it('renders a float32 slice the same way, NaN black', () => {
    const s: SliceData = { width: 4, height: 1, values: Float32Array.from([0, 0.5, 1, NaN]) };
    const out = new Uint8ClampedArray(16);
    renderSlice(s, { center: 0.5, width: 1 }, out);
    expect(greys(out)).toEqual([0, 128, 255, 0]);
  });

  it('gives the same greys from the table as from the formula', () => {
    const table = int16Table(-5, 5, { center: 0, width: 4 });
    expect(table.length).toBe(11);
    const s: SliceData = { width: 11, height: 1, values: Int16Array.from({ length: 11 }, (_, i) => i - 5) };
    const out = new Uint8ClampedArray(44);
    renderSlice(s, { center: 0, width: 4 }, out);
    expect(greys(out)).toEqual(Array.from({ length: 11 }, (_, i) => greyOf(i - 5, { center: 0, width: 4 })));
  });

  it('refuses an output too small for the slice', () => {
    const s: SliceData = { width: 2, height: 2, values: new Int16Array(4) };
    expect(() => renderSlice(s, { center: 0, width: 1 }, new Uint8ClampedArray(8))).toThrow(/holds 2 pixels, the slice has 4/);
  });

  it('drags: right widens, down raises the level, never below a positive width', () => {
    const w = draggedWindow({ center: 40, width: 400 }, 250, 125, 4000);
    expect(w).toEqual({ center: 240, width: 800 });
    expect(draggedWindow({ center: 40, width: 400 }, -5000, 0, 4000).width).toBeGreaterThan(0);
    expect(round(12.345)).toBe(12.3);
    expect(round(0.12345)).toBe(0.123);
  });

  it('re-renders a 512 × 512 slice fast (timings printed, not asserted)', () => {
    const n = 512 * 512;
    const ints = new Int16Array(n);
    for (let i = 0; i < n; i++) ints[i] = ((i * 7919) % 4096) - 1024;
    const buf = ints.buffer;
    const s16 = decodeSlice(buf, 512, 512, 'int16');
    const s32: SliceData = { width: 512, height: 512, values: Float32Array.from(ints) };
    const out = new Uint8ClampedArray(n * 4);
    const time = (s: SliceData): number => {
      const runs = 20;
      const t0 = performance.now();
      for (let r = 0; r < runs; r++) renderSlice(s, { center: 40 + r, width: 400 }, out);
      return (performance.now() - t0) / runs;
    };
    time(s16); // warm up
    const ms16 = time(s16);
    const ms32 = time(s32);
    console.log(`window change on 512 x 512: int16 ${ms16.toFixed(2)} ms, float32 ${ms32.toFixed(2)} ms per render`);
    expect(out[3]).toBe(255);
  });
});
