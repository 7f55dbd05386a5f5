import { describe, expect, it } from "vitest";
import { ItemSource, type GridItem, type PageFetcher } from "./items.svelte";

const item = (id: number): GridItem => ({ id, name: `${id}.jpg`, status: "new", annotations: 0, hasMedia: true, text: null });

/** An API over a list the test edits (ids ascending), paged by ``after``. */
function liveApi(list: GridItem[]): PageFetcher {
  return async (_filter, after, limit) => {
    const from = after === null ? 0 : list.findIndex((it) => it.id > after);
    const page = from < 0 ? [] : list.slice(from, from + limit);
    const last = page[page.length - 1];
    return { items: page, nextAfter: last && last !== list[list.length - 1] ? last.id : null };
  };
}

describe("ItemSource revision", () => {
  it("changes when a refresh replaces deleted items with as many after them (loaded stays the same)", async () => {
    const list = Array.from({ length: 2500 }, (_, i) => item(i + 1));
    const src = new ItemSource(liveApi(list), 200, 1000);
    await src.loadMore();
    expect(src.loaded).toBe(200);
    const before = src.revision;
    list.splice(0, 2); // two items deleted from the grid
    await src.refresh(0, src.loaded);
    expect(src.loaded).toBe(200);
    expect(src.revision).not.toBe(before);
    expect(src.items.slice(0, 2).map((it) => it.id)).toEqual([3, 4]);
    expect(src.items.at(-1)?.id).toBe(202);
  });

  it("changes on every page, reset and restore", async () => {
    const src = new ItemSource(liveApi(Array.from({ length: 30 }, (_, i) => item(i + 1))), 10, 10);
    const seen = [src.revision];
    await src.loadMore();
    seen.push(src.revision);
    const kept = src.state();
    src.reset({});
    seen.push(src.revision);
    src.restore(kept);
    seen.push(src.revision);
    expect(new Set(seen).size).toBe(seen.length);
  });
});
