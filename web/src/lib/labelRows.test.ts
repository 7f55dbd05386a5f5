import { describe, expect, it } from "vitest";
import { countLabel, labelRows } from "./labelRows";

const classes = [
  { name: "person", color: "#f00", hotkey: null },
  { name: "car", color: "#0f0", hotkey: null },
  { name: "dog", color: "#00f", hotkey: null },
];
const counts = (accepted: number, proposed = 0, tracks = 0) => ({ accepted, proposed, rejected: 0, tracks });

describe("labelRows", () => {
  it("knows no number before the stats arrive: no row says 0", () => {
    const { rows, max } = labelRows(null, classes);
    expect(rows.map((r) => r.name)).toEqual(["person", "car", "dog"]);
    expect(rows.every((r) => r.count === null && r.proposed === null)).toBe(true);
    expect(rows.map((r) => countLabel(r.count, false))).toEqual(["…", "…", "…"]);
    expect(max).toBe(1);
  });

  it("counts accepted labels, a class without any as a true 0, and sorts by count", () => {
    const { rows, tracked, max } = labelRows({ labels: { car: counts(7, 2), person: counts(30), old: counts(3) } }, classes);
    expect(tracked).toBe(false);
    expect(rows.map((r) => [r.name, r.count, r.proposed])).toEqual([
      ["person", 30, 0],
      ["car", 7, 2],
      ["old", 3, 0],
      ["dog", 0, 0],
    ]);
    expect(rows.find((r) => r.name === "old")?.color).toBe("#98a2b3");
    expect(max).toBe(30);
  });

  it("counts tracks in a video project", () => {
    const { rows, tracked } = labelRows({ labels: { car: counts(400, 5, 4), dog: counts(90, 0, 1) } }, classes);
    expect(tracked).toBe(true);
    expect(rows.map((r) => [r.name, r.count, r.proposed])).toEqual([
      ["car", 4, 0],
      ["dog", 1, 0],
      ["person", 0, 0],
    ]);
  });
});

describe("countLabel", () => {
  it("shows a number, a placeholder while loading, a dash after a failure", () => {
    expect(countLabel(1003197, false)).toBe("1,003,197");
    expect(countLabel(0, false)).toBe("0");
    expect(countLabel(null, false)).toBe("…");
    expect(countLabel(undefined, false)).toBe("…");
    expect(countLabel(null, true)).toBe("—");
  });
});
