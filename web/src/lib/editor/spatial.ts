/**
 * A uniform-grid spatial index over annotation bounds, for culling while drawing and for hit testing.
 *
 * Hand-written: a grid is a dozen lines, needs no dependency, and suits annotations, which are many similar
 * sized rectangles over one image. Built once per annotation list (O(n) over covered cells); queries visit only
 * the cells a rectangle covers and report each entry once (a per-query stamp).
 */

import type { Rect } from './types';

export interface Entry<T> {
  readonly rect: Rect;
  readonly value: T;
  /** Order of insertion (drawing order). */
  readonly order: number;
  stamp: number;
}

export class GridIndex<T> {
  readonly cell: number;
  private readonly cols: number;
  private readonly rows: number;
  private readonly cells: Entry<T>[][];
  private readonly entries: Entry<T>[] = [];
  private stamp = 0;

  constructor(width: number, height: number, cell = 0) {
    // About 64 x 64 cells over the image, but never smaller than 32 px.
    this.cell = cell > 0 ? cell : Math.max(32, Math.ceil(Math.max(width, height) / 64));
    this.cols = Math.max(1, Math.ceil(Math.max(1, width) / this.cell));
    this.rows = Math.max(1, Math.ceil(Math.max(1, height) / this.cell));
    this.cells = Array.from({ length: this.cols * this.rows }, () => []);
  }

  get size(): number {
    return this.entries.length;
  }

  insert(rect: Rect, value: T): void {
    const e: Entry<T> = { rect, value, order: this.entries.length, stamp: 0 };
    this.entries.push(e);
    const [c1, r1, c2, r2] = this.span(rect);
    for (let r = r1; r <= r2; r++) {
      for (let c = c1; c <= c2; c++) this.cells[r * this.cols + c]!.push(e);
    }
  }

  /** Entries whose rectangle intersects `rect`, in insertion order. */
  query(rect: Rect): Entry<T>[] {
    const out: Entry<T>[] = [];
    const stamp = ++this.stamp;
    const [c1, r1, c2, r2] = this.span(rect);
    // Covering most of the grid: a plain scan is cheaper than visiting every cell.
    if ((c2 - c1 + 1) * (r2 - r1 + 1) * 2 > this.cells.length) {
      for (const e of this.entries) if (intersects(e.rect, rect)) out.push(e);
      return out;
    }
    for (let r = r1; r <= r2; r++) {
      for (let c = c1; c <= c2; c++) {
        for (const e of this.cells[r * this.cols + c]!) {
          if (e.stamp === stamp) continue;
          e.stamp = stamp;
          if (intersects(e.rect, rect)) out.push(e);
        }
      }
    }
    if (out.length > 1) out.sort((a, b) => a.order - b.order);
    return out;
  }

  all(): readonly Entry<T>[] {
    return this.entries;
  }

  private span(rect: Rect): [number, number, number, number] {
    const c1 = clampInt(Math.floor(rect.x1 / this.cell), 0, this.cols - 1);
    const r1 = clampInt(Math.floor(rect.y1 / this.cell), 0, this.rows - 1);
    const c2 = clampInt(Math.floor(rect.x2 / this.cell), 0, this.cols - 1);
    const r2 = clampInt(Math.floor(rect.y2 / this.cell), 0, this.rows - 1);
    return [c1, r1, c2, r2];
  }
}

function intersects(a: Rect, b: Rect): boolean {
  return a.x1 <= b.x2 && b.x1 <= a.x2 && a.y1 <= b.y2 && b.y1 <= a.y2;
}

function clampInt(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
