import { describe, expect, it } from "vitest";
import type { ItemFilter } from "./items.svelte";
import { itemList, type ListSources } from "./itemList";
import { LOOK_BACK, positionText, type Cursor, type QueueQuery } from "./review/queue";

/** A fake API over items 1..n (every third one labelled), in id or -id order; `gone` ids are deleted. */
function fakeApi(n: number) {
  const gone = new Set<number>();
  const asked: { query: ItemFilter | QueueQuery; id: number }[] = [];
  const list = (q: ItemFilter | QueueQuery): number[] => {
    const ids = Array.from({ length: n }, (_, i) => i + 1).filter(
      (id) => !gone.has(id) && (q.status === undefined || (q.status === "labeled") === (id % 3 === 0)),
    );
    return "order" in q && q.order === "-id" ? ids.reverse() : ids;
  };
  // A cursor's place in the order: the first index past it (the anchor need not exist, as in the API's id orders).
  const page = (ids: number[], down: boolean, cursor: Cursor, limit: number): number[] => {
    const past = (id: number, at: number) => (down ? id < at : id > at);
    if ("before" in cursor) return ids.filter((id) => past(cursor.before, id)).slice(-limit);
    const after = cursor.after;
    return ids.filter((id) => after === null || past(id, after)).slice(0, limit);
  };
  const sources: ListSources = {
    queueIds: async (query, cursor, limit) => page(list(query), false, cursor, limit),
    queueTotal: async (kind) => list(kind === "review" ? { status: "labeled" } : {}).length,
    filteredIds: async (filter, cursor, limit) =>
      page(list(filter), filter.order === "-id", cursor, limit).map((id) => ({ id, name: `${id}.png` })),
    filteredTotal: async (filter) => list(filter).length,
    position: async (query, id) => {
      asked.push({ query, id });
      const ids = list(query);
      return ids.indexOf(id);
    },
  };
  return { sources, gone, asked };
}

describe("the position of an item deep in its list", () => {
  it("is asked of the server once, in the list's order, and carried by next", async () => {
    const api = fakeApi(2520);
    const query = new URLSearchParams("order=-id");
    const list = itemList(901, query, api.sources);
    const nav = await list.neighbours(800, true);
    expect(nav.index).toBe(2520 - 800);
    expect(positionText(nav)).toBe(`1,721 / 2,520`);
    expect(api.asked).toEqual([{ query: { order: "-id" }, id: 800 }]);
    list.trail.stepped(800, nav.next as number, true);
    const next = await itemList(901, query, api.sources).neighbours(799, true);
    expect(positionText(next)).toBe("1,722 / 2,520");
    expect(api.asked).toHaveLength(1);
  });

  it("is not asked near the start of the list (the look back sees it), nor for an item not in the list", async () => {
    const api = fakeApi(300);
    const list = itemList(902, new URLSearchParams(""), api.sources);
    expect((await list.neighbours(LOOK_BACK - 10, true)).index).toBe(LOOK_BACK - 11);
    expect((await list.neighbours(250, false)).index).toBe(null);
    expect(api.asked).toEqual([]);
    expect(positionText(await list.neighbours(250, true))).toBe("250 / 300");
    expect(api.asked).toEqual([{ query: {}, id: 250 }]);
  });

  it("is asked in the review queue too, of the queue's items", async () => {
    const api = fakeApi(600);
    const list = itemList(903, new URLSearchParams("queue=review"), api.sources);
    const nav = await list.neighbours(450, true);
    expect(positionText(nav)).toBe("150 / 200");
    expect(api.asked).toEqual([{ query: { status: "labeled" }, id: 450 }]);
  });
});

describe("a step to an item deleted since", () => {
  it.each([["", 11, 12], ["order=-id", 9, 8]])("goes on to the next item that exists (%s)", async (q, gone, after) => {
    const api = fakeApi(40);
    const list = itemList(904, new URLSearchParams(q), api.sources);
    const nav = await list.neighbours(10, true);
    expect(nav.next).toBe(gone);
    list.trail.stepped(10, gone, true);
    api.gone.add(gone);
    expect(await list.trail.rerouted(gone)).toEqual({ from: 10, to: after });
    // Only once, and only for the item the last step went to.
    expect(await list.trail.rerouted(gone)).toBe(undefined);
    const landed = await itemList(904, new URLSearchParams(q), api.sources).neighbours(after, true);
    expect(landed.prev).toBe(10);
  });

  it("goes back to the previous item that exists, or says there is none that way", async () => {
    const api = fakeApi(40);
    const list = itemList(905, new URLSearchParams(""), api.sources);
    list.trail.stepped(10, 9, false);
    api.gone.add(9);
    expect(await list.trail.rerouted(9)).toEqual({ from: 10, to: 8 });
    list.trail.stepped(39, 40, true);
    api.gone.add(40);
    expect(await list.trail.rerouted(40)).toEqual({ from: 39, to: null });
  });
});
