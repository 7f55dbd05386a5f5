import { describe, expect, it } from "vitest";
import { GridMemory, scrollForSpot, scrollToReveal, spotAt, type PlaceStore } from "./gridMemory";
import type { GridItem, SourceState } from "./items.svelte";

function item(id: number): GridItem {
  return { id, name: `${id}.jpg`, status: "new", annotations: 0, hasMedia: true, text: null };
}
/** Items with ids 1..n. */
const items = (n: number, step = 1): GridItem[] => Array.from({ length: n }, (_, i) => item(1 + i * step));
const state = (n: number): SourceState => ({ items: items(n), after: n, done: false });
const g = { columns: 7, rowHeight: 200 };

describe("GridMemory", () => {
  it("keeps a grid per project and filter, for a while", () => {
    const m = new GridMemory(1000);
    m.save(1, { status: "new" }, state(2000), { anchorId: 991, offset: 0.25 }, 0);
    expect(m.recall(1, { status: "new" }, 500)?.spot).toEqual({ anchorId: 991, offset: 0.25 });
    expect(m.recall(1, {}, 500)).toBeNull();
    expect(m.recall(2, { status: "new" }, 500)).toBeNull();
    expect(m.recall(1, { status: "new" }, 1600)).toBeNull();
    // Forgotten once too old, even if asked with an earlier clock afterwards.
    expect(m.recall(1, { status: "new" }, 500)).toBeNull();
  });

  it("remembers the item the user is on, and keeps it when the grid is left again", () => {
    const m = new GridMemory(1000);
    m.opened(1, {}, 5, 0); // nothing kept yet: nothing to mark
    expect(m.recall(1, {}, 0)).toBeNull();
    m.save(1, {}, state(50), null, 0);
    m.opened(1, {}, 12, 900);
    m.opened(1, {}, 13, 1800); // walking on keeps it alive
    expect(m.recall(1, {}, 2500)?.opened).toBe(13);
    m.save(1, {}, state(60), { anchorId: 8, offset: 0 }, 2600);
    expect(m.recall(1, {}, 2600)).toMatchObject({ opened: 13, spot: { anchorId: 8 } });
  });

  it("keeps a few grids, the most recent, and none that is empty", () => {
    const m = new GridMemory(1000, 2);
    m.save(1, { tag: "a" }, state(5), null, 0);
    m.save(1, { tag: "b" }, state(5), null, 1);
    m.save(1, { tag: "c" }, state(5), null, 2);
    expect(m.recall(1, { tag: "a" }, 3)).toBeNull();
    expect(m.recall(1, { tag: "c" }, 3)).not.toBeNull();
    m.save(1, { tag: "c" }, { items: [], after: null, done: true }, null, 4);
    expect(m.recall(1, { tag: "c" }, 4)).toBeNull();
    m.drop(1);
    expect(m.recall(1, { tag: "b" }, 4)).toBeNull();
  });
});

/** sessionStorage as the browser has it, in a Map; ``deny`` makes every call throw (storage disabled). */
class MapStore implements PlaceStore {
  readonly map = new Map<string, string>();
  deny = false;
  get length(): number {
    return this.map.size;
  }
  key(i: number): string | null {
    return [...this.map.keys()][i] ?? null;
  }
  getItem(k: string): string | null {
    if (this.deny) throw new Error("SecurityError");
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    if (this.deny) throw new Error("QuotaExceededError");
    this.map.set(k, v);
  }
  removeItem(k: string): void {
    this.map.delete(k);
  }
}

