import { describe, expect, it } from "vitest";
import { filterNotes } from "./filterNotes";

const classes = [{ name: "dog" }, { name: "car" }];

describe("filterNotes", () => {
  it("says which values of a deep link are not known, and what is shown instead", () => {
    const q = new URLSearchParams("label=dog&status=labelled&source=robot&state=maybe");
    expect(filterNotes(q, classes)).toEqual([
      "status “labelled” is not a status; showing every status",
      "source “robot” is not a source; showing every source",
      "state “maybe” is not an annotation state; showing every state",
    ]);
  });

  it("names a label that is not one of the project's classes, once the classes are known", () => {
    const q = new URLSearchParams("label=nonexistent&status=labeled");
    expect(filterNotes(q, classes)).toEqual(["label “nonexistent” is not a class of this project"]);
    expect(filterNotes(q, null)).toEqual([]);
    expect(filterNotes(new URLSearchParams("min_score=2"), classes)).toEqual([
      "lowest score “2” is not a number from 0 to 1; ignored",
    ]);
    expect(filterNotes(new URLSearchParams(""), classes)).toEqual([]);
  });
});
