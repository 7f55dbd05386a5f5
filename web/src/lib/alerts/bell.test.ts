import { describe, expect, it } from "vitest";
import { ALERTS, streamUrl } from "../live.svelte";
import { alertToast, isAlertEvent, needsPoll } from "./bell";

const raised = (project_id: number, title?: string) => ({ action: "alert.raised", project_id, detail: title === undefined ? {} : { title } });

describe("the bell's stream", () => {
  it("is the user's one alert stream, resumed like a project's", () => {
    expect(streamUrl(ALERTS, null)).toBe("/api/v1/alerts/events?names=0");
    expect(streamUrl(ALERTS, 41)).toBe("/api/v1/alerts/events?names=0&after=41");
    expect(streamUrl(3, null)).toBe("/api/v1/projects/3/events?names=0");
  });

  it("polls only before the first counts or while the stream is down", () => {
    expect(needsPoll("live", true)).toBe(false);
    expect(needsPoll("live", false)).toBe(true);
    expect(needsPoll("connecting", true)).toBe(true);
    expect(needsPoll("offline", true)).toBe(true);
  });

  it("reads the counts again on a raised or acknowledged alert only", () => {
    expect(isAlertEvent({ action: "alert.raised" })).toBe(true);
    expect(isAlertEvent({ action: "alert.ack" })).toBe(true);
    expect(isAlertEvent({ action: "alert_rule.create" })).toBe(false);
    expect(isAlertEvent({ action: "item.approve" })).toBe(false);
  });

  it("shows a message for an alert raised in the project on screen, off its Alerts page", () => {
    expect(alertToast(raised(4, "Job 9 failed"), 4, false)).toBe("Job 9 failed");
    expect(alertToast(raised(4), 4, false)).toBe("An alert was raised");
    expect(alertToast(raised(4, "Job 9 failed"), 5, false)).toBeNull(); // another project's: the bell counts it
    expect(alertToast(raised(4, "Job 9 failed"), null, false)).toBeNull();
    expect(alertToast(raised(4, "Job 9 failed"), 4, true)).toBeNull(); // the list shows it
    expect(alertToast({ action: "alert.ack", project_id: 4, detail: {} }, 4, false)).toBeNull();
  });
});
