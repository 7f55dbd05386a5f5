import { describe, expect, it } from "vitest";
import type { LiveEvent } from "./live.svelte";
import { auditEvent, changesText, gridChanges, inActivity, othersChange } from "./liveUpdates";

const ME = 1;
const BOB = 2;

function ev(action: string, over: Partial<LiveEvent> = {}): LiveEvent {
  return {
    id: 10, at: "2026-12-06T09:00:00+00:00", project_id: 7, action, object_type: "item", object_id: "3",
    user_id: BOB, actor: "bob", detail: {}, ...over,
  };
}

describe("gridChanges", () => {
  it("names the items others saved, reviewed or changed, and leaves my own out", () => {
    const c = gridChanges([
      ev("annotations.replace", { object_id: "3", detail: { version: 2 } }),
      ev("item.approve", { object_id: "4" }),
      ev("track.keyframe", { object_id: "5" }),
      ev("annotations.replace", { object_id: "6", user_id: ME }),
      ev("member.set", { object_type: "membership", object_id: "9" }),
    ], ME);
    expect([...c.items]).toEqual([3, 4, 5]);
    expect([c.all, c.added, c.deleted]).toEqual([false, 0, 0]);
  });

  it("counts imported and deleted items, and reads every cell after a bulk change", () => {
    const c = gridChanges([
      ev("annotations.replace", { object_id: "8" }),
      ev("item.delete", { object_id: "8" }),
      ev("item.delete", { object_id: "9" }),
      ev("project.import", { object_type: "project", object_id: "7", detail: { items_added: 40, annotations_added: 0 } }),
    ], ME);
    expect([...c.items]).toEqual([]);
    expect([c.all, c.added, c.deleted]).toEqual([false, 40, 2]);
    expect(gridChanges([ev("item.bulk_update", { object_type: "project", object_id: "7" })], ME).all).toBe(true);
    expect(gridChanges([ev("item.assign", { object_type: "project", object_id: "7" })], ME).all).toBe(true);
    expect([...gridChanges([ev("consensus.merge", { object_id: "12" })], ME).items]).toEqual([12]);
    expect(gridChanges([ev("project.import", { detail: { items_added: 0, annotations_added: 5 } })], ME).all).toBe(true);
  });
});

describe("changesText", () => {
  it("says what came and went", () => {
    expect(changesText(3, 0)).toBe("3 new items");
    expect(changesText(1, 0)).toBe("1 new item");
    expect(changesText(0, 1)).toBe("1 item deleted");
    expect(changesText(1200, 2)).toBe(`${(1200).toLocaleString()} new items, 2 deleted`);
    expect(changesText(0, 0)).toBe("");
  });
});

describe("othersChange", () => {
  it("tells of another user's newer save of the open item", () => {
    expect(othersChange(ev("annotations.replace", { detail: { version: 5 } }), 3, ME, 4)).toEqual({ actor: "bob", verb: "saved", version: 5 });
    expect(othersChange(ev("item.reject", { detail: { version: 5 } }), 3, ME, 4)?.verb).toBe("rejected");
    expect(othersChange(ev("item.delete"), 3, ME, 9)?.verb).toBe("deleted");
    // A track edit names no version: it counts.
    expect(othersChange(ev("track.keyframe", { detail: { frame: 3 } }), 3, ME, 4)?.verb).toBe("saved");
    expect(othersChange(ev("annotations.replace", { user_id: null, actor: "system", detail: { version: 5 } }), 3, ME, 4)?.actor).toBe("system");
  });

  it("stays quiet about my own saves, other items, versions the editor has and other actions", () => {
    expect(othersChange(ev("annotations.replace", { user_id: ME, detail: { version: 5 } }), 3, ME, 4)).toBeNull();
    expect(othersChange(ev("annotations.replace", { object_id: "4", detail: { version: 5 } }), 3, ME, 4)).toBeNull();
    expect(othersChange(ev("annotations.replace", { detail: { version: 4 } }), 3, ME, 4)).toBeNull();
    expect(othersChange(ev("item.assign", { detail: { version: 5 } }), 3, ME, 4)).toBeNull();
  });
});

describe("activity", () => {
  it("turns a live event into an audit row and filters it as the list does", () => {
    const row = auditEvent(ev("item.approve", { detail: { version: 3 } }));
    expect(row).toMatchObject({ id: 10, username: "bob", action: "item.approve", detail: { version: 3, actor: "bob" } });
    expect(auditEvent(ev("job.finished", { user_id: null, actor: "system" })).username).toBeNull();
    const e = ev("item.approve");
    expect([inActivity(e, "", ""), inActivity(e, "item.", ""), inActivity(e, "annotations.", "")]).toEqual([true, true, false]);
    expect([inActivity(e, "", String(BOB)), inActivity(e, "", String(ME)), inActivity(e, "item.approve", "")]).toEqual([true, false, true]);
  });
});
