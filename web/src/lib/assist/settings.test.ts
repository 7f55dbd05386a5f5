import { describe, expect, it } from "vitest";
import { bandsText, bandText, changedFields, settingsProblems, STRATEGIES, takeSuggested } from "./settings";

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

  it("takes the suggested bands without accepting more: the upper bound never rounds down", () => {
    expect(takeSuggested({ lower: 0.2, upper: 0.9545 })).toEqual({ lower: 0.2, upper: 0.9545 });
    expect(takeSuggested({ lower: 0.123456, upper: 0.954512 })).toEqual({ lower: 0.1234, upper: 0.9546 });
    // Float noise does not move a bound that is already round.
    expect(takeSuggested({ lower: 0.30000000000000004, upper: 0.95 + 1e-12 })).toEqual({ lower: 0.3, upper: 0.95 });
    expect(takeSuggested({ lower: 0, upper: 1 })).toEqual({ lower: 0, upper: 1 });
  });

  it("shows a bound with the digits it has (two at least)", () => {
    expect(bandText(0.9545)).toBe("0.9545");
    expect(bandText(0.95)).toBe("0.95");
    expect(bandText(0.9)).toBe("0.90");
    expect(bandText(1)).toBe("1.00");
    expect(bandsText(0.2, 0.9545)).toBe("Below 0.20: dropped · 0.20–0.9545: proposed for review · above 0.9545: accepted");
  });
});
