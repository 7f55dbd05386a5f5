import { describe, expect, it } from "vitest";
import { eventsText, groupsOf, outcomeText, patternsFrom, stateBadge, type Delivery, type Webhook } from "./webhooks";

describe("webhook event groups", () => {
  it("turns the chosen groups and custom patterns into the server's patterns", () => {
    expect(patternsFrom(["items", "annotations"], "model.train, job.finished")).toEqual([
      "item.*", "annotations.*", "track.*", "model.train", "job.finished",
    ]);
    expect(patternsFrom(["all", "items"], "")).toEqual(["*"]);
    expect(patternsFrom([], " item.approve  item.approve ")).toEqual(["item.approve"]);
  });

  it("reads a hook's patterns back as groups and custom text", () => {
    expect(groupsOf(["item.*", "annotations.*", "track.*", "model.train"])).toEqual({ groups: ["items", "annotations"], custom: "model.train" });
    expect(groupsOf(["annotations.*"])).toEqual({ groups: [], custom: "annotations.*" });
    expect(eventsText(["*"])).toBe("Everything");
    expect(eventsText(["project.import", "project.export", "item.approve"])).toBe("Imports & exports, item.approve");
  });
});

describe("webhook state and outcomes", () => {
  const base = { state: "active", failures: 0 } as Webhook;
  it("says whether a hook works, fails or is off", () => {
    expect(stateBadge(base)).toEqual({ text: "Active", tone: "success" });
    expect(stateBadge({ ...base, state: "failing", failures: 3 })).toEqual({ text: "Failing: 3 failures", tone: "warning" });
    expect(stateBadge({ ...base, state: "disabled" }).tone).toBe("danger");
  });
  it("words a delivery's outcome", () => {
    const d = { ok: true, status_code: 200, duration_ms: 35.4 } as Delivery;
    expect(outcomeText(d)).toBe("200 in 35 ms");
    expect(outcomeText({ ...d, ok: false, status_code: null, duration_ms: 10000 })).toBe("no answer");
    expect(outcomeText({ ...d, ok: false, status_code: 500, duration_ms: 1500 })).toBe("500 in 1.5 s");
  });
});
