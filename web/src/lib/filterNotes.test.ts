import { describe, expect, it } from "vitest";
import { readSpecs } from "./attributes";
import { attributeFilterText, attributeValueProblem, filterNotes } from "./filterNotes";

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

describe("the attribute filter's notes and summary", () => {
  const specs = readSpecs([
    { name: "occluded", type: "bool" },
    { name: "colour", type: "select", options: ["red", "blue"] },
    { name: "speed", type: "number" },
    { name: "note", type: "text" },
  ]);
  const notes = (q: string, s: typeof specs | null = specs) => filterNotes(new URLSearchParams(q), classes, s);

  it("reads as the filter bar shows it", () => {
    expect(attributeFilterText("colour", "red", specs[1])).toBe("colour = red");
    expect(attributeFilterText("occluded", "true", specs[0])).toBe("occluded = yes");
    expect(attributeFilterText("occluded", "false", specs[0])).toBe("occluded = no");
    expect(attributeFilterText("speed", undefined, specs[2])).toBe("speed: any value");
  });

  it("says what of an address's attribute filter cannot match, once the declarations are known", () => {
    expect(notes("attribute=colour&attribute_value=red")).toEqual([]);
    expect(notes("attribute=occluded&attribute_value=true&label=car")).toEqual([]);
    expect(notes("attribute=speed&attribute_value=2.5")).toEqual([]);
    expect(notes("attribute=note&attribute_value=anything at all")).toEqual([]);
    expect(notes("attribute=size")).toEqual(["attribute “size” is not declared in this project (see its settings); ignored"]);
    expect(notes("attribute=size", null)).toEqual([]);
    expect(notes("attribute=colour&attribute_value=green")).toEqual(["“green” is not one of colour's options (red, blue); ignored"]);
    expect(notes("attribute=occluded&attribute_value=yes")).toEqual(["occluded is yes or no (true or false), not “yes”; ignored"]);
    expect(notes("attribute=speed&attribute_value=fast")).toEqual(["speed is a number, not “fast”; ignored"]);
    expect(notes("attribute_value=red", null)).toEqual(["attribute value “red” names no attribute; ignored"]);
  });

  it("checks a typed value by the attribute's type (empty is any value)", () => {
    expect(attributeValueProblem(specs[2]!, "")).toBeNull();
    expect(attributeValueProblem(specs[2]!, "1e3")).toBeNull();
    expect(attributeValueProblem(specs[2]!, " ")).toBe("speed is a number, not “ ”");
    expect(attributeValueProblem(specs[3]!, "true")).toBeNull();
  });
});
