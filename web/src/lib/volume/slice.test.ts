import { describe, expect, it } from 'vitest';
import { SliceCache, neighbours } from './cache';
import { decodeSlice, isSliceDtype, valueAt, type SliceData } from './slice';

/** Little-endian bytes as the server writes them. */
function bytes(values: number[], dtype: 'int16' | 'float32'): ArrayBuffer {
  const size = dtype === 'int16' ? 2 : 4;
  const buf = new ArrayBuffer(values.length * size);
  const view = new DataView(buf);
  values.forEach((v, i) => (dtype === 'int16' ? view.setInt16(i * 2, v, true) : view.setFloat32(i * 4, v, true)));
  return buf;
}

describe('slice decoding', () => {
  it('reads int16 row-major, row 0 at the top', () => {
    const s = decodeSlice(bytes([-1024, 0, 40, 3071, -5, 7], 'int16'), 3, 2, 'int16');
    expect(s.values).toBeInstanceOf(Int16Array);
    expect(valueAt(s, 0, 0)).toBe(-1024);
    expect(valueAt(s, 2, 0)).toBe(40);
    expect(valueAt(s, 0, 1)).toBe(3071);
    expect(valueAt(s, 2, 1)).toBe(7);
    expect(valueAt(s, 3, 0)).toBeNull();
    expect(valueAt(s, 0.5, 0)).toBeNull();
  });

  it('reads float32', () => {
    const s = decodeSlice(bytes([0.25, -1.5, 1e6, 3], 'float32'), 2, 2, 'float32');
    expect(s.values).toBeInstanceOf(Float32Array);
    expect(valueAt(s, 1, 0)).toBe(-1.5);
    expect(valueAt(s, 0, 1)).toBe(1e6);
  });

  it('names the sizes when the body does not fit', () => {
    expect(() => decodeSlice(new ArrayBuffer(10), 3, 2, 'int16')).toThrow('A 3 × 2 int16 slice is 12 bytes, the server sent 10');
    expect(isSliceDtype('float32')).toBe(true);
    expect(isSliceDtype('uint8')).toBe(false);
  });
});

describe('slice cache', () => {
  const slice = (bytesEach: number): SliceData => ({ width: bytesEach / 2, height: 1, values: new Int16Array(bytesEach / 2) });

  it('drops the least recently used once over budget', () => {
    const c = new SliceCache(300);
    c.put(0, slice(100));
    c.put(1, slice(100));
    c.put(2, slice(100));
    expect(c.get(0)).toBeDefined(); // 0 is now the newest
    c.put(3, slice(100));
    expect(c.keys()).toEqual([2, 0, 3]);
    expect(c.usedBytes).toBe(300);
    expect(c.has(1)).toBe(false);
  });

  it('keeps the newest even when it alone passes the budget, and replaces in place', () => {
    const c = new SliceCache(100);
    c.put(0, slice(50));
    c.put(1, slice(400));
    expect(c.keys()).toEqual([1]);
    c.put(1, slice(50));
    expect(c.usedBytes).toBe(50);
    expect(c.size).toBe(1);
  });

  it('fetches the neighbours nearest first, inside the volume', () => {
    expect(neighbours(5, 12)).toEqual([6, 4, 7, 3, 8, 2]);
    expect(neighbours(0, 12)).toEqual([1, 2, 3]);
    expect(neighbours(11, 12, 2)).toEqual([10, 9]);
    expect(neighbours(0, 1)).toEqual([]);
  });
});
