// The grid's sort: carried by the address like a filter, kept by the grid's loaded items, and followed by the
// item page's previous / next.
import { describe, expect, it } from "vitest";
import { scrollForSpot } from "./gridMemory";
import {
  filterFromQuery,
  filterToQuery,
  gridItemPath,
  indexOfId,
  isFiltered,
  ItemSource,
  pageCursor,
  refreshedEnd,
  withoutOrder,
  type GridItem,
  type ItemFilter,
  type PageFetcher,
} from "./items.svelte";
import { dropFilteredTrails, itemList, listQuery, SortedTrail, type ListSources, type NamedCursor } from "./itemList";
import { positionText } from "./review/queue";

function item(id: number, name = `${id}.jpg`): GridItem {
  return { id, name, status: "new", annotations: 0, hasMedia: true, text: null };
}

/** Items whose id order is not their name order: id 1 "m", 2 "c", 3 "x", 4 "a", 5 "q", 6 "h". */
const NAMED = [item(1, "m"), item(2, "c"), item(3, "x"), item(4, "a"), item(5, "q"), item(6, "h")];
const Z_TO_A = [...NAMED].sort((a, b) => (a.name < b.name ? 1 : -1)); // x q m h c a: ids 3 5 1 6 2 4

/** A fake API listing `list` (already in the order asked for), paged after an item by its id. */
function sortedApi(list: GridItem[]) {
  const calls: { filter: ItemFilter; after: number | null }[] = [];
  const fetch: PageFetcher = async (filter, after, limit) => {
    calls.push({ filter, after });
    const start = after === null ? 0 : list.findIndex((it) => it.id === after) + 1;
    const page = list.slice(start, start + limit);
    const more = start + limit < list.length;
    return { items: page.map((it) => ({ ...it })), nextAfter: more ? (page[page.length - 1]?.id ?? null) : null };
  };
  return { fetch, calls };
}

describe("the sort in the address", () => {
  it("reads and writes the order, the id order being no order at all", () => {
    expect(filterFromQuery(new URLSearchParams("order=-name&status=new"))).toEqual({ status: "new", order: "-name" });
    expect(filterToQuery({ order: "name", label: "dog" })).toBe("label=dog&order=name");
    expect(filterFromQuery(new URLSearchParams("order=id"))).toEqual({});
    expect(filterFromQuery(new URLSearchParams("order=size"))).toEqual({});
    expect(gridItemPath(3, 7, { order: "-id" })).toBe("/projects/3/items/7?order=-id");
  });

  it("narrows nothing: a sorted grid is not a filtered one", () => {
    expect(isFiltered({ order: "name" })).toBe(false);
    expect(isFiltered({ order: "name", tag: "night" })).toBe(true);
    expect(withoutOrder({ order: "name", tag: "night" })).toEqual({ tag: "night" });
  });
});

describe("loaded items in another order than ids", () => {
  it("finds an item by its id in any order", () => {
    expect(indexOfId(Z_TO_A, 6)).toBe(3);
    expect(indexOfId(Z_TO_A, 6, "-name")).toBe(3);
    expect(indexOfId(Z_TO_A, 99, "-name")).toBe(Z_TO_A.length);
    const newest = [...NAMED].reverse(); // ids 6..1
    expect(indexOfId(newest, 4, "-id")).toBe(2);
    expect(indexOfId(newest.filter((it) => it.id !== 4), 4, "-id")).toBe(2); // where it was: at id 3
  });

  it("puts a spot whose item left a name-sorted list at the top, not somewhere in the middle", () => {
    const g = { columns: 2, rowHeight: 100 };
    expect(scrollForSpot(Z_TO_A, { anchorId: 2, offset: 0.5 }, g, "-name")).toBe(250);
    expect(scrollForSpot(Z_TO_A, { anchorId: 99, offset: 0 }, g, "-name")).toBe(0);
  });

  it("loads through an item in a name order by finding it, not by comparing ids", async () => {
    const { fetch, calls } = sortedApi(Z_TO_A);
    const src = new ItemSource(fetch, 2, 2);
    src.reset({ order: "-name" });
    await src.loadMore(); // x q: ids 3 5
    await src.loadThrough(2); // c is the fifth
    expect(src.items.map((it) => it.name)).toEqual(["x", "q", "m", "h", "c", "a"].slice(0, 6));
    expect(calls.map((c) => c.after)).toEqual([null, 5, 6]);
    expect(calls.every((c) => c.filter.order === "-name")).toBe(true);
  });

  it("re-reads a window of a name-sorted grid in place", async () => {
    const list = [...Z_TO_A];
    const { fetch } = sortedApi(list);
    const src = new ItemSource(fetch, 6, 6);
    src.reset({ order: "-name" });
    await src.loadMore();
    // Away on an item page: "m" (id 1) was labelled and "h" (id 6) left the list.
    list[2] = { ...item(1, "m"), status: "labeled" };
    list.splice(3, 1);
    await src.refresh(1, 2); // after x: q m, up to m
    expect(src.items.map((it) => it.name)).toEqual(["x", "q", "m", "h", "c", "a"]);
    expect(src.items[2]?.status).toBe("labeled");
    await src.refresh(1, 3); // after x: q m c: h is gone
    expect(src.items.map((it) => it.name)).toEqual(["x", "q", "m", "c", "a"]);
  });

  it("ends a refreshed page at the furthest loaded item it holds again", () => {
    const loaded = Z_TO_A; // 3 5 1 6 2 4
    expect(refreshedEnd(loaded, 1, [item(5), item(1)], false, "-name")).toBe(3);
    expect(refreshedEnd(loaded, 1, [item(5), item(2)], false, "-name")).toBe(5); // 1 and 6 are gone
    expect(refreshedEnd(loaded, 1, [item(7)], false, "name")).toBe(1); // a new item only: nothing replaced
    expect(refreshedEnd(loaded, 1, [item(5)], true, "name")).toBe(6);
    const newest = [item(9), item(7), item(4), item(2)];
    expect(refreshedEnd(newest, 1, [item(7), item(5)], false, "-id")).toBe(2);
  });
});

