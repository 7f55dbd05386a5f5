import { describe, expect, it } from "vitest";
import { ApiError } from "../api/problem";
import { checkBadge, parseRoundLine, roundChart, siteChange, siteFieldErrors, tokenShown, versionPoints, withRound } from "./federated";

describe("federated panel helpers", () => {
  it("shows a token by its last four characters only", () => {
    expect(tokenShown("wxyz")).toBe("••••wxyz");
  });

  it("words a check and gives it a tone", () => {
    expect(checkBadge("ok")).toEqual({ text: "ready", tone: "success" });
    expect(checkBadge("token_refused")).toEqual({ text: "token refused", tone: "danger" });
    expect(checkBadge("classes_differ").tone).toBe("warning");
  });

  it("puts a 422's errors under the add-site form's fields", () => {
    const url = new ApiError(422, { detail: "url leads to 10.0.0.1, a private address", field: "url" });
    expect(siteFieldErrors(url)).toEqual({ url: "url leads to 10.0.0.1, a private address" });
    const pydantic = new ApiError(422, { detail: "token: too long", field: "token", errors: [{ field: "token", message: "too long" }, { field: "name", message: "required" }] });
    expect(siteFieldErrors(pydantic)).toEqual({ token: "too long", name: "required" });
    expect(siteFieldErrors(new ApiError(409, { detail: "a project has at most 50 federated sites", field: "sites" }))).toEqual({
      form: "a project has at most 50 federated sites",
    });
  });

  it("reads a round from the job's progress message", () => {
    expect(parseRoundLine("round 3 of 20: 4 sites, accuracy 0.710")).toEqual({ round: 3, rounds: 20, sites: 4, skipped: 0, accuracy: 0.71 });
    expect(parseRoundLine("round 2 of 2: 1 site (1 skipped)")).toEqual({ round: 2, rounds: 2, sites: 1, skipped: 1, accuracy: null });
    expect(parseRoundLine("queued")).toBeNull();
  });

  it("collects each finished round once, in order, from the messages seen", () => {
    let pts = withRound([], "round 1 of 3: sending to 2 sites");
    expect(pts).toEqual([]);
    pts = withRound(pts, "round 2 of 3: 2 sites, accuracy 0.600");
    pts = withRound(pts, "round 2 of 3: 2 sites, accuracy 0.600");
    pts = withRound(pts, "round 1 of 3: 2 sites, accuracy 0.400");
    expect(pts).toEqual([{ round: 1, accuracy: 0.4 }, { round: 2, accuracy: 0.6 }]);
  });

  it("draws the accuracy per round across the chart, leaving out rounds without one", () => {
    const frame = { width: 220, height: 120, pad: 10 };
    const chart = roundChart([{ round: 1, accuracy: 0 }, { round: 2, accuracy: null }, { round: 3, accuracy: 1 }], 3, frame);
    expect(chart.dots.map((d) => [d.x, d.y])).toEqual([[10, 110], [210, 10]]);
    expect(chart.path).toBe("M10,110 L210,10");
    expect(chart.grid).toEqual([{ value: 0, y: 110 }, { value: 0.5, y: 60 }, { value: 1, y: 10 }]);
    expect(roundChart([{ round: 1, accuracy: 0.5 }], 1, frame).dots[0]).toMatchObject({ x: 110, y: 60 });
    expect(roundChart([], 5, frame).path).toBe("");
  });

  it("reads a version's stored rounds", () => {
    expect(versionPoints({ rounds: [{ round: 1, accuracy: 0.5 }, { round: 2, accuracy: null }] })).toEqual([
      { round: 1, accuracy: 0.5 },
      { round: 2, accuracy: null },
    ]);
  });

  it("sends only what an edit changed, and a token only when one is typed", () => {
    const site = { id: 4, name: "Hospital A", url: "https://a.example/api/v1/projects/3", token_hint: "abcd" } as Parameters<typeof siteChange>[0];
    const form = { name: " Hospital A ", url: site.url, token: "" };
    expect(siteChange(site, form)).toBeNull();
    expect(siteChange(site, { ...form, name: "Hospital B " })).toEqual({ name: "Hospital B" });
    expect(siteChange(site, { ...form, url: "https://b.example/api/v1/projects/9", token: " new-token-1 " }))
      .toEqual({ url: "https://b.example/api/v1/projects/9", token: "new-token-1" });
  });
});
