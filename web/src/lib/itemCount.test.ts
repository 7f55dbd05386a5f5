import { describe, expect, it } from "vitest";
import type { ItemFilter } from "./items.svelte";
import { countedPages, countText, keptAt, known, Latest, LOADING, pageCount, recount, type Count, type CountedPage, type CountedPageFetcher, type TotalWanted } from "./itemCount";

describe("countText", () => {
  const text = (count: Count, loaded: number, done: boolean, filtered: boolean) => countText({ count, loaded, done, filtered });

  it("says nothing that looks like a number while the count is on its way", () => {
    expect(text(LOADING, 0, false, false)).toBe("… items");
    expect(text(LOADING, 200, false, false)).toBe("… items");
    expect(text(LOADING, 200, false, true)).toBe("… items match");
    expect(text(LOADING, 0, false, true)).not.toMatch(/\d/);
  });

  it("tells the counted size before the list is loaded", () => {
    expect(text({ state: "known", n: 100128 }, 200, false, false)).toBe("100,128 items");
    expect(text({ state: "known", n: 66982 }, 200, false, true)).toBe("66,982 items match");
    expect(text({ state: "known", n: 1 }, 0, false, true)).toBe("1 item matches");
    expect(text({ state: "known", n: 0 }, 0, false, true)).toBe("0 items match");
  });

  it("counts the rows once all of them are loaded, counted or not", () => {
    expect(text(LOADING, 3, true, true)).toBe("3 items match");
    expect(text({ state: "failed" }, 1, true, true)).toBe("1 item matches");
    expect(text({ state: "known", n: 5 }, 4, true, false)).toBe("4 items");
    expect(text(LOADING, 0, true, true)).toBe("0 items match");
  });

  it("falls back to what is certain when the count failed", () => {
    expect(text({ state: "failed" }, 200, false, true)).toBe("200+ items match");
    expect(text({ state: "failed" }, 1200, false, false)).toBe("1,200+ items");
    expect(text({ state: "failed" }, 0, false, false)).toBe("… items");
  });

  it("reads a known count", () => {
    expect(known(LOADING)).toBeNull();
    expect(known({ state: "failed" })).toBeNull();
    expect(known({ state: "known", n: 0 })).toBe(0);
  });
});

describe("Latest", () => {
  it("lets only the newest request tell its answer", () => {
    const latest = new Latest();
    const a = latest.begin();
    expect(a()).toBe(true);
    const b = latest.begin();
    expect(a()).toBe(false);
    expect(b()).toBe(true);
  });
});

/** A page fetcher whose answers the test releases one by one, in any order. */
function held() {
  const calls: { filter: ItemFilter; after: number | null; limit: number; withTotal: TotalWanted; signal?: AbortSignal; answer: (total: number | null, countedAt?: string) => void; fail: () => void }[] = [];
  const fetch: CountedPageFetcher = (filter, after, limit, withTotal, signal) =>
    new Promise<CountedPage>((resolve, reject) => {
      calls.push({
        filter, after, limit, withTotal, signal,
        answer: (total, countedAt?: string) => resolve({ items: [], nextAfter: null, total, countedAt, cached: countedAt !== undefined }),
        fail: () => reject(new Error("offline")),
      });
    });
  return { calls, fetch };
}