describe("the item page in a sorted grid's order", () => {
  /** A fake API whose `-name` list is `sorted` (ids) and whose id order is the ids ascending. */
  function fakeSources(sorted: number[]): { sources: ListSources; asked: ItemFilter[] } {
    const asked: ItemFilter[] = [];
    const ids = (f: ItemFilter): number[] => (f.order === "-name" ? sorted : [...sorted].sort((a, b) => a - b));
    const sources: ListSources = {
      queueIds: async () => {
        throw new Error("a sorted list is not the id-ordered queue");
      },
      queueTotal: async () => sorted.length,
      filteredIds: async (filter, cursor, limit) => {
        asked.push(filter);
        const all = ids(filter);
        const page =
          "before" in cursor
            ? all.slice(0, all.indexOf(cursor.before)).slice(-limit)
            : all.slice(cursor.after === null ? 0 : all.indexOf(cursor.after) + 1).slice(0, limit);
        return page.map((id) => ({ id, name: `n${id}` }));
      },
      filteredTotal: async () => sorted.length,
    };
    return { sources, asked };
  }

  it("walks next and previous in the grid's order, and keeps the order in its links", async () => {
    dropFilteredTrails(201);
    const { sources, asked } = fakeSources(Z_TO_A.map((it) => it.id));
    const list = itemList(201, new URLSearchParams("order=-name"), sources);
    expect(list.filtered).toBe(false);
    expect(list.gridPath).toBe("/projects/201?order=-name");
    const at1 = await list.neighbours(1, true); // x q [m] h c a
    expect(at1).toEqual({ prev: 5, next: 6, index: 2, total: 6 });
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((f) => f.order === "-name")).toBe(true);
    expect(list.path(6)).toBe("/projects/201/items/6?order=-name");
  });

  it("knows the position deep in the list after steps both ways, whatever the ids", async () => {
    dropFilteredTrails(202);
    // 120 items whose name order jumps about in ids: 1, 61, 2, 62, ...
    const sorted = Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? i / 2 + 1 : 60 + (i + 1) / 2));
    const { sources } = fakeSources(sorted);
    let at = sorted[40] as number;
    let nav = await itemList(202, new URLSearchParams("order=-name"), sources).neighbours(at, true);
    expect(nav.index).toBe(40);
    for (let i = 0; i < 30; i++) {
      // Each step opens a fresh item page, on the same (kept) trail.
      const list = itemList(202, new URLSearchParams("order=-name"), sources);
      const to = (i < 20 ? nav.next : nav.prev) as number;
      list.trail.stepped(at, to);
      at = to;
      nav = await itemList(202, new URLSearchParams("order=-name"), sources).neighbours(at, true);
      expect(nav.index).toBe(sorted.indexOf(at));
    }
    expect(positionText(nav)).toBe("51 / 120");
  });

  it("moves up the items after one that left the list, in the list's order", async () => {
    dropFilteredTrails(203);
    const { sources } = fakeSources(Z_TO_A.map((it) => it.id));
    const list = itemList(203, new URLSearchParams("order=-name"), sources);
    await list.neighbours(6, true); // x q m [h] c a: positions of 3 5 1 6 and of 2 known
    list.trail.forget(1); // m left
    expect(list.trail.indexOf(6)).toBe(2);
    expect(list.trail.indexOf(2)).toBe(3);
    expect(list.trail.indexOf(5)).toBe(1); // a higher id, before it in the list: stays
  });
});

/**
 * A fake API over `list` (in `-name` order) that places a page as the real one does: at the anchor's name when one
 * is given, else at the name of the item the id is, which fails (a 422) for an item that is gone.
 */
