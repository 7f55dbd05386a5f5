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
  /** The gap's colour: the same one the legend shows (drawn opaque, so nothing under it changes its hue). */
  gapFill: string;
}

/** The reliability diagram's colours, for the bars and the legend alike. */
export const RELIABILITY_COLORS = {
  accuracy: "#6d66ea",
  over: "#ef8a80",
  under: "#f4b740",
} as const;

/** The legend under the diagram: what each colour means. */
export const RELIABILITY_LEGEND: readonly { key: keyof typeof RELIABILITY_COLORS; text: string; color: string; hint: string }[] = [
  { key: "accuracy", text: "accuracy", color: RELIABILITY_COLORS.accuracy, hint: "The share of the bin's items the model got right" },
  {
    key: "over",
    text: "over-confident",
    color: RELIABILITY_COLORS.over,
    hint: "Above the bar, up to the bin's confidence: the score promises more than the model gets right",
  },
  {
    key: "under",
    text: "under-confident",
    color: RELIABILITY_COLORS.under,
    hint: "The top of the bar, from the bin's confidence up to its accuracy: right more often than the score says",
  },
];

/** A bin that holds items but got none right still shows a stub this tall (pixels), so it is not taken for empty. */
export const MIN_BAR = 2;

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
    const height = Math.max(MIN_BAR, y0 + side - top);
    const over = b.confidence > b.accuracy;
    bars.push({
      lo: b.lo,
      hi: b.hi,
      count: b.count,
      accuracy: b.accuracy,
      confidence: b.confidence,
      x: sx(b.lo) + 1,
      y: y0 + side - height,
      width: Math.max(1, sx(b.hi) - sx(b.lo) - 2),
      height,
      gapY: Math.min(top, conf),
      gapHeight: Math.abs(top - conf),
      over,
      gapFill: over ? RELIABILITY_COLORS.over : RELIABILITY_COLORS.under,
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

/**
 * The classes of a confusion matrix worth showing first: those in the most mistakes (off the diagonal, as the
 * human label or as the model's), at most `n`, returned in their matrix order. Classes in no mistake come only
 * to fill up to `n` when fewer are confused, largest support first.
 */
export function mostConfused(confusion: readonly (readonly number[])[], n: number): number[] {
  const k = confusion.length;
  if (k <= n) return confusion.map((_, i) => i);
  const errors = new Array<number>(k).fill(0);
  const support = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  confusion.forEach((row, i) =>
    row.forEach((v, j) => {
      if (i === j || v <= 0) return;
      errors[i]! += v;
      errors[j]! += v;
    }),
  );
  const order = confusion
    .map((_, i) => i)
    .sort((a, b) => errors[b]! - errors[a]! || support[b]! - support[a]! || a - b);
  return order.slice(0, n).sort((a, b) => a - b);
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
