import { describe, expect, it } from "vitest";
import { PointBuckets } from "./buckets";
import { colorOf, legendOf, UNLABELLED } from "./colors";
import { dotRadius, prepare } from "./draw";
import { extendLasso, lassoSelect, pointInPolygon } from "./lasso";
import { EMPTY_SEARCH, readSearch, searchPath } from "./state";
import { boundsOf, fitView, panBy, toData, toScreen, visibleBounds, wheelFactor, zoomAt } from "./view";

/** A seeded random stream (mulberry32), so the brute-force comparisons are the same every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomPoints(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const xy = new Float64Array(2 * n);
  // Two clusters and a sprinkle, roughly what UMAP draws.
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    xy[2 * i] = c === 0 ? 5 + r() : c === 1 ? -3 + 2 * r() : -10 + 25 * r();
    xy[2 * i + 1] = c === 0 ? 2 + r() : c === 1 ? 7 + 2 * r() : -4 + 16 * r();
  }
  return xy;
}

describe("map view", () => {
  it("fits the points into the canvas with the data's y axis pointing up", () => {
    const b = boundsOf([0, 0, 10, 5]);
    const v = fitView(b, 1000, 600, 20);
    const lo = toScreen(v, { x: 0, y: 0 });
    const hi = toScreen(v, { x: 10, y: 5 });
    expect(hi.y).toBeLessThan(lo.y);
    expect(Math.min(lo.x, hi.x)).toBeGreaterThanOrEqual(20 - 1e-9);
    expect(Math.max(lo.x, hi.x)).toBeLessThanOrEqual(980 + 1e-9);
    expect(Math.min(lo.y, hi.y)).toBeGreaterThanOrEqual(20 - 1e-9);
    expect(Math.max(lo.y, hi.y)).toBeLessThanOrEqual(580 + 1e-9);
    // Centred: the middle of the data is the middle of the canvas.
    const mid = toScreen(v, { x: 5, y: 2.5 });
    expect(mid.x).toBeCloseTo(500);
    expect(mid.y).toBeCloseTo(300);
  });

  it("maps screen to data and back", () => {
    const v = { scale: 37.5, tx: -120, ty: 410 };
    for (const p of [{ x: 0, y: 0 }, { x: 3.25, y: -8.5 }, { x: -100, y: 42 }]) {
      const back = toData(v, toScreen(v, p));
      expect(back.x).toBeCloseTo(p.x, 9);
      expect(back.y).toBeCloseTo(p.y, 9);
    }
  });

  it("zooms around the pointer and keeps the scale within limits", () => {
    const fit = fitView({ x1: 0, y1: 0, x2: 10, y2: 10 }, 500, 500, 0);
    const at = { x: 120, y: 333 };
    const under = toData(fit, at);
    const zoomed = zoomAt(fit, at, wheelFactor(-100), fit);
    expect(zoomed.scale).toBeCloseTo(fit.scale * 1.2);
    const still = toScreen(zoomed, under);
    expect(still.x).toBeCloseTo(at.x);
    expect(still.y).toBeCloseTo(at.y);
    let far = fit;
    for (let i = 0; i < 100; i++) far = zoomAt(far, at, 2, fit);
    expect(far.scale).toBeCloseTo(fit.scale * 400);
    for (let i = 0; i < 200; i++) far = zoomAt(far, at, 0.5, fit);
    expect(far.scale).toBeCloseTo(fit.scale * 0.25);
  });

  it("pans by screen pixels and reports what is visible", () => {
    const v = fitView({ x1: 0, y1: 0, x2: 10, y2: 10 }, 100, 100, 0);
    expect(visibleBounds(v, 100, 100)).toEqual({ x1: 0, y1: 0, x2: 10, y2: 10 });
    const moved = visibleBounds(panBy(v, 50, 0), 100, 100);
    expect(moved.x1).toBeCloseTo(-5);
    expect(moved.x2).toBeCloseTo(5);
  });

  it("gives one point or none a unit square of bounds", () => {
    expect(boundsOf([3, 4])).toEqual({ x1: 2.5, y1: 3.5, x2: 3.5, y2: 4.5 });
    expect(boundsOf([])).toEqual({ x1: -1, y1: -1, x2: 1, y2: 1 });
  });
});

describe("point buckets", () => {
  const xy = randomPoints(5000, 7);
  const buckets = new PointBuckets(xy);

  function bruteNearest(p: { x: number; y: number }, radius: number): number {
    let best = -1;
    let bestD = radius * radius;
    for (let i = 0; i < xy.length / 2; i++) {
      const d = (xy[2 * i]! - p.x) ** 2 + (xy[2 * i + 1]! - p.y) ** 2;
      if (d < bestD || (d === bestD && i > best)) [best, bestD] = [i, d];
    }
    return best;
  }

  it("finds the same nearest point as a scan over all of them", () => {
    const r = rng(11);
    let found = 0;
    for (let q = 0; q < 500; q++) {
      const p = { x: -12 + 30 * r(), y: -6 + 20 * r() };
      const radius = 0.05 + r() * 0.6;
      const want = bruteNearest(p, radius);
      expect(buckets.nearest(p, radius)).toBe(want);
      if (want >= 0) found++;
    }
    expect(found).toBeGreaterThan(100); // the comparison covered hits, not only misses
  });

  it("lists the points in a rectangle as a scan does", () => {
    const rect = { x1: 4.5, y1: 1.5, x2: 5.5, y2: 2.6 };
    const want: number[] = [];
    for (let i = 0; i < xy.length / 2; i++) {
      if (xy[2 * i]! >= rect.x1 && xy[2 * i]! <= rect.x2 && xy[2 * i + 1]! >= rect.y1 && xy[2 * i + 1]! <= rect.y2) want.push(i);
    }
    expect(want.length).toBeGreaterThan(100);
    expect(buckets.within(rect)).toEqual(want);
    expect(buckets.within({ x1: 100, y1: 100, x2: 101, y2: 101 })).toEqual([]);
  });

  it("handles all points in one place and an empty map", () => {
    const same = new PointBuckets([1, 1, 1, 1, 1, 1]);
    expect(same.nearest({ x: 1.01, y: 1 }, 0.1)).toBe(2); // the one drawn last, on top
    expect(same.within({ x1: 0, y1: 0, x2: 2, y2: 2 })).toEqual([0, 1, 2]);
    const none = new PointBuckets([]);
    expect(none.size).toBe(0);
    expect(none.nearest({ x: 0, y: 0 }, 10)).toBe(-1);
  });

  it("builds over 100k points", () => {
    const big = randomPoints(100_000, 3);
    const b = new PointBuckets(big);
    expect(b.size).toBe(100_000);
    expect(b.cols * b.rows).toBeGreaterThan(1000);
    expect(b.nearest({ x: big[0]!, y: big[1]! }, 1e-6)).toBe(0);
  });
});

describe("lasso", () => {
  const square = [{ x: 0, y: 0 }, { x: 4, y: 0 }, { x: 4, y: 4 }, { x: 0, y: 4 }];
  // A "C": the notch on the right side (x > 1, 1 < y < 3) is outside.
  const cShape = [{ x: 0, y: 0 }, { x: 4, y: 0 }, { x: 4, y: 1 }, { x: 1, y: 1 }, { x: 1, y: 3 }, { x: 4, y: 3 }, { x: 4, y: 4 }, { x: 0, y: 4 }];

  it("tells inside from outside, also in a concave outline", () => {
    expect(pointInPolygon({ x: 2, y: 2 }, square)).toBe(true);
    expect(pointInPolygon({ x: 5, y: 2 }, square)).toBe(false);
    expect(pointInPolygon({ x: -0.1, y: 2 }, square)).toBe(false);
    expect(pointInPolygon({ x: 0.5, y: 2 }, cShape)).toBe(true);
    expect(pointInPolygon({ x: 2.5, y: 2 }, cShape)).toBe(false);
    expect(pointInPolygon({ x: 2.5, y: 0.5 }, cShape)).toBe(true);
    expect(pointInPolygon({ x: 1, y: 1 }, [{ x: 0, y: 0 }, { x: 2, y: 2 }])).toBe(false);
  });

  it("selects the points inside the lasso, as testing every point does", () => {
    const xy = randomPoints(3000, 5);
    const buckets = new PointBuckets(xy);
    const star = Array.from({ length: 10 }, (_, k) => {
      const a = (k * Math.PI) / 5;
      const r = k % 2 === 0 ? 4 : 1.5;
      return { x: 2 + r * Math.cos(a), y: 4 + r * Math.sin(a) };
    });
    const want: number[] = [];
    for (let i = 0; i < 3000; i++) if (pointInPolygon({ x: xy[2 * i]!, y: xy[2 * i + 1]! }, star)) want.push(i);
    expect(want.length).toBeGreaterThan(20);
    expect(lassoSelect(xy, buckets, star)).toEqual(want);
    expect(lassoSelect(xy, buckets, star.slice(0, 2))).toEqual([]);
  });

  it("drops lasso points closer than the step to the last one", () => {
    const poly = [{ x: 0, y: 0 }];
    extendLasso(poly, { x: 1, y: 1 }, 3);
    extendLasso(poly, { x: 3, y: 0 }, 3);
    expect(poly).toEqual([{ x: 0, y: 0 }, { x: 3, y: 0 }]);
  });
});

describe("colours by label", () => {
  const classes = [{ name: "cat", color: "#ff0000", hotkey: null }];

  it("uses the schema's colour, a stable palette colour for other labels, grey for none", () => {
    expect(colorOf("cat", classes)).toBe("#ff0000");
    expect(colorOf(null, classes)).toBe(UNLABELLED);
    const dog = colorOf("dog", classes);
    expect(dog).toMatch(/^#[0-9a-f]{6}$/);
    expect(colorOf("dog", [])).toBe(dog);
    expect(dog).not.toBe(UNLABELLED);
  });

  it("orders the legend by count with the unlabelled last", () => {
    const legend = legendOf(["dog", null, "cat", "dog", null, null, "", "bird"], classes);
    expect(legend.map((e) => [e.label, e.count])).toEqual([["dog", 2], ["bird", 1], ["cat", 1], [null, 4]]);
    expect(legend[2]?.color).toBe("#ff0000");
  });
});

describe("search state in the URL", () => {
  it("round-trips a text search and a 'more like this'", () => {
    const s = { ...EMPTY_SEARCH, q: "ein Hund im Schnee", lang: "de", label: "dog", status: "new" as const };
    const path = searchPath(3, s);
    expect(path).toBe("/projects/3/search?q=ein+Hund+im+Schnee&lang=de&label=dog&status=new");
    expect(readSearch(new URLSearchParams(path.split("?")[1]))).toEqual(s);
    expect(searchPath(3, { similar: 17, q: "ignored", lang: "de" })).toBe("/projects/3/search?similar=17");
    expect(searchPath(3, {})).toBe("/projects/3/search");
  });

  it("ignores values it does not understand", () => {
    expect(readSearch(new URLSearchParams("similar=abc&lang=xx&status=gone"))).toEqual(EMPTY_SEARCH);
  });
});

describe("map drawing order", () => {
  it("groups every point by colour, unlabelled underneath and the smallest class on top", () => {
    const pts = ["cat", "dog", null, "dog", "cat", "dog", null, "bird"].map((label, i) => ({
      item_id: 100 + i, x: i, y: -i, label, name: `p${i}`, thumb_url: null,
    }));
    const data = prepare(pts, [{ name: "cat", color: "#ff0000", hotkey: null }]);
    expect(data.n).toBe(8);
    expect(Array.from(data.xy.slice(0, 6))).toEqual([0, -0, 1, -1, 2, -2]);
    expect(data.groups.map((g) => Array.from(g.points))).toEqual([[2, 6], [1, 3, 5], [0, 4], [7]]);
    expect(data.groups[0]?.color).toBe(UNLABELLED);
    expect(data.groups[2]?.color).toBe("#ff0000");
    expect(data.legend.map((e) => e.label)).toEqual(["dog", "cat", "bird", null]);
  });

  it("draws smaller dots on crowded maps and larger ones when zoomed in", () => {
    expect(dotRadius(500, 1)).toBeGreaterThan(dotRadius(100_000, 1));
    expect(dotRadius(500, 16)).toBeGreaterThan(dotRadius(500, 1));
    expect(dotRadius(500, 1e6)).toBeLessThanOrEqual(9);
  });
});
