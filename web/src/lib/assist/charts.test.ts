import { describe, expect, it } from "vitest";
import { cellShade, MIN_BAR, mostConfused, num, pct, RELIABILITY_COLORS, RELIABILITY_LEGEND, reliability } from "./charts";

const bin = (lo: number, hi: number, count: number, accuracy: number | null, confidence: number | null) => ({
  lo,
  hi,
  count,
  accuracy,
  confidence,
});

describe("reliability diagram", () => {
  const frame = { size: 248, pad: 40 };

  it("puts each bin's bar at its range and its accuracy", () => {
    const r = reliability([bin(0.5, 0.75, 10, 0.6, 0.62), bin(0.75, 1, 30, 1, 0.9)], frame);
    expect(r.plot).toEqual({ x: 40, y: 8, side: 200 });
    const [a, b] = r.bars;
    expect(a!.x).toBe(40 + 100 + 1);
    expect(a!.width).toBe(50 - 2);
    expect(a!.y).toBeCloseTo(8 + 0.4 * 200);
    expect(a!.y + a!.height).toBeCloseTo(208);
    expect(b!.y).toBe(8);
    expect(b!.height).toBe(200);
  });

  it("draws the gap between confidence and accuracy, and says which way it goes", () => {
    const [over, under] = reliability([bin(0.6, 0.7, 5, 0.5, 0.65), bin(0.9, 1, 5, 1, 0.95)], frame).bars;
    expect(over!.over).toBe(true);
    expect(over!.gapY).toBeCloseTo(8 + 0.35 * 200);
    expect(over!.gapHeight).toBeCloseTo(0.15 * 200);
    expect(under!.over).toBe(false);
    expect(under!.gapY).toBeCloseTo(8);
    expect(under!.gapHeight).toBeCloseTo(0.05 * 200);
  });

  it("draws a bin with items but none right: a stub at the base and the whole gap up to its confidence", () => {
    const [b] = reliability([bin(0.3, 0.4, 4, 0, 0.35)], frame).bars;
    expect(b!.height).toBe(MIN_BAR);
    expect(b!.y + b!.height).toBe(208);
    expect(b!.over).toBe(true);
    expect(b!.gapY).toBeCloseTo(8 + 0.65 * 200);
    expect(b!.gapHeight).toBeCloseTo(0.35 * 200);
  });

  it("colours each gap exactly as the legend does (one source, drawn opaque)", () => {
    const [over, under] = reliability([bin(0.6, 0.7, 5, 0.5, 0.65), bin(0.9, 1, 5, 1, 0.95)], frame).bars;
    const legend = Object.fromEntries(RELIABILITY_LEGEND.map((l) => [l.key, l.color]));
    expect(over!.gapFill).toBe(legend.over);
    expect(under!.gapFill).toBe(legend.under);
    expect(legend.accuracy).toBe(RELIABILITY_COLORS.accuracy);
    expect(new Set(Object.values(legend)).size).toBe(3);
  });

  it("leaves out empty bins and runs the diagonal corner to corner", () => {
    const r = reliability([bin(0, 0.1, 0, null, null), bin(0.1, 0.2, 3, null, 0.15), bin(0.2, 0.3, 2, 0.5, 0.25)], frame);
    expect(r.bars).toHaveLength(1);
    expect(r.diagonal).toEqual({ x1: 40, y1: 208, x2: 240, y2: 8 });
    expect(r.ticks.map((t) => t.value)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(r.ticks[2]).toEqual({ value: 0.5, x: 140, y: 108 });
  });
});

describe("confusion cells", () => {
  it("shades by the share of the row, accent on the diagonal and red off it", () => {
    expect(cellShade(0, 10, true)).toEqual({ background: "transparent", color: "var(--muted)" });
    expect(cellShade(10, 10, true)).toEqual({ background: "rgb(79 70 229 / 90%)", color: "#fff" });
    expect(cellShade(1, 10, false)).toEqual({ background: "rgb(217 45 32 / 20%)", color: "var(--text)" });
  });
});

describe("the most confused classes", () => {
  it("keeps every class of a small matrix", () => {
    expect(mostConfused([[1, 0], [0, 1]], 5)).toEqual([0, 1]);
  });

  it("picks the classes in the most mistakes, either way, in matrix order", () => {
    const m = [
      [9, 0, 0, 0, 0],
      [0, 5, 4, 0, 0],
      [0, 3, 2, 0, 0],
      [0, 0, 0, 8, 1],
      [0, 0, 0, 0, 7],
    ];
    expect(mostConfused(m, 2)).toEqual([1, 2]);
    // A tie on mistakes (3 and 4 are in one each) goes to the larger support (9 against 7).
    expect(mostConfused(m, 3)).toEqual([1, 2, 3]);
    expect(mostConfused(m, 4)).toEqual([1, 2, 3, 4]);
  });

  it("fills up with the largest classes when few are confused", () => {
    const m = [
      [1, 0, 0],
      [0, 6, 0],
      [0, 0, 3],
    ];
    expect(mostConfused(m, 2)).toEqual([1, 2]);
  });
});

describe("numbers", () => {
  it("formats shares and metrics, with a dash for what is missing", () => {
    expect(pct(0.8712)).toBe("87.1 %");
    expect(pct(null)).toBe("–");
    expect(num(0.01234)).toBe("0.012");
    expect(num(undefined)).toBe("–");
    expect(num(Number.NaN)).toBe("–");
  });
});
