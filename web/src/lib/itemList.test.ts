import { describe, expect, it } from "vitest";
import type { ItemStatus } from "./api/client";
import type { ItemFilter } from "./items.svelte";
import { dropFilteredTrails, itemList, type ListSources } from "./itemList";
import { positionText } from "./review/queue";

/** A fake API over items with ids 1..n and the given statuses; records what it was asked. */
function fakeApi(statuses: ItemStatus[]) {
  const items = statuses.map((status, i) => ({ id: i + 1, status }));
  const asked: { filter: ItemFilter; limit: number }[] = [];
  const counted: ItemFilter[] = [];
  const match = (f: ItemFilter) => items.filter((it) => f.status === undefined || it.status === f.status).map((it) => it.id);
  const sources: ListSources = {
    queueIds: async (query, cursor, limit) => {
      const ids = items.filter((it) => query.status === undefined || it.status === query.status).map((it) => it.id);
      return "before" in cursor ? ids.filter((i) => i < cursor.before).slice(-limit) : ids.filter((i) => i > (cursor.after ?? 0)).slice(0, limit);
    },
    queueTotal: async () => items.length,
    filteredIds: async (filter, cursor, limit) => {
      asked.push({ filter, limit });
      const ids = match(filter);
      const page = "before" in cursor ? ids.filter((i) => i < cursor.before).slice(-limit) : ids.filter((i) => i > (cursor.after ?? 0)).slice(0, limit);
      return page.map((id) => ({ id, name: `${id}.jpg` }));
    },
    filteredTotal: async (filter) => {
      counted.push(filter);
      return match(filter).length;
    },
  };
  return { items, sources, asked, counted, match };
}

// ids 2, 5, 6, 9 and 12 are new.
const STATUSES: ItemStatus[] = ["labeled", "new", "labeled", "reviewed", "new", "new", "labeled", "labeled", "new", "rejected", "labeled", "new"];

describe("itemList from a filtered grid", () => {
  it("walks the grid's filtered list: neighbours, position and size of the filtered items only", async () => {
    const api = fakeApi(STATUSES);
    const first = itemList(101, new URLSearchParams("status=new"), api.sources);
    expect(first.filtered).toBe(true);
    expect(first.noun).toBe("filtered list");
    const nav = await first.neighbours(2, true);
    expect(nav).toEqual({ prev: null, next: 5, index: 0, total: 5 });
    expect(positionText(nav)).toBe("1 / 5");
    expect(api.asked.every((a) => a.filter.status === "new")).toBe(true);

    // Next: the page of the next item is a fresh page with the same URL query; the trail (and the position) carry.
    expect(first.path(nav.next as number)).toBe("/projects/101/items/5?status=new");
    first.trail.stepped(2, 5);
    const second = itemList(101, new URLSearchParams("status=new"), api.sources);
    expect(second.trail).toBe(first.trail);
    const at5 = await second.neighbours(5, second.holds({ status: "new" }, null));
    expect(at5).toEqual({ prev: 2, next: 6, index: 1, total: 5 });
    expect(positionText(at5)).toBe("2 / 5");
  });

  it("leads back to the grid with the filter applied, and keeps it across a reload", () => {
    const api = fakeApi(STATUSES);
    const list = itemList(102, new URLSearchParams("label=dog&status=new&q=%20card%20"), api.sources);
    expect(list.gridPath).toBe("/projects/102?q=card&status=new&label=dog");
    expect(list.listPath).toBe(list.gridPath);
    expect(list.path(9)).toBe("/projects/102/items/9?q=card&status=new&label=dog");
    expect(list.filter).toEqual({ q: "card", status: "new", label: "dog" });
  });

  it("counts the list afresh on each item, as labelling changes what a status filter holds", async () => {
    const api = fakeApi(STATUSES);
    const list = itemList(103, new URLSearchParams("status=new"), api.sources);
    expect((await list.neighbours(2, true)).total).toBe(5);
    (api.items[1] as { status: ItemStatus }).status = "labeled"; // item 2 labelled: it leaves the list
    expect(list.holds({ status: "labeled" }, null)).toBe(false);
    const nav = await list.neighbours(5, true);
    expect(nav).toEqual({ prev: null, next: 6, index: 0, total: 4 });
    expect(api.counted).toHaveLength(2);
  });

  it("drops an item a review decision took out of a status filter", async () => {
    const api = fakeApi(STATUSES);
    const list = itemList(104, new URLSearchParams("status=new"), api.sources);
    await list.neighbours(2, true);
    list.trail.stepped(2, 5);
    expect(list.trail.indexOf(5)).toBe(1);
    list.decided(2, false, { status: "reviewed" }, null);
    expect(list.trail.indexOf(2)).toBeNull();
    expect(list.trail.indexOf(5)).toBe(0);
  });

  it("keeps one trail per filter, and forgets them on request", () => {
    const api = fakeApi(STATUSES);
    const a = itemList(105, new URLSearchParams("status=new&tag=x"), api.sources);
    expect(itemList(105, new URLSearchParams("tag=x&status=new"), api.sources).trail).toBe(a.trail);
    expect(itemList(105, new URLSearchParams("status=labeled"), api.sources).trail).not.toBe(a.trail);
    dropFilteredTrails(105);
    expect(itemList(105, new URLSearchParams("status=new&tag=x"), api.sources).trail).not.toBe(a.trail);
  });
});

describe("itemList without a grid filter", () => {
  it("walks the whole project as before: no filter in the links, the size from the project's counts", async () => {
    const api = fakeApi(STATUSES);
    const list = itemList(106, new URLSearchParams(""), api.sources);
    expect(list.filtered).toBe(false);
    expect(list.noun).toBeNull();
    expect(list.path(3)).toBe("/projects/106/items/3");
    expect(list.gridPath).toBe("/projects/106");
    expect(await list.neighbours(2, true)).toEqual({ prev: 1, next: 3, index: 1, total: 12 });
    expect(api.asked).toEqual([]);
  });

  it("lets a queue's own list win over filter parameters", () => {
    const api = fakeApi(STATUSES);
    const list = itemList(107, new URLSearchParams("queue=review&status=new"), api.sources);
    expect(list.queue).toBe("review");
    expect(list.filter).toEqual({});
    expect(list.noun).toBe("queue");
    expect(list.path(4)).toBe("/projects/107/items/4?queue=review");
    expect(list.listPath).toBe("/projects/107/review");
    expect(list.gridPath).toBe("/projects/107");
  });
});
