import { describe, expect, it } from 'vitest';
import {
  crossColumn,
  decodeLabels,
  fitPlane,
  isPlanesKey,
  planeIndex,
  planeSize,
  planeSpacing,
  rgbOf,
  rowOfSlice,
  sliceAt,
  tintLabels,
  TINT,
  type VolumeShape,
} from './ortho';

// 6 columns (x, 0.5 mm), 5 rows (y, 0.75 mm), 4 slices of 2.5 mm: every axis different.
const CT: VolumeShape = { width: 6, height: 5, slices: 4, spacing: [0.5, 0.75, 2.5] };

describe('which plane, and where on it', () => {
  it('cuts the sagittal plane through the column and the coronal through the row under the pointer', () => {
    const at = { column: 4, row: 1 };
    expect(planeIndex('sagittal', at)).toBe(4);
    expect(planeIndex('coronal', at)).toBe(1);
  });

  it('lays the sagittal plane out as slices x rows and the coronal as slices x columns', () => {
    expect(planeSize('sagittal', CT)).toEqual({ width: 5, height: 4 });
    expect(planeSize('coronal', CT)).toEqual({ width: 6, height: 4 });
  });

  it("marks the pointer's other coordinate: its row on the sagittal plane, its column on the coronal", () => {
    const at = { column: 4, row: 1 };
    expect(crossColumn('sagittal', at)).toBe(1);
    expect(crossColumn('coronal', at)).toBe(4);
  });

  it('puts the superior slice at the top', () => {
    expect(rowOfSlice(3, 4)).toBe(0);
    expect(rowOfSlice(0, 4)).toBe(3);
  });
});

describe('aspect', () => {
  it('uses the millimetres of each axis, so thick slices are drawn tall', () => {
    expect(planeSpacing('sagittal', CT)).toEqual({ column: 0.75, row: 2.5 });
    expect(planeSpacing('coronal', CT)).toEqual({ column: 0.5, row: 2.5 });
    // Sagittal: 5 x 0.75 = 3.75 mm wide, 4 x 2.5 = 10 mm high; fitted in 280 x 200 it is 75 x 200.
    expect(fitPlane('sagittal', CT, { width: 280, height: 200 })).toEqual({ width: 75, height: 200 });
    // Coronal: 3 mm wide, 10 mm high.
    expect(fitPlane('coronal', CT, { width: 280, height: 200 })).toEqual({ width: 60, height: 200 });
  });

  it('fits a wide plane by its width', () => {
    const wide: VolumeShape = { width: 512, height: 512, slices: 100, spacing: [0.7, 0.7, 1] };
    const size = fitPlane('coronal', wide, { width: 280, height: 200 });
    expect(size.width).toBe(280);
    expect(size.height).toBe(Math.round((100 / (512 * 0.7)) * 280));
  });

  it('treats a missing or zero spacing as 1 mm', () => {
    const odd: VolumeShape = { width: 4, height: 4, slices: 4, spacing: [0, Number.NaN, 1] };
    expect(planeSpacing('sagittal', odd)).toEqual({ column: 1, row: 1 });
  });
});

describe('a click in a plane', () => {
  it('goes to the slice of the row clicked, the top row being the last slice', () => {
    // 4 slices drawn 200 px high: 50 px per slice.
    expect(sliceAt(10, 200, 4)).toBe(3);
    expect(sliceAt(60, 200, 4)).toBe(2);
    expect(sliceAt(199, 200, 4)).toBe(0);
  });

  it('stays inside the volume at the edges', () => {
    expect(sliceAt(-5, 200, 4)).toBe(3);
    expect(sliceAt(200, 200, 4)).toBe(0);
  });
});

describe('labels', () => {
  it('tints a labelled pixel with its class colour and leaves the others grey', () => {
    const rgba = new Uint8ClampedArray([100, 100, 100, 255, 100, 100, 100, 255, 100, 100, 100, 255]);
    tintLabels(rgba, new Uint8Array([0, 2, 9]), ['#ff0000', '#00ff00']);
    expect([...rgba.slice(0, 4)]).toEqual([100, 100, 100, 255]);
    expect([...rgba.slice(4, 8)]).toEqual([Math.round(100 * (1 - TINT)), Math.round(100 + 155 * TINT), Math.round(100 * (1 - TINT)), 255]);
    expect([...rgba.slice(8, 12)]).toEqual([100, 100, 100, 255]); // no class 9: left grey
  });

  it('reads uint8 and little-endian uint16 planes and names a wrong size', () => {
    expect([...decodeLabels(new Uint8Array([0, 1, 2, 0]).buffer, 2, 2, 'uint8').values]).toEqual([0, 1, 2, 0]);
    const buf = new ArrayBuffer(4);
    new DataView(buf).setUint16(2, 300, true);
    expect([...decodeLabels(buf, 2, 1, 'uint16').values]).toEqual([0, 300]);
    expect(() => decodeLabels(buf, 3, 1, 'uint16')).toThrow('A 3 × 1 uint16 label plane is 6 bytes, the server sent 4');
    expect(() => decodeLabels(buf, 2, 1, 'int16')).toThrow('not uint8 or uint16');
  });

  it('reads class colours, grey for a broken one', () => {
    expect(rgbOf('#2f6FED')).toEqual([0x2f, 0x6f, 0xed]);
    expect(rgbOf('red')).toEqual([0x9a, 0xa3, 0xaf]);
  });
});

describe('the planes key', () => {
  const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({
    key: k,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    ...mods,
  });

  it('is L without Ctrl, Cmd or Alt', () => {
    expect(isPlanesKey(key('l'), ['1', '2'])).toBe(true);
    expect(isPlanesKey(key('L'), [])).toBe(true);
    expect(isPlanesKey(key('l', { ctrlKey: true }), [])).toBe(false);
    expect(isPlanesKey(key('p'), [])).toBe(false);
  });

  it('is left to a class whose hotkey is L', () => {
    expect(isPlanesKey(key('l'), ['1', 'L'])).toBe(false);
  });
});
