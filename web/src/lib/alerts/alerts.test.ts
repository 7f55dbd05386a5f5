import { describe, expect, it } from "vitest";
import { describeKind, mergeAlerts, openCount, paramsLine, projectOfPath, readParams, sortAlerts, subjectOf, type Alert, type AlertKind } from "./alerts";

function alert(id: number, over: Partial<Alert> = {}): Alert {
  return {
    id,
    project_id: 7,
    rule_id: 1,
    kind: "rejected_again",
    severity: "warning",
    title: `alert ${id}`,
    detail: {},
    object_type: "item",
    object_id: "42",
    subject_user_id: null,
    subject_username: null,
    event_id: 1,
    created_at: "2026-12-06T10:00:00Z",
    acknowledged_by: null,
    acknowledged_by_username: null,
    acknowledged_at: null,
    ...over,
  };
}

const RATE: AlertKind = {
  kind: "rejection_rate",
  label: "Rejection rate",
  description: "",
  severity: "warning",
  subject: "annotator",
  params: [
    { name: "window", type: "int", default: 20, minimum: 1, maximum: 1000, description: "" },
    { name: "threshold", type: "float", default: 0.3, minimum: 0.01, maximum: 1, description: "" },
    { name: "min_reviews", type: "int", default: 10, minimum: 1, maximum: 1000, description: "" },
  ],
};

describe("the alerts list", () => {
  it("puts open alerts first, the most severe first, then the acknowledged ones newest first", () => {
    const acked = { acknowledged_at: "2026-12-06T11:00:00Z" };
    const list = [alert(1, acked), alert(2, { severity: "info" }), alert(3, acked), alert(4, { severity: "critical" }), alert(5)];
    expect(sortAlerts(list).map((a) => a.id)).toEqual([4, 5, 2, 3, 1]);
  });

  it("merges a page in once, keeping the newest state of an alert", () => {
    const merged = mergeAlerts([alert(2), alert(1)], [alert(2, { acknowledged_at: "2026-12-06T11:00:00Z" }), alert(0)]);
    expect(merged.map((a) => [a.id, a.acknowledged_at !== null])).toEqual([[1, false], [0, false], [2, true]]);
  });

  it("links each alert to what it is about", () => {
    expect(subjectOf(alert(1, { detail: { item_name: "cat.jpg" } }))).toEqual({ text: "cat.jpg", path: "/projects/7/items/42" });
    expect(subjectOf(alert(1, { object_type: "job", object_id: "9" }))).toEqual({ text: "job 9", path: "/jobs" });
    expect(subjectOf(alert(1, { object_type: "user", object_id: "3", subject_username: "ann" }))).toEqual({ text: "ann", path: null });
    expect(subjectOf(alert(1, { object_type: "project" })).path).toBe("/projects/7?status=labeled");
  });
});

describe("rule parameters", () => {
  it("fill empty fields with defaults and say a share as a percentage", () => {
    expect(readParams(RATE, { window: " 30 ", threshold: "" })).toEqual({ params: { window: 30, threshold: 0.3, min_reviews: 10 } });
    expect(readParams(RATE, { window: 40, threshold: null, min_reviews: undefined })).toEqual({ params: { window: 40, threshold: 0.3, min_reviews: 10 } });
    expect(paramsLine(RATE, { window: 30, threshold: 0.25, min_reviews: 10 })).toBe("window 30 · threshold 25 % · min reviews 10");
    expect(paramsLine(undefined, {})).toBe("no parameters");
    expect(describeKind({ description: "at least `min_reviews` of their last `window`" })).toBe("at least “min reviews” of their last “window”");
  });

  it("name the field of a bad value as the server would", () => {
    expect(readParams(RATE, { threshold: "1.5" })).toEqual({ field: "params.threshold", message: "threshold must be between 0.01 and 1" });
    expect(readParams(RATE, { window: "2.5" })).toEqual({ field: "params.window", message: "window must be a whole number" });
    expect(readParams(RATE, { min_reviews: "many" })).toEqual({ field: "params.min_reviews", message: "min reviews must be a number" });
  });
});

describe("the bell", () => {
  const summary = { total: 3, projects: [{ project_id: 7, project_name: "lab", open: 3 }, { project_id: 8, project_name: "x", open: 0 }] };
  it("counts every project's open alerts, or one project's", () => {
    expect(openCount(summary)).toBe(3);
    expect(openCount(summary, 7)).toBe(3);
    expect(openCount(summary, 9)).toBe(0);
    expect(openCount(null, 7)).toBe(0);
  });
  it("knows the project of a project page", () => {
    expect(projectOfPath("/projects/12/alerts")).toBe(12);
    expect(projectOfPath("/projects/12")).toBe(12);
    expect(projectOfPath("/projects/new")).toBeNull();
    expect(projectOfPath("/jobs")).toBeNull();
  });
});
