import { describe, expect, it } from "vitest";
import type { AttributeSpec } from "./attributes";
import type { ItemFilter } from "./itemFilter";
import { itemList, type ListSources } from "./itemList";
import { ItemNav, walkedList, type Direction } from "./itemNav.svelte";

function setup() {
  const went: number[] = [];
  const none: Direction[] = [];
  const nav = new ItemNav(
    (id) => went.push(id),
    (dir) => none.push(dir),
  );
  return { nav, went, none };
}
const found = { prev: 4, next: 6, index: 5, total: 10 };

describe("ItemNav", () => {
  it("carries out a press made while the neighbours load, once they arrive", () => {
    const { nav, went } = setup();
    expect(nav.may("next")).toBe(true);
    nav.move("next");
    expect(went).toEqual([]);
    nav.settle(found);
    expect(went).toEqual([6]);
    nav.move("prev");
    expect(went).toEqual([6, 4]);
  });

  it("keeps only the latest press", () => {
    const { nav, went } = setup();
    nav.move("next");
    nav.move("prev");
    nav.settle(found);
    expect(went).toEqual([4]);
  });

  it("says when there is nothing that way, and offers no move there", () => {
    const { nav, went, none } = setup();
    nav.move("next");
    nav.settle({ prev: 9, next: null, index: 10, total: 10 });
    expect(went).toEqual([]);
    expect(none).toEqual(["next"]);
    expect(nav.may("next")).toBe(false);
    expect(nav.may("prev")).toBe(true);
  });

  it("drops a waiting press when the lookup failed or the page is gone", () => {
    const failed = setup();
    failed.nav.move("next");
    failed.nav.settle(null);
    expect(failed.went).toEqual([]);
    expect(failed.none).toEqual([]);

    const left = setup();
    left.nav.move("next");
    left.nav.close();
    expect(left.nav.gone).toBe(true);
    left.nav.settle(found);
    left.nav.move("next");
    expect(left.went).toEqual([]);
  });
});

describe("walkedList: previous / next under an attribute filter", () => {
  const SPECS: AttributeSpec[] = [
    { name: "occluded", type: "bool", options: [], labels: [], default: null },
    { name: "colour", type: "select", options: ["red", "blue"], labels: [], default: null },
  ];
  function sources() {
    const asked: ItemFilter[] = [];
    const ids = [1, 2, 3];
    const s: ListSources = {
      queueIds: async () => ids,
      queueTotal: async () => ids.length,
      filteredIds: async (filter, cursor, limit) => {
        asked.push(filter);
        const page = "before" in cursor ? ids.filter((i) => i < cursor.before).slice(-limit) : ids.filter((i) => i > (cursor.after ?? 0)).slice(0, limit);
        return page.map((id) => ({ id, name: `${id}.jpg` }));
      },
      filteredTotal: async (filter) => (asked.push(filter), ids.length),
    };
    return { s, asked };
  }

  it("asks the server without an attribute filter the grid refused, keeping the rest of the filter", async () => {
    for (const q of ["status=new&attribute=size", "status=new&attribute=colour&attribute_value=green", "status=new&attribute=occluded&attribute_value=maybe"]) {
      const { s, asked } = sources();
      const list = itemList(201, new URLSearchParams(q), s);
      const walked = walkedList(list, 201, SPECS, s);
      expect(walked).not.toBe(list);
      expect(await walked.neighbours(2, true)).toMatchObject({ prev: 1, next: 3 });
      expect(asked.length).toBeGreaterThan(0);
      expect(asked.every((f) => f.attribute === undefined && f.attribute_value === undefined && f.status === "new")).toBe(true);
      // The address keeps the filter (as the grid's does): its note shows on the way back.
      expect(list.path(3)).toContain("attribute=");
    }
  });

  it("keeps a filter the grid uses", () => {
    const { s } = sources();
    const list = itemList(202, new URLSearchParams("attribute=colour&attribute_value=red"), s);
    expect(walkedList(list, 202, SPECS, s)).toBe(list);
  });
});