describe("GridMemory across a reload", () => {
  it("keeps the place and the item last opened, not the items, and a new memory (a reload) finds them", () => {
    const store = new MapStore();
    new GridMemory(1000, 3, store).save(1, { status: "new" }, state(2000), { anchorId: 991, offset: 0.25 }, 0);
    expect([...store.map.values()].join()).not.toContain("991.jpg");
    const reloaded = new GridMemory(1000, 3, store);
    expect(reloaded.recall(1, { status: "new" }, 10)).toBeNull(); // the items are gone with the page
    expect(reloaded.recallPlace(1, { status: "new" }, 10)).toEqual({
      spot: { anchorId: 991, offset: 0.25 },
      opened: null,
      at: 0,
    });
    expect(reloaded.recallPlace(1, {}, 10)).toBeNull();
    expect(reloaded.recallPlace(2, { status: "new" }, 10)).toBeNull();
  });

  it("follows the item the user walks to, also after a reload on the item page", () => {
    const store = new MapStore();
    new GridMemory(1000, 3, store).save(1, {}, state(50), { anchorId: 8, offset: 0 }, 0);
    const onItemPage = new GridMemory(1000, 3, store); // reloaded while on an item
    onItemPage.opened(1, {}, 12, 100);
    onItemPage.opened(1, {}, 13, 200);
    expect(new GridMemory(1000, 3, store).recallPlace(1, {}, 300)).toEqual({
      spot: { anchorId: 8, offset: 0 },
      opened: 13,
      at: 200,
    });
    // Left again without having opened anything since: the item stays remembered.
    const back = new GridMemory(1000, 3, store);
    back.save(1, {}, state(50), { anchorId: 15, offset: 0 }, 300);
    expect(back.recallPlace(1, {}, 400)?.opened).toBe(13);
  });

  it("forgets a place too old, unreadable or dropped, and works without storage", () => {
    const store = new MapStore();
    const m = new GridMemory(1000, 3, store);
    m.save(1, {}, state(50), { anchorId: 8, offset: 0 }, 0);
    expect(m.recallPlace(1, {}, 1500)).toBeNull();
    expect(store.map.size).toBe(0);
    store.map.set("labelhub.grid:1?", "{not json");
    expect(m.recallPlace(1, {}, 0)).toBeNull();
    store.map.set("labelhub.grid:1?", JSON.stringify({ spot: { anchorId: "8" }, opened: null, at: 0 }));
    expect(m.recallPlace(1, {}, 0)).toBeNull();
    m.save(1, {}, state(50), { anchorId: 8, offset: 0 }, 0);
    m.save(2, {}, state(50), { anchorId: 9, offset: 0 }, 0);
    m.drop(1);
    expect(m.recallPlace(1, {}, 0)).toBeNull();
    expect(m.recallPlace(2, {}, 0)?.spot?.anchorId).toBe(9);
    store.deny = true;
    expect(() => m.save(3, {}, state(5), null, 0)).not.toThrow();
    expect(m.recall(3, {}, 0)?.state.items).toHaveLength(5); // the in-memory part still works
    expect(m.recallPlace(3, {}, 0)).toBeNull();
    expect(new GridMemory(1000, 3, null).recallPlace(1, {}, 0)).toBeNull();
  });
});

describe("grid spots", () => {
  it("finds the first item of the top row and goes back to it", () => {
    const list = items(2000);
    const spot = spotAt(list, 141 * 200 + 50, g);
    expect(spot).toEqual({ anchorId: 141 * 7 + 1, offset: 0.25 });
    expect(scrollForSpot(list, spot!, g)).toBe(141 * 200 + 50);
    // Another width: the anchor's row comes to the top.
    expect(scrollForSpot(list, spot!, { columns: 5, rowHeight: 180 })).toBe(Math.round((Math.floor(987 / 5) + 0.25) * 180));
    expect(spotAt([], 500, g)).toBeNull();
  });

  it("goes to the next item when the anchor left the list", () => {
    const list = items(100, 2); // ids 1, 3, 5, ...
    expect(scrollForSpot(list, { anchorId: 30, offset: 0 }, g)).toBe(2 * 200); // id 31 is the 16th: row 2
    expect(scrollForSpot(list, { anchorId: 10_000, offset: 0 }, g)).toBe(14 * 200); // past the end: the last row
  });

  it("scrolls only as far as it takes to show an item's row", () => {
    expect(scrollToReveal(70, 2000, 900, g)).toBe(2000); // row 10 (2000..2200) is in view
    expect(scrollToReveal(7, 2000, 900, g)).toBe(200); // above: its row comes to the top
    expect(scrollToReveal(7 * 20, 2000, 900, g, 12)).toBe(4212 + 12 - 900); // below: to the bottom
    // A cell starts `gap` below its row: a view scrolled into the gap above it still shows it whole.
    expect(scrollToReveal(70, 2011, 900, g, 12)).toBe(2011);
    expect(scrollToReveal(70, 2013, 900, g, 12)).toBe(2000);
  });
});
