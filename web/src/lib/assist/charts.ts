// The report's pictures as plain numbers: where the reliability diagram's bars go and how dark a confusion
// matrix cell is. Pure functions (the Svelte components only draw what these return), tested in charts.test.ts.

import type { ReliabilityBin } from "./api";

export interface Frame {
  /** The whole SVG's side in pixels (the diagram is square). */
  size: number;
  /** Room left of and below the plot for the axis labels. */
  pad: number;
}

export interface Bar {
  /** The bin's range of confidence, for the tooltip. */
  lo: number;
  hi: number;
  count: number;
  accuracy: number;
  confidence: number;
  /** The bar (the bin's accuracy), in SVG pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** The gap between accuracy and confidence (over- or under-confidence), drawn on top of the bar. */
  gapY: number;
  gapHeight: number;
  over: boolean;
}

export interface Reliability {
  bars: Bar[];
  /** The plot's square: x0, y0 (top), side. */
  plot: { x: number; y: number; side: number };
  /** The line of perfect calibration, from (0, 0) to (1, 1). */
  diagonal: { x1: number; y1: number; x2: number; y2: number };
  /** Axis ticks at 0, 0.25, ... 1: where each sits on its axis. */
  ticks: { value: number; x: number; y: number }[];
}

const TOP = 8;
const RIGHT = 8;

/** The reliability diagram of `bins` (empty bins are left out) in a `size` x `size` SVG. */
export function reliability(bins: readonly ReliabilityBin[], { size, pad }: Frame): Reliability {
  const side = Math.max(10, size - pad - Math.max(TOP, RIGHT));
  const x0 = pad;
  const y0 = TOP;
  const sx = (v: number): number => x0 + clamp01(v) * side;
  const sy = (v: number): number => y0 + (1 - clamp01(v)) * side;
  const bars: Bar[] = [];
  for (const b of bins) {
    if (b.count <= 0 || b.accuracy === null || b.confidence === null) continue;
    const top = sy(b.accuracy);
    const conf = sy(b.confidence);
    bars.push({
      lo: b.lo,
      hi: b.hi,
      count: b.count,
      accuracy: b.accuracy,
      confidence: b.confidence,
      x: sx(b.lo) + 1,
      y: top,
      width: Math.max(1, sx(b.hi) - sx(b.lo) - 2),
      height: y0 + side - top,
      gapY: Math.min(top, conf),
      gapHeight: Math.abs(top - conf),
      over: b.confidence > b.accuracy,
    });
  }
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((value) => ({ value, x: sx(value), y: sy(value) }));
  return { bars, plot: { x: x0, y: y0, side }, diagonal: { x1: sx(0), y1: sy(0), x2: sx(1), y2: sy(1) }, ticks };
}

/** A confusion-matrix cell's colour: the accent for the diagonal, red off it, darker for a larger share of its row. */
export function cellShade(count: number, rowTotal: number, diagonal: boolean): { background: string; color: string } {
  if (count <= 0 || rowTotal <= 0) return { background: "transparent", color: "var(--muted)" };
  const share = count / rowTotal;
  const alpha = 0.12 + 0.78 * share;
  const rgb = diagonal ? "79 70 229" : "217 45 32";
  return { background: `rgb(${rgb} / ${Math.round(alpha * 100)}%)`, color: alpha > 0.5 ? "#fff" : "var(--text)" };
}

/** 0.8712 -> "87.1 %"; null -> "–". */
export function pct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : `${(v * 100).toFixed(digits)} %`;
}

/** 0.01234 -> "0.012"; null -> "–". */
export function num(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(digits);
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}