describe("countedPages", () => {
  it("counts beside the first page of a filter only, and paints the page without waiting for the count", async () => {
    const { calls, fetch } = held();
    const seen: [Count, ItemFilter][] = [];
    const pages = countedPages(fetch, (c, f) => seen.push([c, f]));
    const signal = new AbortController().signal;
    const first = pages({ status: "labeled" }, null, 200, signal);
    expect(seen).toEqual([[LOADING, { status: "labeled" }]]);
    expect(calls.map((c) => [c.withTotal, c.limit])).toEqual([[false, 200], [true, 1]]);
    calls[0]!.answer(null); // the page comes back first: it is shown while the count is still on its way
    await first;
    expect(seen).toEqual([[LOADING, { status: "labeled" }]]);
    calls[1]!.answer(66982);
    await flush();
    expect(seen.at(-1)).toEqual([{ state: "known", n: 66982 }, { status: "labeled" }]);
    const second = pages({ status: "labeled" }, 500, 1000, signal);
    expect(calls.map((c) => c.withTotal)).toEqual([false, true, false]);
    calls[2]!.answer(null);
    await second;
    expect(seen).toHaveLength(2);
  });

  it("does not let an older filter's late count overwrite the newer one's", async () => {
    const { calls, fetch } = held();
    let shown: Count = LOADING;
    const pages = countedPages(fetch, (c) => (shown = c));
    void pages({ label: "car" }, null, 200, new AbortController().signal);
    void pages({ label: "dog" }, null, 200, new AbortController().signal);
    calls[3]!.answer(12);
    await flush();
    expect(shown).toEqual({ state: "known", n: 12 });
    calls[1]!.answer(66982); // the first filter's count arrives last
    await flush();
    expect(shown).toEqual({ state: "known", n: 12 });
  });

  it("drops the count of an aborted page, even the newest", async () => {
    const { calls, fetch } = held();
    const seen: Count[] = [];
    const pages = countedPages(fetch, (c) => seen.push(c));
    const controller = new AbortController();
    void pages({}, null, 200, controller.signal);
    controller.abort();
    calls[1]!.answer(100128);
    await flush();
    expect(seen).toEqual([LOADING]);
  });

  it("says the count failed when counting failed, and the page's error is the page's", async () => {
    const { calls, fetch } = held();
    const seen: Count[] = [];
    const pages = countedPages(fetch, (c) => seen.push(c));
    const p = pages({ q: "night" }, null, 200, new AbortController().signal);
    calls[0]!.fail();
    await expect(p).rejects.toThrow("offline");
    calls[1]!.fail();
    await flush();
    expect(seen).toEqual([LOADING, { state: "failed" }]);
  });
});

describe("a total the server kept", () => {
  const at = "2026-12-07T03:40:00Z";

  it("tells when it was counted only when an earlier call counted it", () => {
    expect(pageCount({ items: [], nextAfter: null, total: 66982, countedAt: at, cached: true })).toEqual({ state: "known", n: 66982, countedAt: at });
    const fresh = pageCount({ items: [], nextAfter: null, total: 66982, countedAt: at, cached: false });
    expect(fresh).toEqual({ state: "known", n: 66982 });
    expect(keptAt(fresh)).toBeNull();
    expect(pageCount({ items: [], nextAfter: null, total: null })).toEqual({ state: "failed" });
    expect(keptAt({ state: "known", n: 3, countedAt: at })).toBe(at);
    expect(keptAt(LOADING)).toBeNull();
    expect(keptAt({ state: "failed" })).toBeNull();
  });

  it("shows the same words as a total counted now", () => {
    const kept: Count = { state: "known", n: 66982, countedAt: at };
    expect(countText({ count: kept, loaded: 200, done: false, filtered: true })).toBe("66,982 items match");
    expect(known(kept)).toBe(66982);
  });

  it("comes in beside the first page, with its age", async () => {
    const { calls, fetch } = held();
    const seen: Count[] = [];
    void countedPages(fetch, (c) => seen.push(c))({}, null, 200, new AbortController().signal);
    calls[1]!.answer(100128, at);
    await flush();
    expect(seen.at(-1)).toEqual({ state: "known", n: 100128, countedAt: at });
  });

  it("is counted again on Recount: one item, a fresh total, whose answer has no age", async () => {
    const { calls, fetch } = held();
    const again = recount(fetch, { status: "new" });
    expect(calls.map((c) => [c.filter, c.after, c.limit, c.withTotal])).toEqual([[{ status: "new" }, null, 1, "fresh"]]);
    calls[0]!.answer(41);
    expect(await again).toEqual({ state: "known", n: 41 });
  });
});

/** Lets the promise callbacks already due run. */
function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
