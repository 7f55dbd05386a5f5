import { describe, expect, it } from 'vitest';
import { boxPixels, coveredPixels, emptyBitmap, fillBox, fillPolygon } from './mask-raster';
import { polygonArea } from './geometry';
import { pixelCount, type Bitmap } from './rle';

function at(bm: Bitmap, x: number, y: number): number {
  return bm.data[x * bm.h + y]!;
}

describe('rasterising a polygon (pixel centres inside, even-odd)', () => {
  it('an axis-aligned rectangle on pixel edges covers exactly its pixels', () => {
    const bm = emptyBitmap(50, 60);
    expect(fillPolygon(bm, [10, 20, 30, 20, 30, 40, 10, 40], 1)).toBe(400);
    expect(pixelCount(bm)).toBe(400);
    expect([at(bm, 10, 20), at(bm, 29, 39), at(bm, 9, 20), at(bm, 30, 20), at(bm, 10, 40)]).toEqual([1, 1, 0, 0, 0]);
  });

  it('two polygons sharing an edge never both take a pixel', () => {
    const a = emptyBitmap(20, 20);
    const b = emptyBitmap(20, 20);
    fillPolygon(a, [2, 2, 10.3, 2, 10.3, 12, 2, 12], 1);
    fillPolygon(b, [10.3, 2, 18, 2, 18, 12, 10.3, 12], 1);
    for (let i = 0; i < a.data.length; i++) expect(a.data[i]! & b.data[i]!).toBe(0);
    expect(pixelCount(a) + pixelCount(b)).toBe(16 * 10);
  });

  it('a triangle covers about its area, and the pixels whose centres are inside', () => {
    const bm = emptyBitmap(200, 200);
    const tri = [0, 0, 200, 0, 0, 200];
    fillPolygon(bm, tri, 1);
    // The centres (x + .5, y + .5) with x + y + 1 < 200: 199 + 198 + ... + 1 pixels.
    expect(pixelCount(bm)).toBe((199 * 200) / 2);
    expect(Math.abs(pixelCount(bm) - polygonArea(tri)) / polygonArea(tri)).toBeLessThan(0.01);
  });

  it('a self-crossing outline leaves the doubly wound part out (even-odd); a hole ring cuts a hole', () => {
    // A square drawn twice round (inner square inside, both as one ring set): the inner one is a hole.
    expect(coveredPixels([[0, 0, 10, 0, 10, 10, 0, 10], [3, 3, 7, 3, 7, 7, 3, 7]], 20, 20)).toBe(100 - 16);
    // A bow tie: two triangles meeting in the middle, nothing counted twice.
    const bm = emptyBitmap(10, 10);
    fillPolygon(bm, [0, 0, 10, 10, 10, 0, 0, 10], 1);
    expect(pixelCount(bm)).toBeGreaterThan(35);
    expect(pixelCount(bm)).toBeLessThanOrEqual(50);
  });

  it('is clipped to the image, and clears with 0', () => {
    const bm = emptyBitmap(10, 10);
    expect(fillPolygon(bm, [-100, -100, 5, -100, 5, 100, -100, 100], 1)).toBe(50);
    expect(fillPolygon(bm, [0, 0, 2, 0, 2, 10, 0, 10], 0)).toBe(20);
    expect(pixelCount(bm)).toBe(30);
    expect(fillPolygon(bm, [0, 0, 1, 0], 1)).toBe(0); // under 3 points: nothing
  });
});

describe('rasterising a box', () => {
  it('takes its pixel rectangle, clipped to the image', () => {
    const bm = emptyBitmap(100, 100);
    expect(fillBox(bm, [10, 20, 30, 40], 1)).toBe(400);
    expect(boxPixels([10.2, 20.7, 30.4, 40.6], 100, 100)).toEqual({ x1: 10, y1: 21, x2: 30, y2: 41 }); // centres 20.5 < 20.7: row 20 out; 40.5 < 40.6: row 40 in
    expect(boxPixels([90, 90, 150, 150], 100, 100)).toEqual({ x1: 90, y1: 90, x2: 100, y2: 100 });
    expect(boxPixels([10.6, 10, 11.4, 20], 100, 100)).toBeNull(); // no pixel centre inside
  });
});
