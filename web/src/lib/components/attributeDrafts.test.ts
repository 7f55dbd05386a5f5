import { describe, expect, it } from "vitest";
import { ApiError } from "../api/problem";
import {
  attributeField,
  draftProblem,
  draftsOf,
  missingClasses,
  moved,
  newDraft,
  optionsOf,
  parseDefault,
  problemAt,
  toBody,
  withType,
  type AttributeDraft,
} from "./attributeDrafts";

const sentiment: AttributeDraft = {
  name: " sentiment ",
  type: "select",
  optionsText: "pos\n\n neg \n",
  scope: "some",
  labels: ["opinion"],
  default: "neg",
  mutable: false,
};

describe("attribute drafts", () => {
  it("reads the project's declarations, telling every class from chosen ones", () => {
    const drafts = draftsOf({
      classes: [],
      attributes: [
        { name: "negated", type: "bool", options: [], labels: [], default: false },
        { name: "sentiment", type: "select", options: ["pos", "neg"], labels: ["opinion"], default: "neg" },
      ],
    });
    expect(drafts[0]).toEqual({ name: "negated", type: "bool", optionsText: "", scope: "all", labels: [], default: false, mutable: false });
    expect(drafts[1]).toMatchObject({ optionsText: "pos\nneg", scope: "some", labels: ["opinion"] });
    expect(draftsOf({ classes: [] })).toEqual([]);
  });

  it("keeps 'changes per frame (video)' from the declaration to the body", () => {
    const [occluded] = draftsOf({ attributes: [{ name: "occluded", type: "bool", mutable: true }] });
    expect(occluded?.mutable).toBe(true);
    expect(toBody(occluded!).mutable).toBe(true);
    expect(newDraft().mutable).toBe(false);
  });

  it("sends trimmed names, one option per non-blank line, and no classes for every class", () => {
    expect(toBody(sentiment)).toEqual({
      name: "sentiment",
      type: "select",
      options: ["pos", "neg"],
      labels: ["opinion"],
      default: "neg",
      mutable: false,
    });
    expect(toBody({ ...sentiment, scope: "all" }).labels).toEqual([]);
    expect(optionsOf({ type: "text", optionsText: "left over" })).toEqual([]);
    expect(toBody({ ...sentiment, type: "text", default: null }).options).toEqual([]);
  });

  it("says what stops a draft before the server is asked", () => {
    expect(draftProblem(sentiment)).toBeNull();
    expect(draftProblem(newDraft())).toEqual({ field: "name", text: "Give the attribute a name." });
    expect(draftProblem({ ...sentiment, optionsText: " \n" })?.field).toBe("options");
    expect(draftProblem({ ...sentiment, labels: [] })).toEqual({
      field: "labels",
      text: "Tick the classes it applies to, or choose “every class”.",
    });
    expect(draftProblem({ ...sentiment, default: "maybe" })).toEqual({
      field: "default",
      text: "The default 'maybe' is not one of pos, neg.",
    });
  });

  it("drops a default the new type does not take", () => {
    expect(withType({ ...sentiment, default: "neg" }, "text").default).toBe("neg");
    expect(withType({ ...sentiment, default: "neg" }, "bool").default).toBeNull();
    expect(withType({ ...newDraft(), default: true }, "number")).toMatchObject({ type: "number", default: null });
  });

  it("reads the default from its control", () => {
    expect(parseDefault("bool", "false")).toBe(false);
    expect(parseDefault("bool", "")).toBeNull();
    expect(parseDefault("number", "2.5")).toBe(2.5);
    expect(parseDefault("number", "abc")).toBeNull();
    expect(parseDefault("text", "0")).toBe("0");
    expect(parseDefault("select", "")).toBeNull();
  });

  it("names the classes an attribute still names after they were removed or renamed", () => {
    expect(missingClasses(sentiment, ["fact"])).toEqual(["opinion"]);
    expect(missingClasses(sentiment, ["opinion", "fact"])).toEqual([]);
    expect(missingClasses({ ...sentiment, scope: "all" }, [])).toEqual([]);
  });

  it("puts the server's refusal at the attribute and field it names, without the index", () => {
    const stale = new ApiError(422, {
      detail: "attributes[1]: 'opinion' is not a class of the project",
      field: "attributes[1].labels",
    });
    expect(attributeField(stale)).toEqual({ index: 1, field: "labels" });
    expect(problemAt(stale, 1)).toEqual({ field: "labels", text: "'opinion' is not a class of the project", server: true });
    expect(problemAt(stale, 0)).toBeNull();
    const twice = new ApiError(422, { detail: "attribute 'sentiment' is declared twice", field: "attributes[0].name" });
    expect(problemAt(twice, 0)?.text).toBe("attribute 'sentiment' is declared twice");
    const drafts = [{ name: "sentiment" }, { name: "negated" }, { name: " sentiment" }];
    expect([0, 1, 2].map((i) => problemAt(twice, i, drafts)?.field ?? null)).toEqual(["name", null, "name"]);
    expect(problemAt(stale, 0, [{ name: "a" }, { name: "a" }])).toBeNull(); // only a refused name is shared
    expect(attributeField(new ApiError(422, { field: "labels[0].name" }))).toBeNull();
    expect(attributeField(new ApiError(409, { field: "attributes[0].name" }))).toBeNull();
  });

  it("moves a row up or down and stays put at the ends", () => {
    expect(moved(["a", "b", "c"], 2, -1)).toEqual(["a", "c", "b"]);
    expect(moved(["a", "b", "c"], 0, -1)).toEqual(["a", "b", "c"]);
  });
});
