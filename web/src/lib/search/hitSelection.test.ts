import { describe, expect, it } from "vitest";
import { forFilter, selectedIds, toggle, emptySelection } from "../gridSelection";
import { actionTarget, selectionKey } from "./hitSelection";
import { EMPTY_SEARCH, PAGE } from "./state";

describe("the search results' selection", () => {
  const dogs = { ...EMPTY_SEARCH, q: "dog" };

  it("is kept by Show more and dropped by another query, filter, space or item", () => {
    const s = toggle(emptySelection(selectionKey(dogs)), 7);
    expect(selectedIds(forFilter(s, selectionKey({ ...dogs, k: PAGE * 2 })))).toEqual([7]);
    for (const other of [{ q: "cat" }, { label: "animal" }, { status: "new" as const }, { space: "dual" }, { similar: 3 }]) {
      expect(selectedIds(forFilter(s, selectionKey({ ...dogs, ...other })))).toEqual([]);
    }
  });

  it("names what an action acts on: the selection, else every result shown", () => {
    expect(`Assign ${actionTarget(3, 40)}…`).toBe("Assign the 3 selected…");
    expect(`Assign ${actionTarget(0, 40)}…`).toBe("Assign the 40 results…");
    expect(actionTarget(0, 1)).toBe("the 1 result");
    expect(actionTarget(1200)).toBe("the 1,200 selected");
  });
});
