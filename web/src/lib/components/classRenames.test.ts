import { describe, expect, it } from "vitest";
import { ClassRenames, followClassRename, renamesToSend, type RenameLog } from "./classRenames";

const stored = ["ped", "car", "bike"];

/** Types `to` into a row whose name was `from` when the field was entered, one keystroke at a time. */
function type(log: RenameLog, from: string, to: string): RenameLog {
  let now = log;
  for (let i = 0; i <= to.length; i++) now = followClassRename(log, stored, from, to.slice(0, i));
  return now;
}

describe("class renames", () => {
  it("logs a typed rename once, from the stored name", () => {
    const log = type({}, "ped", "pedestrian");
    expect(renamesToSend(log, ["pedestrian", "car", "bike"])).toEqual([{ from: "ped", to: "pedestrian" }]);
  });

  it("keeps the stored name when a row is renamed twice", () => {
    const log = type(type({}, "ped", "walker"), "walker", "pedestrian");
    expect(renamesToSend(log, ["pedestrian", "car", "bike"])).toEqual([{ from: "ped", to: "pedestrian" }]);
  });

  it("sends nothing for a row renamed back, a new row, or a removed row", () => {
    expect(renamesToSend(type(type({}, "ped", "p"), "p", "ped"), stored)).toEqual([]);
    expect(renamesToSend(type({}, "class 4", "truck"), [...stored, "truck"])).toEqual([]);
    expect(renamesToSend(type({}, "ped", "pedestrian"), ["car", "bike"])).toEqual([]);
  });

  it("does not pass a row through another class's name", () => {
    // Typing "carts" in the ped row passes "car": the car row is not renamed by it.
    const log = type({}, "ped", "carts");
    expect(renamesToSend(log, ["carts", "car", "bike"])).toEqual([{ from: "ped", to: "carts" }]);
  });

  it("a new row given a renamed class's old name is new", () => {
    let log = type({}, "ped", "pedestrian");
    log = type(log, "class 4", "ped");
    log = type(log, "ped", "walker");
    expect(renamesToSend(log, ["pedestrian", "car", "bike", "walker"])).toEqual([{ from: "ped", to: "pedestrian" }]);
  });

  it("logs a swap as two renames", () => {
    let log = type({}, "ped", "tmp");
    log = type(log, "car", "ped");
    log = type(log, "tmp", "car");
    expect(renamesToSend(log, ["car", "ped", "bike"])).toEqual([
      { from: "car", to: "ped" },
      { from: "ped", to: "car" },
    ]);
  });
});

describe("the settings page's record", () => {
  it("sends a rename until the project is read again", () => {
    const r = new ClassRenames();
    r.reset(stored);
    r.start();
    for (const to of ["p", "pe", "person"]) r.follow("ped", to);
    r.start();
    r.follow("person", "pedestrian");
    expect(r.toSend(["pedestrian", "car", "bike"])).toEqual([{ from: "ped", to: "pedestrian" }]);
    r.reset(["pedestrian", "car", "bike"]);
    expect(r.toSend(["pedestrian", "car", "bike"])).toEqual([]);
  });
});
