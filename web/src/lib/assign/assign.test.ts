import { describe, expect, it } from "vitest";
import { filterFromQuery, filterToQuery } from "../itemFilter";
import { describe as sentenceOf } from "../audit";
import {
  assignable,
  assignBody,
  assignedText,
  assigneeParam,
  assigneeText,
  choiceProblem,
  filterBody,
  initials,
  workloadTotals,
  type MemberLoad,
} from "./assign";

const load = (username: string, role: MemberLoad["role"], extra: Partial<MemberLoad> = {}): MemberLoad => ({
  user_id: username.length, username, role, active: true, open: 0, labelled: 0, reviewed: 0, returned: 0, ...extra,
});

describe("the assignee filter", () => {
  it("takes me, none or a user id from an address, and drops the rest", () => {
    expect(["me", "none", "42", "bob", "-1", "", null].map((v) => assigneeParam(v))).toEqual(["me", "none", "42", undefined, undefined, undefined, undefined]);
    const f = filterFromQuery(new URLSearchParams("status=new&assignee=me&order=name"));
    expect(f.assignee).toBe("me");
    expect(filterToQuery(f)).toBe("status=new&assignee=me&order=name");
    expect(filterFromQuery(new URLSearchParams("assignee=everyone")).assignee).toBeUndefined();
  });

  it("names each choice", () => {
    const members = [{ user_id: 7, username: "rita" }];
    expect([undefined, "me", "none", "7", "9"].map((v) => assigneeText(v, members))).toEqual(["Anyone", "Me", "Unassigned", "rita", "user #9"]);
  });
});

describe("initials", () => {
  it("takes the first letters of the first and last words, or two of one word", () => {
    expect(initials("rita")).toBe("RI");
    expect(initials("anna.berg")).toBe("AB");
    expect(initials("j_doe-2")).toBe("J2");
    expect(initials("Émile Zola")).toBe("ÉZ");
    expect(initials("x")).toBe("X");
    expect(initials("__")).toBe("?");
    expect(initials(null)).toBe("?");
  });
});

describe("who may be assigned", () => {
  it("keeps active members who may label, by name", () => {
    const members = [load("zed", "annotator"), load("vic", "viewer"), load("amy", "manager"), load("old", "annotator", { active: false }), load("left", null)];
    expect(assignable(members).map((m) => m.username)).toEqual(["amy", "zed"]);
  });
});

describe("the dialog's request", () => {
  it("says what is missing before it is sent", () => {
    expect(choiceProblem({ kind: "one", userId: null })).toMatch(/Pick the member/);
    expect(choiceProblem({ kind: "even", userIds: [3] })).toMatch(/at least two/);
    expect(choiceProblem({ kind: "even", userIds: [3, 4] })).toBe("");
    expect(choiceProblem({ kind: "none" })).toBe("");
  });

  it("sends ids or the filter, one member, several sorted, or nobody", () => {
    expect(assignBody({ kind: "one", userId: 5 }, { ids: [1, 2] })).toEqual({ item_ids: [1, 2], user_ids: [5], mode: "one" });
    expect(assignBody({ kind: "even", userIds: [9, 3] }, { filter: { assignee: "none" }, openOnly: true }))
      .toEqual({ filter: { assignee: "none" }, user_ids: [3, 9], mode: "even", open_only: true });
    expect(assignBody({ kind: "none" }, { ids: [4] })).toEqual({ item_ids: [4], user_ids: [], mode: "one" });
  });

  it("turns the grid's filter into the body's, without the sort", () => {
    expect(filterBody({ status: "new", label: "cat", q: undefined, order: "name", assignee: "me" })).toEqual({ status: "new", label: "cat", assignee: "me" });
  });
});

describe("what the team is told", () => {
  it("words the result", () => {
    const a = (username: string, n: number) => ({ user_id: n, username, count: n });
    expect(assignedText({ items: 12, changed: 12, mode: "one", unassigned: 0, assignees: [a("rita", 12)] })).toBe("Assigned 12 items to rita");
    expect(assignedText({ items: 1500, changed: 3, mode: "even", unassigned: 0, assignees: [a("rita", 500), a("bob", 1000)] }))
      .toBe("Split 1,500 items: rita 500, bob 1,000");
    expect(assignedText({ items: 1, changed: 1, mode: "unassign", unassigned: 1, assignees: [] })).toBe("Unassigned 1 item");
  });

  it("tells the activity log who got what", () => {
    const ev = (detail: Record<string, unknown>) => sentenceOf({ id: 1, at: "2026-12-06T09:00:00Z", user_id: 2, username: "boss", project_id: 1,
      action: "item.assign", object_type: "project", object_id: "1", detail: { actor: "boss", ...detail } });
    expect(ev({ count: 12, mode: "one", assignees: [{ id: 3, name: "rita", count: 12 }] })).toBe("assigned 12 items to rita");
    expect(ev({ count: 30, mode: "even", assignees: [{ id: 3, name: "rita", count: 10 }, { id: 4, name: "bob", count: 20 }] }))
      .toBe("split 30 items among rita (10) and bob (20)");
    expect(ev({ count: 1, mode: "unassign", assignees: [] })).toBe("unassigned 1 item");
  });

  it("adds up the workload", () => {
    const t = workloadTotals([load("a", "annotator", { open: 3, labelled: 2, returned: 1 }), load("b", "annotator", { open: 4, reviewed: 5 })]);
    expect(t).toEqual({ open: 7, labelled: 2, reviewed: 5, returned: 1 });
  });
});
