import { describe, expect, it } from 'vitest';
import { coveredPixels, emptyBitmap, fillBox, fillPolygon } from './mask-raster';
import { polygonArea } from './geometry';
import { bitmapBounds, MIN_REGION_PIXELS, simplifyRing, traceMask } from './mask-trace';
import { pixelCount, type Bitmap } from './rle';

/** A disc of diameter `d` centred at (cx, cy) on an `h` × `w` bitmap (pixel centres within the radius). */
function disc(bm: Bitmap, cx: number, cy: number, d: number): Bitmap {
  const r = d / 2;
  for (let x = 0; x < bm.w; x++) {
    for (let y = 0; y < bm.h; y++) {
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) bm.data[x * bm.h + y] = 1;
    }
  }
  return bm;
}

function set(bm: Bitmap, x: number, y: number): void {
  bm.data[x * bm.h + y] = 1;
}

describe('tracing a mask into polygons', () => {
  it('a 300-px blob gives one polygon of tens of points, not hundreds, within 1 % of its area', () => {
    const bm = disc(emptyBitmap(400, 400), 200, 200, 300);
    const pixels = pixelCount(bm);
    const { regions, skipped } = traceMask(bm);
    expect(skipped).toBe(0);
    expect(regions).toHaveLength(1);
    const [r] = regions;
    const points = r!.points.length / 2;
    expect(points).toBeGreaterThanOrEqual(10);
    expect(points).toBeLessThan(100);
    expect(r!.pixels).toBe(pixels);
    expect(Math.abs(polygonArea(r!.points) - pixels) / pixels).toBeLessThan(0.01);
    // Rasterised again, the polygon takes back nearly the same pixels.
    const back = emptyBitmap(400, 400);
    fillPolygon(back, r!.points, 1);
    let differ = 0;
    for (let i = 0; i < bm.data.length; i++) differ += bm.data[i] !== back.data[i] ? 1 : 0;
    expect(differ / pixels).toBeLessThan(0.01);
  });

  it('a rectangle of pixels gives its four corners, the same pixels when rasterised again', () => {
    const bm = emptyBitmap(100, 120);
    fillBox(bm, [20, 10, 60, 50], 1);
    const [r] = traceMask(bm).regions;
    expect(r!.points).toHaveLength(8);
    const corners = [0, 2, 4, 6].map((i) => `${r!.points[i]},${r!.points[i + 1]}`).sort();
    expect(corners).toEqual(['20,10', '20,50', '60,10', '60,50']);
    expect(polygonArea(r!.points)).toBe(1600);
    expect(coveredPixels([r!.points], 120, 100)).toBe(1600);
  });

  it("an outline before simplifying takes back exactly the region's pixels when rasterised", () => {
    const bm = emptyBitmap(20, 20);
    fillBox(bm, [2, 2, 6, 4], 1);
    fillBox(bm, [2, 4, 3, 8], 1); // an L of 8 + 4 pixels, its leg one pixel wide
    const [r] = traceMask(bm, { tolerance: 0 }).regions;
    expect(r!.pixels).toBe(12);
    const back = emptyBitmap(20, 20);
    fillPolygon(back, r!.points, 1);
    expect([...back.data]).toEqual([...bm.data]);
    expect(Math.abs(polygonArea(r!.points) - 12)).toBeLessThan(0.5); // the leg's end keeps its cut corners (1/8 px each)
  });

  it('several regions give several polygons, largest first; pixels touching at a corner are separate', () => {
    const bm = emptyBitmap(60, 60);
    fillBox(bm, [5, 5, 15, 15], 1); // 100 px
    fillBox(bm, [30, 30, 50, 50], 1); // 400 px
    fillBox(bm, [15, 15, 20, 20], 1); // 25 px, touching the first only at its corner (15, 15)
    const { regions } = traceMask(bm);
    expect(regions.map((r) => r.pixels)).toEqual([400, 100, 25]);
  });

  it('specks under the minimum are left out and counted', () => {
    const bm = emptyBitmap(50, 50);
    fillBox(bm, [10, 10, 30, 30], 1);
    set(bm, 40, 40);
    set(bm, 45, 5);
    set(bm, 46, 5); // a 2-pixel speck
    const t = traceMask(bm);
    expect(MIN_REGION_PIXELS).toBe(5);
    expect(t.regions).toHaveLength(1);
    expect(t.skipped).toBe(2);
    expect(t.skippedPixels).toBe(3);
  });

  it('holes are counted and filled in by the polygon', () => {
    const bm = emptyBitmap(60, 60);
    fillBox(bm, [10, 10, 50, 50], 1);
    const hole = { h: 60, w: 60, data: bm.data };
    fillBox(hole, [20, 20, 30, 30], 0);
    const [r] = traceMask(bm).regions;
    expect(r!.holes).toBe(1);
    expect(r!.holePixels).toBe(100);
    expect(r!.pixels).toBe(1600 - 100);
    expect(coveredPixels([r!.points], 60, 60)).toBe(1600); // the hole's pixels are the polygon's now
  });

  it('a region one pixel thin still gives a polygon of at least 3 points; an empty mask gives none', () => {
    const bm = emptyBitmap(20, 40);
    fillBox(bm, [5, 5, 30, 6], 1);
    const [r] = traceMask(bm).regions;
    expect(r!.points.length / 2).toBeGreaterThanOrEqual(3);
    expect(coveredPixels([r!.points], 40, 20)).toBeGreaterThan(0);
    expect(traceMask(emptyBitmap(20, 40))).toEqual({ regions: [], skipped: 0, skippedPixels: 0 });
  });

  it('a region on the image border traces along the border, inside the image', () => {
    const bm = emptyBitmap(30, 30);
    fillBox(bm, [0, 0, 10, 30], 1);
    const [r] = traceMask(bm).regions;
    expect(Math.min(...r!.points.filter((_, i) => i % 2 === 0))).toBe(0);
    expect(Math.max(...r!.points.filter((_, i) => i % 2 === 1))).toBe(30);
    expect(coveredPixels([r!.points], 30, 30)).toBe(300);
  });

  it('bounds and simplifying a ring: straight runs of points collapse to their ends', () => {
    const bm = emptyBitmap(10, 10);
    set(bm, 3, 4);
    set(bm, 6, 2);
    expect(bitmapBounds(bm)).toEqual({ x1: 3, y1: 2, x2: 7, y2: 5 });
    const ring = [0, 0, 5, 0, 10, 0, 10, 5, 10, 10, 5, 10, 0, 10, 0, 5];
    expect(simplifyRing(ring)).toEqual([0, 0, 10, 0, 10, 10, 0, 10]);
  });
});
