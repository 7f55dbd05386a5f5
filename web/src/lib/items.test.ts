import { describe, expect, it } from "vitest";
import { ItemSource, type GridItem, type ItemFilter, type PageFetcher } from "./items.svelte";

function item(id: number): GridItem {
  return { id, name: `${id}.jpg`, status: "new", annotations: 0, hasMedia: true, text: null };
}

/** A fake API of ``n`` items with ids 1..n, paged by ``after``; records every call. */
function fakePages(n: number) {
  const calls: { filter: ItemFilter; after: number | null; limit: number }[] = [];
  const fetch: PageFetcher = async (filter, after, limit) => {
    calls.push({ filter, after, limit });
    const start = after ?? 0;
    const ids = Array.from({ length: Math.max(0, Math.min(limit, n - start)) }, (_, i) => start + i + 1);
    const last = ids[ids.length - 1];
    return { items: ids.map(item), nextAfter: last !== undefined && last < n ? last : null };
  };
  return { fetch, calls };
}

describe("ItemSource", () => {
  it("loads keyset pages until the last one", async () => {
    const { fetch, calls } = fakePages(250);
    const src = new ItemSource(fetch, 50, 100);
    await src.loadMore();
    await src.loadMore();
    expect(src.loaded).toBe(150);
    expect(src.done).toBe(false);
    await src.loadMore();
    expect(src.loaded).toBe(250);
    expect(src.done).toBe(true);
    await src.loadMore();
    expect(calls.map((c) => [c.after, c.limit])).toEqual([[null, 50], [50, 100], [150, 100]]);
  });

  it("drops an answer for a filter that was replaced while it was on its way", async () => {
    let release: () => void = () => {};
    const slow: PageFetcher = (_f, _a, _l, signal) =>
      new Promise((resolve) => {
        release = () => resolve({ items: [item(1)], nextAfter: null });
        signal.addEventListener("abort", () => release());
      });
    const src = new ItemSource(slow, 10);
    const pending = src.loadMore();
    src.reset({ label: "dog" });
    release();
    await pending;
    expect(src.loaded).toBe(0);
    expect(src.filter).toEqual({ label: "dog" });
    expect(src.loading).toBe(false);
  });

  it("keeps an error until retried", async () => {
    let fail = true;
    const flaky: PageFetcher = async () => {
      if (fail) throw new Error("offline");
      return { items: [item(1)], nextAfter: null };
    };
    const src = new ItemSource(flaky, 10);
    await src.loadMore();
    expect(src.error).toBeInstanceOf(Error);
    await src.loadMore();
    expect(src.loaded).toBe(0);
    fail = false;
    await src.retry();
    expect(src.loaded).toBe(1);
    expect(src.error).toBeNull();
  });
});
