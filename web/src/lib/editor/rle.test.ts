import { describe, expect, it } from 'vitest';
import { decodeMask, decodeString, encodeMask, encodeString, RleError, runsBounds, runsOf } from './rle';

/*
 * Vectors written by pycocotools 2.0.11 (the reference), made once with
 *   .venv/bin/python -c 'import pycocotools.mask as m, numpy as np; ...; print(m.encode(np.asfortranarray(a))["counts"])'
 * A: 4x5 zeros with a[1:3, 1:4] = 1.
 * B: 7x9 of (np.random.default_rng(3).random((7, 9)) > 0.5); SET_B are np.nonzero(b.flatten(order="F")).
 * C: 300x400 zeros with c[10:250, 20:380] = 1 and a hole c[100:120, 50:60] = 0 (86,200 pixels set).
 */
const A = '5220003';
const B = '221030M000000O100000O00001221MM40L10';
const SET_B = [2, 3, 5, 6, 11, 12, 14, 15, 17, 18, 20, 21, 23, 26, 29, 32, 34, 36, 38, 39, 43, 44, 45, 46, 51, 53, 54, 55, 56, 57, 59, 62];
const C = "jk5`7l10000000000000000000000000000000000000000000000000000000000ZKhNX1X1hNhNX1X1hNhNX1X1hNhNX1X1hNhNX1X1hNhNX1X1hNhNX1X1hNhNX1X1hNhNX1X1hNhNX1X1^300000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000Vk5";

function setPixels(data: Uint8Array): number[] {
  const out: number[] = [];
  data.forEach((v, i) => v && out.push(i));
  return out;
}

describe('COCO RLE', () => {
  it("reads pycocotools' compressed strings into column-major bitmaps", () => {
    const a = decodeMask({ size: [4, 5], counts: A });
    // Column-major: pixel (x, y) is data[x * h + y]; rows 1-2 of columns 1-3 are set.
    expect(setPixels(a.data)).toEqual([5, 6, 9, 10, 13, 14]);
    expect(setPixels(decodeMask({ size: [7, 9], counts: B }).data)).toEqual(SET_B);
    const c = decodeMask({ size: [300, 400], counts: C });
    expect(setPixels(c.data).length).toBe(86200);
    expect(c.data[55 * 300 + 110]).toBe(0); // the hole
    expect(c.data[20 * 300 + 10]).toBe(1);
    expect(c.data[19 * 300 + 10]).toBe(0);
  });

  it('writes the same strings as pycocotools, and the runs round-trip', () => {
    for (const [text, size] of [[A, [4, 5]], [B, [7, 9]], [C, [300, 400]]] as const) {
      const runs = decodeString(text);
      expect(encodeString(runs)).toBe(text);
      const bm = decodeMask({ size: [...size], counts: text });
      expect(encodeMask(bm)).toEqual(runs);
      expect(decodeMask({ size: [...size], counts: encodeMask(bm) }).data).toEqual(bm.data);
    }
    expect(encodeString([0, 2 ** 33, 5])).toBe(encodeString(decodeString(encodeString([0, 2 ** 33, 5]))));
    expect(decodeString(encodeString([3, 2 ** 33, 5]))).toEqual([3, 2 ** 33, 5]);
  });

  it('reads uncompressed counts, a mask starting with foreground opening with 0', () => {
    const bm = decodeMask({ size: [2, 2], counts: [0, 3, 1] });
    expect([...bm.data]).toEqual([1, 1, 1, 0]);
    expect(encodeMask(bm)).toEqual([0, 3, 1]);
    expect(encodeMask({ h: 2, w: 2, data: new Uint8Array(4) })).toEqual([4]);
  });

  it('refuses what the server refuses, naming geometry.counts or geometry.size', () => {
    expect(() => decodeString('PP')).toThrow(/ends inside a run/);
    expect(() => decodeString(' !')).toThrow(RleError);
    expect(() => runsOf({ size: [4, 5], counts: '1' })).toThrow('geometry.counts sums to 1, expected height*width = 20');
    expect(() => runsOf({ size: [4, 5], counts: [1, -1, 20] })).toThrow(/non-negative/);
    expect(() => runsOf({ size: [0, 5], counts: [] })).toThrow(/geometry.size/);
  });

  it('finds the pixel rectangle from the runs alone', () => {
    expect(runsBounds(decodeString(A), 4)).toEqual({ x1: 1, y1: 1, x2: 4, y2: 3 });
    expect(runsBounds(decodeString(C), 300)).toEqual({ x1: 20, y1: 10, x2: 380, y2: 250 });
    // A run over a column break: rows 3 of column 0 and 0 of column 1.
    expect(runsBounds([3, 2, 3], 4)).toEqual({ x1: 0, y1: 0, x2: 2, y2: 4 });
    expect(runsBounds([8], 4)).toBeNull();
  });
});
