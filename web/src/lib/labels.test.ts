import { describe, expect, it } from "vitest";
import { classProblemFields, classProblems, nextClass, PALETTE, schemaOf } from "./labels";
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

describe("class hotkeys and the image editor's keys", () => {
  it("refuses a hotkey the editor uses itself, naming what the key does", () => {
    const rows = [
      { name: "person", color: "#ff0000", hotkey: "1" },
      { name: "dog", color: "#00ff00", hotkey: "b" },
      { name: "cat", color: "#0000ff", hotkey: "N" },
    ];
    const p = classProblems(rows);
    expect(p[0]).toBe("");
    expect(p[1]).toBe("b is the Box tool's key; choose another.");
    expect(p[2]).toContain("n is the editor's key for the next item");
    expect(classProblemFields(rows)).toEqual([null, "hotkey", "hotkey"]);
  });

  it("marks the hotkey field of every row sharing a hotkey, and the name field for name problems", () => {
    const rows = [
      { name: "a", color: "#ff0000", hotkey: "1" },
      { name: "b", color: "#00ff00", hotkey: "1" },
      { name: "", color: "#0000ff", hotkey: null },
      { name: "d", color: "nope", hotkey: null },
    ];
    expect(classProblems(rows)[0]).toContain("Hotkey 1");
    expect(classProblemFields(rows)).toEqual(["hotkey", "hotkey", "name", "color"]);
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
