import { describe, expect, it } from "vitest";
import type { AlertSummary } from "./alerts";
import { BELL_STREAMS, followedProjects, isAlertEvent, needsPoll } from "./bell";

function summary(...open: [number, number][]): AlertSummary {
  return {
    total: open.reduce((n, [, k]) => n + k, 0),
    projects: open.map(([id, k]) => ({ project_id: id, project_name: `p${id}`, open: k })),
  } as AlertSummary;
}

describe("the bell's streams", () => {
  it("follows the project on screen first, then those with open alerts, at most BELL_STREAMS", () => {
    const s = summary([1, 0], [2, 4], [3, 0], [4, 9], [5, 1]);
    expect(followedProjects(s, 3, true)).toEqual([3, 4, 2]);
    expect(followedProjects(s, null, false)).toEqual([4, 2, 5]);
    expect(followedProjects(s, 99, false)).toEqual([4, 2, 5]); // a project whose alerts the user does not read
    expect(followedProjects(s, 99, true)).toEqual([99, 4, 2]); // an administrator's, not in the summary
    expect(followedProjects(summary([7, 0]), null, false)).toEqual([7]);
    expect(followedProjects(null, 3, false)).toEqual([]);
    expect(BELL_STREAMS).toBe(3);
  });

  it("polls only while a followed stream is down or a project is not followed", () => {
    expect(needsPoll(["live", "live"], 2)).toBe(false);
    expect(needsPoll(["live", "offline"], 2)).toBe(true);
    expect(needsPoll(["live", "connecting"], 2)).toBe(true);
    expect(needsPoll(["live", "live", "live"], 5)).toBe(true);
    expect(needsPoll([], 0)).toBe(false);
    expect(needsPoll(["live"], Infinity)).toBe(true); // an administrator reads every project
  });

  it("reads the counts again on a raised or acknowledged alert only", () => {
    expect(isAlertEvent({ action: "alert.raised" })).toBe(true);
    expect(isAlertEvent({ action: "alert.ack" })).toBe(true);
    expect(isAlertEvent({ action: "alert_rule.create" })).toBe(false);
    expect(isAlertEvent({ action: "item.approve" })).toBe(false);
  });
});
