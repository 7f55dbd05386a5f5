import { describe, expect, it } from "vitest";
import { classProblems, nextClass, PALETTE, schemaOf } from "./labels";
import { can } from "./roles";

describe("classProblems", () => {
  it("flags empty and duplicate names and clashing hotkeys, per row", () => {
    const rows = [
      { name: "cat", color: "#ff0000", hotkey: "1" },
      { name: "Cat", color: "#00ff00", hotkey: "2" },
      { name: "", color: "#0000ff", hotkey: null },
      { name: "dog", color: "#000000", hotkey: "2" },
      { name: "fox", color: "red", hotkey: null },
    ];
    const p = classProblems(rows);
    expect(p[0]).toContain("Two classes");
    expect(p[2]).toBe("Give the class a name.");
    expect(p[3]).toContain("Hotkey 2");
    expect(p[4]).toContain("#RRGGBB");
  });
});

describe("nextClass", () => {
  it("takes the first unused palette colour and digit", () => {
    const c = nextClass([{ name: "a", color: PALETTE[0], hotkey: "1" }]);
    expect(c).toEqual({ name: "", color: PALETTE[1], hotkey: "2" });
  });
});

describe("schemaOf", () => {
  it("reads a stored schema and fills what is missing", () => {
    const s = schemaOf({ label_schema: { classes: [{ name: "cat" }] } });
    expect(s.classes).toEqual([{ name: "cat", color: PALETTE[0], hotkey: null }]);
    expect(s.kinds).toContain("box");
  });
});

describe("can", () => {
  it("follows the server's role table", () => {
    expect(can("annotator", "export")).toBe(false);
    expect(can("manager", "export")).toBe(true);
    expect(can("manager", "delete_project")).toBe(false);
    expect(can(null, "read")).toBe(false);
    expect(can(null, "delete_project", true)).toBe(true);
  });
});
