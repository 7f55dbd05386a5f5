import { describe, expect, it } from "vitest";
import { ItemNav, type Direction } from "./itemNav.svelte";

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
