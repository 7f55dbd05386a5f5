import { describe, expect, it } from "vitest";
import { bandsText, changedFields, settingsProblems, STRATEGIES } from "./settings";

const base = { lower: 0.5, upper: 0.95, retrain_every: 50, strategy: "hybrid", model_id: null, keep_versions: 5 };

describe("assist settings", () => {
  it("accepts sensible settings and names each broken field", () => {
    expect(settingsProblems(base)).toEqual({});
    expect(settingsProblems({ ...base, retrain_every: null })).toEqual({});
    expect(Object.keys(settingsProblems({ ...base, lower: 0.97 }))).toEqual(["upper"]);
    expect(Object.keys(settingsProblems({ ...base, lower: -0.1 }))).toEqual(["lower"]);
    expect(Object.keys(settingsProblems({ ...base, upper: 1.5 }))).toEqual(["upper"]);
    expect(Object.keys(settingsProblems({ ...base, retrain_every: 0 }))).toEqual(["retrain_every"]);
    expect(Object.keys(settingsProblems({ ...base, retrain_every: 2.5 }))).toEqual(["retrain_every"]);
    expect(settingsProblems({ ...base, keep_versions: 1 })).toEqual({});
    expect(settingsProblems({ ...base, keep_versions: 1000 })).toEqual({});
    for (const bad of [0, -1, 1.5, 1001, Number.NaN]) {
      expect(settingsProblems({ ...base, keep_versions: bad })).toEqual({ keep_versions: "Keep the files of 1 to 1000 versions." });
    }
  });

  it("says which fields differ between two settings", () => {
    expect(changedFields(base, base)).toEqual([]);
    expect(changedFields(base, { ...base, upper: 0.9, strategy: "margin" })).toEqual(["upper bound", "queue strategy"]);
    expect(changedFields(base, { ...base, keep_versions: 2 })).toEqual(["versions kept"]);
  });

  it("describes the bands and offers the server's strategies", () => {
    expect(bandsText(0.2, 0.9)).toBe("Below 0.20: dropped · 0.20–0.90: proposed for review · above 0.90: accepted");
    expect(STRATEGIES.map((s) => s.name)).toContain("hybrid");
    expect(STRATEGIES[0]!.name).toBe("hybrid");
  });
});
