/**
 * Spatial bucketing of the embedding map's points, for hover hit-testing and for narrowing a lasso.
 *
 * Hand-written: a uniform grid over the data's bounds is a few dozen lines and needs no dependency (a k-d tree
 * or rbush would do the same job at more weight). UMAP output is fairly even, so about four points a cell on
 * average keeps a lookup to a handful of cells. Points sit in one flat Float64Array (x0, y0, x1, y1, ...) and the
 * buckets are a counting sort of point indices (CSR: `start[cell]..start[cell + 1]` into `order`), so 100k
 * points cost two typed arrays, not 100k objects. Built in O(n); `nearest` visits only the cells within the
 * radius.
 */

import type { Bounds, Pt } from "./view";
import { boundsOf } from "./view";

export class PointBuckets {
  readonly bounds: Bounds;
  readonly cols: number;
  readonly rows: number;
  readonly cellW: number;
  readonly cellH: number;
  private readonly xy: ArrayLike<number>;
  private readonly start: Uint32Array;
  private readonly order: Uint32Array;

  /** `xy` holds n points as x, y pairs; `perCell` is the average number of points a cell should hold. */
  constructor(xy: ArrayLike<number>, perCell = 4) {
    const n = Math.floor(xy.length / 2);
    this.xy = xy;
    this.bounds = boundsOf(xy, n);
    const w = this.bounds.x2 - this.bounds.x1;
    const h = this.bounds.y2 - this.bounds.y1;
    // Cells about square in data units, about `perCell` points each, at most 1024 a side.
    const cells = Math.max(1, n / perCell);
    const side = Math.sqrt((w * h) / cells);
    this.cols = Math.min(1024, Math.max(1, Math.ceil(w / side)));
    this.rows = Math.min(1024, Math.max(1, Math.ceil(h / side)));
    this.cellW = w / this.cols;
    this.cellH = h / this.rows;
    const counts = new Uint32Array(this.cols * this.rows + 1);
    const cellOf = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const c = this.cell(xy[2 * i] as number, xy[2 * i + 1] as number);
      cellOf[i] = c;
      counts[c + 1]! += 1;
    }
    for (let c = 1; c < counts.length; c++) counts[c]! += counts[c - 1]!;
    this.start = counts;
    this.order = new Uint32Array(n);
    const fill = counts.slice(0, -1);
    for (let i = 0; i < n; i++) this.order[fill[cellOf[i]!]!++] = i;
  }

  get size(): number {
    return this.order.length;
  }

  /** The index of the point nearest to `p` within `radius` (data units), or -1 when none is that close. */
  nearest(p: Pt, radius: number): number {
    let best = -1;
    let bestD = radius * radius;
    this.visit({ x1: p.x - radius, y1: p.y - radius, x2: p.x + radius, y2: p.y + radius }, (i) => {
      const dx = (this.xy[2 * i] as number) - p.x;
      const dy = (this.xy[2 * i + 1] as number) - p.y;
      const d = dx * dx + dy * dy;
      // Ties go to the later point: it is drawn on top.
      if (d < bestD || (d === bestD && i > best)) {
        bestD = d;
        best = i;
      }
    });
    return best;
  }

  /** The indices of the points inside the rectangle `r` (data units, edges included), in ascending order. */
  within(r: Bounds): number[] {
    const out: number[] = [];
    this.visit(r, (i) => {
      const x = this.xy[2 * i] as number;
      const y = this.xy[2 * i + 1] as number;
      if (x >= r.x1 && x <= r.x2 && y >= r.y1 && y <= r.y2) out.push(i);
    });
    return out.sort((a, b) => a - b);
  }

  /** Calls `f` with every point in the cells the rectangle touches (a superset of the points inside it). */
  private visit(r: Bounds, f: (i: number) => void): void {
    const b = this.bounds;
    if (r.x2 < b.x1 || r.x1 > b.x2 || r.y2 < b.y1 || r.y1 > b.y2 || this.order.length === 0) return;
    const c1 = this.col(r.x1);
    const c2 = this.col(r.x2);
    const r1 = this.row(r.y1);
    const r2 = this.row(r.y2);
    for (let row = r1; row <= r2; row++) {
      for (let col = c1; col <= c2; col++) {
        const c = row * this.cols + col;
        for (let k = this.start[c]!; k < this.start[c + 1]!; k++) f(this.order[k]!);
      }
    }
  }

  private col(x: number): number {
    return Math.min(this.cols - 1, Math.max(0, Math.floor((x - this.bounds.x1) / this.cellW)));
  }

  private row(y: number): number {
    return Math.min(this.rows - 1, Math.max(0, Math.floor((y - this.bounds.y1) / this.cellH)));
  }

  private cell(x: number, y: number): number {
    return this.row(y) * this.cols + this.col(x);
  }
}
