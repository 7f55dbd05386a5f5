import { describe, expect, it } from 'vitest';
import {
  annBounds,
  clampMove,
  insertVertex,
  MIN_BOX,
  nearestVertex,
  pointInPolygon,
  polygonArea,
  rectToBox,
  removeVertex,
  resizeRect,
} from './geometry';
import { fitView, toImage, toScreen, zoomAt } from './viewport';

const R = { x1: 100, y1: 100, x2: 200, y2: 150 };

describe('resizeRect', () => {
  it('moves only the sides of the dragged handle', () => {
    expect(resizeRect(R, 'se', { x: 250, y: 180 }, 1000, 1000)).toEqual({ x1: 100, y1: 100, x2: 250, y2: 180 });
    expect(resizeRect(R, 'n', { x: 999, y: 80 }, 1000, 1000)).toEqual({ x1: 100, y1: 80, x2: 200, y2: 150 });
    expect(resizeRect(R, 'w', { x: 40, y: 0 }, 1000, 1000)).toEqual({ x1: 40, y1: 100, x2: 200, y2: 150 });
  });

  it('flips when dragged past the opposite side, and stays normalised', () => {
    expect(resizeRect(R, 'e', { x: 60, y: 0 }, 1000, 1000)).toEqual({ x1: 60, y1: 100, x2: 100, y2: 150 });
    expect(resizeRect(R, 'nw', { x: 260, y: 170 }, 1000, 1000)).toEqual({ x1: 200, y1: 150, x2: 260, y2: 170 });
  });

  it('clamps to the image and keeps a minimum size', () => {
    expect(resizeRect(R, 'se', { x: 5000, y: -50 }, 640, 480)).toEqual({ x1: 100, y1: 0, x2: 640, y2: 100 });
    const thin = resizeRect(R, 'e', { x: 100.5, y: 0 }, 1000, 1000);
    expect(thin.x2 - thin.x1).toBeCloseTo(MIN_BOX);
  });
});

describe('moves and polygons', () => {
  it('clamps a move so the shape stays inside the image', () => {
    expect(clampMove(R, -500, 20, 640, 480)).toEqual({ x: -100, y: 20 });
    expect(clampMove(R, 1000, 1000, 640, 480)).toEqual({ x: 440, y: 330 });
  });

  it('tests points against polygons and measures them', () => {
    const tri = [0, 0, 100, 0, 0, 100];
    expect(pointInPolygon(tri, { x: 10, y: 10 })).toBe(true);
    expect(pointInPolygon(tri, { x: 80, y: 80 })).toBe(false);
    expect(polygonArea(tri)).toBe(5000);
    expect(nearestVertex(tri, { x: 98, y: 3 }, 5)).toBe(1);
    expect(nearestVertex(tri, { x: 50, y: 50 }, 5)).toBe(-1);
  });

  it('inserts and removes vertices', () => {
    const sq = [0, 0, 10, 0, 10, 10, 0, 10];
    expect(insertVertex(sq, 0, { x: 5, y: -1 })).toEqual([0, 0, 5, -1, 10, 0, 10, 10, 0, 10]);
    expect(removeVertex(sq, 2)).toEqual([0, 0, 10, 0, 0, 10]);
  });

  it('gives bounds for boxes and polygons, none for tags', () => {
    expect(annBounds({ kind: 'box', geometry: { bbox: [1, 2, 3, 4] } })).toEqual({ x1: 1, y1: 2, x2: 3, y2: 4 });
    expect(annBounds({ kind: 'polygon', geometry: { points: [5, 1, 9, 7, 2, 3] } })).toEqual({ x1: 2, y1: 1, x2: 9, y2: 7 });
    expect(annBounds({ kind: 'class', geometry: {} })).toBeNull();
    expect(rectToBox({ x1: 1.234567, y1: 2, x2: 3.999, y2: 4 })).toEqual([1.23, 2, 4, 4]);
  });
});

describe('viewport', () => {
  it('fits the image centred and converts both ways', () => {
    const v = fitView(1920, 1080, 1000, 600, 0);
    expect(v.scale).toBeCloseTo(1000 / 1920);
    const p = { x: 960, y: 540 };
    expect(toScreen(v, p).x).toBeCloseTo(500);
    expect(toScreen(v, p).y).toBeCloseTo(300);
    const back = toImage(v, toScreen(v, { x: 123, y: 456 }));
    expect(back.x).toBeCloseTo(123);
    expect(back.y).toBeCloseTo(456);
  });

  it('zooms about a fixed screen point', () => {
    const v = { scale: 1, tx: 10, ty: 20 };
    const at = { x: 300, y: 200 };
    const before = toImage(v, at);
    const z = zoomAt(v, at, 2, 0.1);
    expect(z.scale).toBe(2);
    const after = toImage(z, at);
    expect(after.x).toBeCloseTo(before.x);
    expect(after.y).toBeCloseTo(before.y);
  });
});
