import { describe, expect, it } from "vitest";
import { inLabelQueue, labelPath, LabelTrail } from "./queue";

describe("the labelling queue on the item page", () => {
  it("names the mode in the item URL", () => {
    expect(labelPath(3, 17)).toBe("/projects/3/items/17?queue=label");
    expect(inLabelQueue(new URLSearchParams("queue=label"))).toBe(true);
    expect(inLabelQueue(new URLSearchParams("queue=review"))).toBe(false);
    expect(inLabelQueue(new URLSearchParams(""))).toBe(false);
  });

  it("goes back to the item Next came from, per project", () => {
    const t = new LabelTrail();
    expect(t.previous(1, 5)).toBeNull();
    t.stepped(1, 9, 5);
    t.stepped(1, 5, 2);
    t.stepped(2, 7, 5);
    t.stepped(1, 4, 4);
    expect(t.previous(1, 5)).toBe(9);
    expect(t.previous(1, 2)).toBe(5);
    expect(t.previous(2, 5)).toBe(7);
    expect(t.previous(1, 4)).toBeNull();
  });
});
