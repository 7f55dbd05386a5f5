import { describe, expect, it } from "vitest";
import type { LiveEvent } from "../live.svelte";
import { assignSentence } from "./assign";
import { assigneeLine, touchesItem } from "./itemAssignee";

const ev = (action: string, extra: Partial<LiveEvent> = {}): LiveEvent => ({
  id: 1, at: "2026-12-06T10:00:00Z", project_id: 4, action, object_type: "item", object_id: "7", user_id: 2, actor: "bob",
  detail: {}, ...extra,
});

describe("assigneeLine", () => {
  it("names the assignee, or says nobody is", () => {
    expect(assigneeLine({ assignee_id: 3, assignee_username: "alice" })).toBe("Assigned to alice");
    expect(assigneeLine({ assignee_id: 3, assignee_username: null })).toBe("Assigned to user #3");
    expect(assigneeLine({ assignee_id: null })).toBe("Unassigned");
    expect(assigneeLine({})).toBe("Unassigned");
  });
});

describe("touchesItem", () => {
  it("takes others' changes of this item, not of another, nor the user's own", () => {
    expect(touchesItem(ev("item.approve"), 7, 1)).toBe(true);
    expect(touchesItem(ev("annotations.replace"), 7, 1)).toBe(true);
    expect(touchesItem(ev("annotations.replace", { object_id: "8" }), 7, 1)).toBe(false);
    expect(touchesItem(ev("item.approve", { user_id: 1 }), 7, 1)).toBe(false);
    expect(touchesItem(ev("item.delete"), 7, 1)).toBe(false); // the live banner says so; nothing to read
  });

  it("takes a bulk change that names the item, or names none", () => {
    const assign = (detail: Record<string, unknown>) => ev("item.assign", { object_type: "project", object_id: "4", detail });
    expect(touchesItem(assign({ item_ids: [5, 7] }), 7, 1)).toBe(true);
    expect(touchesItem(assign({ item_ids: [5, 6] }), 7, 1)).toBe(false);
    expect(touchesItem(assign({}), 7, 1)).toBe(true); // many items, or the detail left out for a non-manager
    expect(touchesItem(ev("consensus.set", { object_type: "project", object_id: "4" }), 7, null)).toBe(true);
  });

  it("takes member changes (open items go back to the pool), not other project events", () => {
    expect(touchesItem(ev("member.remove", { object_type: "membership" }), 7, 1)).toBe(true);
    expect(touchesItem(ev("webhook.create", { object_type: "webhook" }), 7, 1)).toBe(false);
    expect(touchesItem(ev("project.update", { object_type: "project", object_id: "7" }), 7, 1)).toBe(false);
  });
});

describe("assignSentence of a deactivation", () => {
  it("names whose items went back to the pool", () => {
    const d = { count: 2, changed: 2, mode: "unassign", by: "deactivation", assignees: [], user: { id: 5, name: "bob" } };
    expect(assignSentence(d)).toBe("unassigned 2 items of bob, deactivated");
    expect(assignSentence({ count: 3, mode: "unassign", by: "item_ids", assignees: [] })).toBe("unassigned 3 items");
  });
});
