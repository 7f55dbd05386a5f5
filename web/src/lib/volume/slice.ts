/** A slice as the server sends it (GET .../volume/slices/{k}): width x height values, row-major, row 0 at the top
 * of the shown slice, little-endian int16 or float32 (`X-Slice-Dtype`). */

export type SliceDtype = 'int16' | 'float32';

export interface SliceData {
  width: number;
  height: number;
  values: Int16Array | Float32Array;
}

const BYTES: Record<SliceDtype, number> = { int16: 2, float32: 4 };

export function isSliceDtype(s: string | null | undefined): s is SliceDtype {
  return s === 'int16' || s === 'float32';
}

/** The slice in `buf`; throws naming the size expected and the size got when they differ. */
export function decodeSlice(buf: ArrayBuffer, width: number, height: number, dtype: SliceDtype): SliceData {
  const n = width * height;
  const size = BYTES[dtype];
  if (buf.byteLength !== n * size) {
    throw new Error(`A ${width} × ${height} ${dtype} slice is ${n * size} bytes, the server sent ${buf.byteLength}`);
  }
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (little) return { width, height, values: dtype === 'int16' ? new Int16Array(buf) : new Float32Array(buf) };
  // A big-endian platform reads each value the long way.
  const view = new DataView(buf);
  const values = dtype === 'int16' ? new Int16Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = dtype === 'int16' ? view.getInt16(i * 2, true) : view.getFloat32(i * 4, true);
  return { width, height, values };
}

/** The value at column x, row y (whole voxels), or null outside the slice. */
export function valueAt(s: SliceData, x: number, y: number): number | null {
  if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= s.width || y >= s.height) return null;
  return s.values[y * s.width + x]!;
}

/** The bytes a slice takes (for the cache's budget). */
export function sliceBytes(s: SliceData): number {
  return s.values.byteLength;
}
