import { describe, expect, it } from "vitest";
import type { AttributeSpec } from "../attributes";
import {
  changesToConfirm,
  followRename,
  optionUsage,
  readUsage,
  toDraft,
  usageText,
  withType,
  type AttributeDraft,
  type UsageByName,
} from "./attributeDrafts";

const colour: AttributeSpec = { name: "colour", type: "select", options: ["red", "green"], labels: ["car", "van"], default: null };
const occluded: AttributeSpec = { name: "occluded", type: "bool", options: [], labels: [], default: false };
const saved = [colour, occluded];
const usage: UsageByName = { colour: { used: 13, options: { red: 1, green: 12 } }, occluded: { used: 4 } };
const drafts = (): AttributeDraft[] => saved.map(toDraft);

describe("attribute usage", () => {
  it("says how many shapes use an attribute or an option", () => {
    expect(usageText(12)).toBe("used on 12 shapes");
    expect(usageText(1)).toBe("used on 1 shape");
    expect(usageText(0)).toBe("not used yet");
    expect(usageText(undefined)).toBe("not used yet");
    expect(readUsage({ items: {}, attributes: usage })).toEqual(usage);
    expect(readUsage({ items: {} })).toEqual({});
  });

  it("lists each saved option's use, marking the ones the draft removed", () => {
    const [d] = drafts();
    expect(optionUsage({ ...d!, optionsText: "red\nblue" }, usage)).toEqual([
      { option: "red", n: 1, removed: false },
      { option: "green", n: 12, removed: true },
    ]);
    expect(optionUsage({ ...d!, name: "paint" }, usage)).toEqual([]); // a new name has no use yet
  });

  it("asks nothing when the save removes nothing in use", () => {
    expect(changesToConfirm(saved, drafts(), usage)).toEqual([]);
    const [c, o] = drafts();
    // An option nobody holds, an attribute nobody holds, a new option: no question.
    expect(changesToConfirm(saved, [{ ...c!, optionsText: "red\ngreen\nblue" }, o!], usage)).toEqual([]);
    expect(changesToConfirm(saved, [c!], { ...usage, occluded: { used: 0 } })).toEqual([]);
  });

  it("asks before removing an option, an attribute or changing a type in use, saying what happens to the values", () => {
    const [c, o] = drafts();
    expect(changesToConfirm(saved, [{ ...c!, optionsText: "red" }, o!], usage)).toEqual([
      "12 shapes hold “green”: they keep the value, and the editor flags it until someone changes it.",
    ]);
    expect(changesToConfirm(saved, [c!], usage)).toEqual([
      "4 shapes hold a value for “occluded”: they keep it, but no editor offers or checks “occluded” once it is removed.",
    ]);
    // Renaming the attribute leaves its values under the old name: the same as removing it.
    expect(changesToConfirm(saved, [c!, { ...o!, name: "hidden" }], usage)).toHaveLength(1);
    expect(changesToConfirm(saved, [withType(c!, "text"), o!], usage)).toEqual([
      "13 shapes hold a value for “colour”: they keep it, and the editor flags any that is not text until someone changes it.",
    ]);
    expect(changesToConfirm(saved, [{ ...c!, optionsText: "green" }, o!], usage)[0]).toMatch(/^1 shape holds “red”/);
  });

  it("makes the attributes that name a renamed class name the new name", () => {
    const base = drafts();
    expect(followRename(base, "car", "automobile")[0]!.labels).toEqual(["automobile", "van"]);
    expect(followRename(base, "car", "automobile")[1]).toBe(base[1]); // every class: untouched
    expect(followRename(base, "truck", "lorry")).toEqual(base);
    expect(followRename(base, "car", "  ")).toEqual(base); // being retyped: no rename yet
    // Typed on the way through another class's name: mapped from the drafts as the rename began, nothing merges.
    expect(followRename(base, "car", "van")[0]!.labels).toEqual(["van"]);
    expect(followRename(base, "car", "vans")[0]!.labels).toEqual(["vans", "van"]);
  });
});
