import { describe, expect, it } from "vitest";
import { memberLock, OWNER_LOCKED, selfChangeQuestion } from "./members";

const manager = { userId: 3, isAdmin: false, role: "manager" as const };
const owner = { userId: 2, isAdmin: false, role: "owner" as const };
const admin = { userId: 1, isAdmin: true, role: null };

describe("memberLock", () => {
  it("locks owners' rows for a manager, and says why", () => {
    expect(memberLock({ role: "owner" }, manager)).toBe(OWNER_LOCKED);
    expect(memberLock({ role: "manager" }, manager)).toBeNull();
    expect(memberLock({ role: "viewer" }, manager)).toBeNull();
  });

  it("leaves every row open to an owner or an administrator", () => {
    expect(memberLock({ role: "owner" }, owner)).toBeNull();
    expect(memberLock({ role: "owner" }, admin)).toBeNull();
  });

  it("locks every row for a member who cannot manage members", () => {
    expect(memberLock({ role: "viewer" }, { userId: 5, isAdmin: false, role: "reviewer" })).toMatch(/Managers and owners/);
    expect(memberLock({ role: "viewer" }, { userId: 5, isAdmin: false, role: null })).not.toBeNull();
  });
});

describe("selfChangeQuestion", () => {
  it("asks before a demotion, naming the rights that go", () => {
    expect(selfChangeQuestion(manager, "QA coco8", "viewer")).toBe(
      "Make yourself viewer in QA coco8? You will lose manager rights in this project, and will no longer manage its members.",
    );
    expect(selfChangeQuestion(owner, "P", "manager")).toBe("Make yourself manager in P? You will lose owner rights in this project.");
  });

  it("asks before leaving", () => {
    expect(selfChangeQuestion(manager, "P", null)).toBe(
      "Leave P? You will lose manager rights in this project and will no longer see it.",
    );
  });

  it("does not ask for a promotion, the same role, or an administrator", () => {
    expect(selfChangeQuestion(manager, "P", "owner")).toBeNull();
    expect(selfChangeQuestion(manager, "P", "manager")).toBeNull();
    expect(selfChangeQuestion({ ...admin, role: "owner" }, "P", "viewer")).toBeNull();
  });
});
