// The embedding map's points, laid out for drawing: flat typed arrays (100k points must not become 100k
// objects), grouped by colour so each colour is one canvas path; and the function that paints a frame.

import type { LabelClass } from "../labels";
import type { MapPoint } from "./api";
import { legendOf, type LegendEntry } from "./colors";
import { toScreen, visibleBounds, type MapView, type Pt } from "./view";

export interface MapData {
  n: number;
  /** x0, y0, x1, y1, ... in UMAP's units. */
  xy: Float64Array;
  /** One entry per legend entry: its colour and the indices of its points. Drawn in this order. */
  groups: { color: string; label: string | null; points: Uint32Array }[];
  legend: LegendEntry[];
}

/** Lays the points out for drawing: the unlabelled first (underneath), then the labels from most to fewest
 * points, so a small class is drawn over a large one, never buried under it. */
export function prepare(points: readonly MapPoint[], classes: readonly LabelClass[]): MapData {
  const n = points.length;
  const xy = new Float64Array(2 * n);
  const labels: (string | null)[] = new Array<string | null>(n);
  for (let i = 0; i < n; i++) {
    const p = points[i] as MapPoint;
    xy[2 * i] = p.x;
    xy[2 * i + 1] = p.y;
    labels[i] = p.label || null;
  }
  const legend = legendOf(labels, classes);
  const slot = new Map(legend.map((e, k) => [e.label, k]));
  const buckets = legend.map((e) => ({ color: e.color, label: e.label, points: new Uint32Array(e.count), fill: 0 }));
  for (let i = 0; i < n; i++) {
    const b = buckets[slot.get(labels[i] ?? null) ?? 0]!;
    b.points[b.fill++] = i;
  }
  const unlabelled = (k: number): boolean => legend[k]?.label === null;
  const order = [...buckets.filter((_, k) => unlabelled(k)), ...buckets.filter((_, k) => !unlabelled(k))];
  return { n, xy, groups: order.map((b) => ({ color: b.color, label: b.label, points: b.points })), legend };
}

/** The dot radius in CSS pixels: smaller for crowded maps, a little larger as one zooms in. */
export function dotRadius(n: number, zoom: number): number {
  const base = n < 500 ? 5 : n < 2_000 ? 4 : n < 20_000 ? 3 : 1.6;
  return Math.min(9, base * (1 + 0.35 * Math.log2(Math.max(1, zoom))));
}

export interface Frame {
  width: number;
  height: number;
  view: MapView;
  radius: number;
  /** 1 for each selected point, or null when nothing is selected. */
  selected: Uint8Array | null;
  hover: number;
  /** The lasso being drawn, in screen pixels. */
  lasso: readonly Pt[];
}

/** Paints one frame; returns how many points were in view (the others are skipped). */
export function paint(ctx: CanvasRenderingContext2D, data: MapData, f: Frame): number {
  const { view, radius: r, selected } = f;
  ctx.clearRect(0, 0, f.width, f.height);
  const pad = r / view.scale;
  const vb = visibleBounds(view, f.width, f.height);
  const round = data.n < 20_000;
  // Outlines make a selection stand out; on crowded maps they would cost more than the dots themselves.
  const outline = selected !== null && data.n < 5_000;
  let drawn = 0;
  for (const pass of selected ? [0, 1] : [1]) {
    // With a selection: the rest faded first, then the selected points on top.
    ctx.globalAlpha = selected && pass === 0 ? 0.18 : 0.9;
    for (const g of data.groups) {
      ctx.fillStyle = g.color;
      ctx.beginPath();
      for (let k = 0; k < g.points.length; k++) {
        const i = g.points[k]!;
        if (selected && (selected[i] === 1) !== (pass === 1)) continue;
        const x = data.xy[2 * i]!;
        const y = data.xy[2 * i + 1]!;
        if (x < vb.x1 - pad || x > vb.x2 + pad || y < vb.y1 - pad || y > vb.y2 + pad) continue;
        const sx = x * view.scale + view.tx;
        const sy = -y * view.scale + view.ty;
        if (round) {
          ctx.moveTo(sx + r, sy);
          ctx.arc(sx, sy, r, 0, 2 * Math.PI);
        } else ctx.rect(sx - r, sy - r, 2 * r, 2 * r);
        drawn++;
      }
      ctx.fill();
      if (outline && pass === 1) {
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = "#18202b";
        ctx.stroke();
      }
    }
  }
  ctx.globalAlpha = 1;
  if (f.hover >= 0) {
    const p = toScreen(view, { x: data.xy[2 * f.hover]!, y: data.xy[2 * f.hover + 1]! });
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#ffffff";
    ctx.beginPath();
    ctx.arc(p.x, p.y, r + 3, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.strokeStyle = "#18202b";
    ctx.beginPath();
    ctx.arc(p.x, p.y, r + 4.5, 0, 2 * Math.PI);
    ctx.stroke();
  }
  if (f.lasso.length > 1) {
    ctx.beginPath();
    f.lasso.forEach((p, k) => (k === 0 ? ctx.moveTo(p.x, p.y) : ctx.lineTo(p.x, p.y)));
    ctx.closePath();
    ctx.fillStyle = "rgb(79 70 229 / 8%)";
    ctx.fill();
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#4f46e5";
    ctx.stroke();
    ctx.setLineDash([]);
  }
  return drawn;
}