function namePlacingApi(list: GridItem[]) {
  const nameAt = (id: number, name: string | undefined): string => {
    if (name !== undefined) return name;
    const found = list.find((it) => it.id === id);
    if (!found) throw new Error(`422: item ${id} is not in the project`);
    return found.name;
  };
  const firstWhere = (ok: (it: GridItem) => boolean): number => {
    const at = list.findIndex(ok);
    return at < 0 ? list.length : at;
  };
  /** Z to A: the index of the first item after the anchor. */
  const after = (id: number | null, name?: string): number => (id === null ? 0 : firstWhere((it) => it.name < nameAt(id, name)));
  /** The up to `limit` items just before the anchor. */
  const before = (id: number, limit: number, name?: string): GridItem[] => {
    const end = firstWhere((it) => it.name <= nameAt(id, name));
    return list.slice(Math.max(0, end - limit), end);
  };
  const fetchItems = async (cursor: NamedCursor, limit: number): Promise<GridItem[]> => {
    if ("before" in cursor) return before(cursor.before, limit, cursor.name);
    const start = after(cursor.after, cursor.name);
    return list.slice(start, start + limit);
  };
  return { list, after, fetchItems };
}

describe("a name-sorted list whose anchor item was deleted meanwhile", () => {
  it("puts the anchor's name in the API query in the name orders only", () => {
    expect(pageCursor({ order: "name" }, { after: 4 }, "a")).toEqual({ after: 4, after_name: "a" });
    expect(pageCursor({ order: "-name" }, { before: 4 }, "a")).toEqual({ before: 4, before_name: "a" });
    expect(pageCursor({ order: "-id" }, { after: 4 }, "a")).toEqual({ after: 4 });
    expect(pageCursor({}, { before: 4 }, "a")).toEqual({ before: 4 });
    expect(pageCursor({ order: "name" }, { after: 4 })).toEqual({ after: 4 });
    expect(pageCursor({ order: "name" }, { after: null }, "a")).toEqual({});
    const cursor: NamedCursor = { before: 3, name: "x" };
    expect(listQuery({ order: "-name", tag: "t" }, cursor, 50)).toEqual({ order: "-name", tag: "t", before: 3, before_name: "x", limit: 50 });
  });

  it("loads the grid's next page after its last item by that item's name: none missed, none twice", async () => {
    const api = namePlacingApi([...Z_TO_A]); // x q m h c a
    const names: (string | undefined)[] = [];
    const fetch: PageFetcher = async (_filter, after, limit, _signal, afterName) => {
      names.push(afterName);
      const start = api.after(after, afterName);
      const page = api.list.slice(start, start + limit);
      return { items: page.map((it) => ({ ...it })), nextAfter: start + limit < api.list.length ? (page[page.length - 1]?.id ?? null) : null };
    };
    const src = new ItemSource(fetch, 2, 2);
    src.reset({ order: "-name" });
    await src.loadMore(); // x q
    api.list.splice(1, 1); // another user deletes q (id 5), the last item loaded
    await src.loadMore();
    await src.loadMore();
    expect(src.error).toBeNull();
    expect(src.items.map((it) => it.name)).toEqual(["x", "q", "m", "h", "c", "a"]);
    expect(names).toEqual([undefined, "q", "h"]);
    api.list.splice(1, 1); // m (id 1) goes too: the window after it is re-read by its name
    await src.refresh(3, 2); // after m: h c
    expect(src.error).toBeNull();
    expect(names[names.length - 1]).toBe("m");
    expect(src.items.map((it) => it.name)).toEqual(["x", "q", "m", "h", "c", "a"]);
  });

  it("sends no name in an id order", async () => {
    const { fetch } = sortedApi(NAMED);
    const names: (string | undefined)[] = [];
    const src = new ItemSource(async (f, after, limit, signal, afterName) => {
      names.push(afterName);
      return fetch(f, after, limit, signal);
    }, 2, 2);
    src.reset({ order: "-id" });
    await src.loadMore();
    await src.loadMore();
    expect(names).toEqual([undefined, undefined]);
  });

  it("finds the item page's neighbours around a deleted item by its name", async () => {
    const api = namePlacingApi([...Z_TO_A]); // x q m h c a: ids 3 5 1 6 2 4
    const asked: NamedCursor[] = [];
    const trail = new SortedTrail(async (cursor, limit) => {
      asked.push(cursor);
      return api.fetchItems(cursor, limit);
    });
    expect(await trail.neighbours(1, true)).toEqual({ prev: 5, next: 6, index: 2, total: null });
    expect(trail.nameOf(6)).toBe("h");
    api.list.splice(3, 1); // another user deletes h (id 6) as the user steps to it
    const nav = await trail.neighbours(6, false);
    expect(nav).toEqual({ prev: 1, next: 2, index: null, total: null });
    expect(asked.slice(-2)).toEqual([{ before: 6, name: "h" }, { after: 6, name: "h" }]);
    // A trail that never saw h's name asks by its id alone, and the API has no place for it.
    await expect(new SortedTrail(api.fetchItems).next(6)).rejects.toThrow("422");
  });
});
