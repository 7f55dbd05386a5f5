import { describe, expect, it, vi } from "vitest";
import { isLabelsKey } from "./gridKeys";
import { classLook, fitContain, idsToFetch, readLabelsSetting, skeletonLines, svgPoints, toThumb, UNKNOWN_COLOR, writeLabelsSetting, type ItemShapes } from "./gridShapes";
import { ShapeCache } from "./gridShapes.svelte";

describe("fitContain: where an image lands in its thumbnail box (object-fit: contain)", () => {
  it("fits a wide image to the box's width and centres it vertically", () => {
    // 640x480 is 4:3; in a 200x100 box it is 100 high: 133.3 wide, centred across.
    const f = fitContain(640, 480, 200, 100)!;
    expect(f.scale).toBeCloseTo(100 / 480);
    expect(f.width).toBeCloseTo(133.333, 2);
    expect(f.height).toBeCloseTo(100);
    expect(f.left).toBeCloseTo(33.333, 2);
    expect(f.top).toBe(0);
  });

  it("fits a tall image to the box's height and centres it across", () => {
    const f = fitContain(300, 900, 174, 131)!;
    expect(f.height).toBeCloseTo(131);
    expect(f.width).toBeCloseTo(131 / 3);
    expect(f.left).toBeCloseTo((174 - 131 / 3) / 2);
    expect(toThumb(300, 900, f)).toEqual([f.left + f.width, f.top + f.height]);
  });

  it("maps the image's corners and centre onto the fitted rectangle", () => {
    const f = fitContain(1000, 500, 174, 131)!; // wide: full width, 87 high, 22 px above and below
    expect(toThumb(0, 0, f)).toEqual([0, 22]);
    const [cx, cy] = toThumb(500, 250, f);
    expect(cx).toBeCloseTo(87);
    expect(cy).toBeCloseTo(65.5);
    expect(toThumb(1000, 500, f)[1]).toBeCloseTo(109);
  });

  it("gives nothing for an unknown size", () => {
    expect(fitContain(0, 480, 200, 100)).toBeNull();
    expect(fitContain(640, 480, 0, 100)).toBeNull();
  });
});

describe("drawing", () => {
  it("writes SVG points and the skeleton between visible keypoints", () => {
    expect(svgPoints([1, 2, 3, 4.5])).toBe("1,2 3,4.5");
    const kp = [10, 10, 2, 20, 20, 0, 30, 30, 1];
    expect(skeletonLines(kp, [[0, 1], [0, 2]])).toEqual([[10, 10, 30, 30]]);
    expect(skeletonLines(kp, undefined)).toEqual([]);
  });

  it("colours a label by its class, and an unknown one grey", () => {
    const look = classLook([{ name: "cat", color: "#e6194b", hotkey: null, skeleton: [[0, 1]] }]);
    expect(look.color("cat")).toBe("#e6194b");
    expect(look.color("zebra")).toBe(UNKNOWN_COLOR);
    expect(look.color(null)).toBe(UNKNOWN_COLOR);
    expect(look.skeleton("cat")).toEqual([[0, 1]]);
  });
});

describe("fetching and remembering", () => {
  it("asks only for unknown ids not on the way, 100 a request", () => {
    const wanted = Array.from({ length: 250 }, (_, i) => i + 1);
    const chunks = idsToFetch(wanted, new Set([1, 2]), new Set([3]));
    expect(chunks.map((c) => c.length)).toEqual([100, 100, 47]);
    expect(chunks[0]?.[0]).toBe(4);
  });

  it("remembers the setting, and reads off when storage refuses", () => {
    const kept = new Map<string, string>();
    const store = { getItem: (k: string) => kept.get(k) ?? null, setItem: (k: string, v: string) => void kept.set(k, v) };
    expect(readLabelsSetting(store)).toBe(false);
    writeLabelsSetting(store, true);
    expect(readLabelsSetting(store)).toBe(true);
    expect(readLabelsSetting({ getItem: () => { throw new Error("denied"); } })).toBe(false);
    expect(readLabelsSetting(undefined)).toBe(false);
  });

  it("L toggles, but not typed in a field, with a modifier, or in a dialog", () => {
    const key = (k: string, target: unknown = null, mods = {}) =>
      isLabelsKey({ key: k, ctrlKey: false, metaKey: false, altKey: false, defaultPrevented: false, target: target as EventTarget, ...mods });
    expect(key("l")).toBe(true);
    expect(key("L")).toBe(true);
    expect(key("k")).toBe(false);
    expect(key("l", null, { ctrlKey: true })).toBe(false);
    expect(key("l", { tagName: "INPUT", type: "text" })).toBe(false);
    expect(key("l", { tagName: "INPUT", type: "checkbox", closest: () => null })).toBe(true);
    expect(key("l", { tagName: "A", closest: () => null })).toBe(true);
    expect(key("l", { tagName: "BUTTON", closest: () => ({}) })).toBe(false);
  });

  it("waits for the view to rest, fetches once, and remembers items the API left out", async () => {
    vi.useFakeTimers();
    try {
      const asked: number[][] = [];
      const one = (id: number): ItemShapes => ({ item_id: id, width: 10, height: 10, shapes: [], more: 0 });
      const cache = new ShapeCache(async (ids) => (asked.push(ids), ids.filter((i) => i !== 3).map(one)), 100, 1000);
      cache.want([1, 2]);
      vi.advanceTimersByTime(50);
      cache.want([1, 2, 3]); // still scrolling: the wait starts again
      vi.advanceTimersByTime(99);
      expect(asked).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(asked).toEqual([[1, 2, 3]]);
      expect(cache.get(1)?.item_id).toBe(1);
      expect(cache.get(3)).toBeNull();
      cache.want([1, 2, 3]);
      await vi.advanceTimersByTimeAsync(200);
      expect(asked.length).toBe(1); // all known: no request
    } finally {
      vi.useRealTimers();
    }
  });
});
