import { describe, expect, it } from "vitest";
import { freeHotkeys, hotkeyClash } from "./classHotkeys";
import { RESERVED_KEYS } from "./editor/keymap";
import { classProblemFields, classProblems, nextClass, PALETTE, schemaOf } from "./labels";
import { TEXT_RESERVED } from "./text/keymap";
import { VIDEO_RESERVED } from "./video/keymap";
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
  it("refuses a hotkey the editor uses itself, naming the editor, what the key does and free keys", () => {
    const rows = [
      { name: "person", color: "#ff0000", hotkey: "1" },
      { name: "dog", color: "#00ff00", hotkey: "b" },
      { name: "cat", color: "#0000ff", hotkey: "N" },
    ];
    const p = classProblems(rows);
    expect(p[0]).toBe("");
    expect(p[1]).toBe("b is the image editor's key for the Box tool, so it would not choose this class there; take a free key such as 2, 3 or c.");
    expect(p[2]).toContain("n is the image editor's key for the next item");
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

describe("class hotkeys and the keys of the editor a project's items open in", () => {
  const rows = [
    { name: "person", color: "#ff0000", hotkey: "1" },
    { name: "car", color: "#00ff00", hotkey: "f" },
    { name: "bus", color: "#0000ff", hotkey: "b" },
    { name: "bike", color: "#ffff00", hotkey: "a" },
    { name: "van", color: "#00ffff", hotkey: "l" },
  ];

  it("checks a video project's hotkeys against the video editor's keys, not the image editor's", () => {
    const p = classProblems(rows, "video");
    expect(p).toEqual([
      "",
      "f is the video editor's key for the next frame, so it would not choose this class there; take a free key such as 2, 3 or e.",
      "",
      "",
      "l is the video editor's key for locking a track, so it would not choose this class there; take a free key such as 2, 3 or e.",
    ]);
    expect(classProblemFields(rows, "video")).toEqual([null, "hotkey", null, null, "hotkey"]);
    const more = ["d", "k", "o", "h", "/", "v", "c", "n", "g"].map((k) => hotkeyClash(k, "video"));
    expect(more.every((m) => m !== null && m.startsWith(`${m[0]} is the video editor's key for `))).toBe(true);
    expect(hotkeyClash("/", "video")).toContain("/ is the video editor's key for finding a track");
    expect(hotkeyClash("N", "video")).toContain("n is the video editor's key for the next suggested frame");
  });

  it("checks a text project against the text editor's keys, and a volume project against the image editor's", () => {
    expect(classProblems(rows, "text")).toEqual([
      "",
      "",
      "",
      "a is the text editor's key for accepting a proposal, so it would not choose this class there; take a free key such as 2, 3 or c.",
      "",
    ]);
    const volume = classProblems(rows, "volume");
    expect(volume[1]).toBe("f is the volume editor's key for fitting the image, so it would not choose this class there; take a free key such as 2, 3 or c.");
    expect(volume[2]).toMatch(/^b is the volume editor's key for the Box tool/);
    expect(volume[3]).toMatch(/^a is the volume editor's key for accepting a proposal/);
    // L shows the planes in the volume editor, but a class that takes L keeps it (`ortho.ts`).
    expect(volume[4]).toBe("");
  });

  it("names what every reserved key does in each editor", () => {
    for (const [kind, reserved] of [["image", RESERVED_KEYS], ["video", VIDEO_RESERVED], ["text", TEXT_RESERVED]] as const) {
      for (const k of reserved) {
        const m = hotkeyClash(k, kind);
        expect(m, `${kind} ${k}`).not.toBeNull();
        expect(m, `${kind} ${k}`).not.toContain("undefined");
        expect(m, `${kind} ${k}`).not.toContain("one of its own actions");
      }
    }
    expect(hotkeyClash("7", "video")).toBeNull();
    expect(hotkeyClash(" ", "video")).toMatch(/^Space is the video editor's key for playing and pausing/);
  });

  it("offers two free digits and a letter, skipping the other classes' keys and the editor's", () => {
    expect(freeHotkeys("video", ["1", "2", "3", "a", "b"])).toEqual(["4", "5", "e"]);
    expect(freeHotkeys("image", [..."123456789"])).toEqual(["c", "d", "i"]);
    expect(freeHotkeys("text", [..."123456789abcdefghijklmnopqrstuvwxyz"])).toEqual([]);
    expect(hotkeyClash("a", "text", [..."123456789abcdefghijklmnopqrstuvwxyz"])).toMatch(/; clear the hotkey\.$/);
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
