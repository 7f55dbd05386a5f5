import { describe, expect, it } from "vitest";
import {
  filterFromQuery,
  filterToQuery,
  gridItemPath,
  gridPath,
  indexOfId,
  isFiltered,
  ItemSource,
  parseScore,
  scoreProblem,
  type GridItem,
  type ItemFilter,
  type PageFetcher,
} from "./items.svelte";
import { parseHash } from "./router.svelte";

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

/** A fake API over a list of items that the test can change between calls (ids in order). */
function liveApi(list: GridItem[]) {
  const calls: { after: number | null; limit: number }[] = [];
  const fetch: PageFetcher = async (_f, after, limit) => {
    calls.push({ after, limit });
    const rest = list.filter((it) => after === null || it.id > after);
    const page = rest.slice(0, limit);
    return { items: page.map((it) => ({ ...it })), nextAfter: rest.length > limit ? (page[page.length - 1]?.id ?? null) : null };
  };
  return { fetch, calls };
}

describe("ItemSource kept and shown again", () => {
  it("restores what was loaded without fetching, and goes on from there", async () => {
    const { fetch, calls } = fakePages(3000);
    const first = new ItemSource(fetch, 200, 1000);
    await first.loadMore();
    await first.loadMore();
    const kept = first.state();
    first.reset({}); // leaving the page must not empty the kept items
    expect(kept.items).toHaveLength(1200);

    const again = new ItemSource(fetch, 200, 1000);
    again.restore(kept);
    expect(again.loaded).toBe(1200);
    expect(calls).toHaveLength(2);
    await again.loadMore();
    expect(calls[2]).toEqual({ filter: {}, after: 1200, limit: 1000 });
    expect(again.loaded).toBe(2200);
    expect(kept.items).toHaveLength(1200);
  });

  it("loads through an item past what is loaded, and no further", async () => {
    const { fetch, calls } = fakePages(5000);
    const src = new ItemSource(fetch, 200, 1000);
    await src.loadMore();
    await src.loadThrough(1500);
    expect(src.loaded).toBe(2200);
    await src.loadThrough(100);
    expect(calls).toHaveLength(3);
  });

  it("re-reads a window in place: changes show, items that left the filter go, the rest keep their places", async () => {
    const list = Array.from({ length: 300 }, (_, i) => item(i + 1));
    const { fetch, calls } = liveApi(list);
    const src = new ItemSource(fetch, 100, 100);
    await src.loadMore();
    await src.loadMore();
    expect(src.loaded).toBe(200);
    // On the item page: item 52 was labelled, 53 left the filter.
    list[51] = { ...item(52), status: "labeled", annotations: 2 };
    list.splice(52, 1);
    await src.refresh(50, 20);
    expect(calls.at(-1)).toEqual({ after: 50, limit: 20 });
    expect(src.items[49]?.id).toBe(50);
    expect(src.items[51]).toMatchObject({ id: 52, status: "labeled", annotations: 2 });
    expect(src.items[52]?.id).toBe(54);
    expect(src.items.map((it) => it.id)).toEqual(list.slice(0, 199).map((it) => it.id));
    expect(src.loaded).toBe(199);
    expect(src.refreshing).toBe(false);
    // Paging on continues after the last loaded item.
    await src.loadMore();
    expect(calls.at(-1)).toEqual({ after: 200, limit: 100 });
    expect(src.done).toBe(true);
    expect(src.loaded).toBe(299);
  });

  it("re-reads the end of the list, finding items added there", async () => {
    const list = Array.from({ length: 30 }, (_, i) => item(i + 1));
    const { fetch } = liveApi(list);
    const src = new ItemSource(fetch, 100, 100);
    await src.loadMore();
    expect(src.done).toBe(true);
    list.push(item(31));
    await src.refresh(25, 10);
    expect(src.items.map((it) => it.id).slice(24)).toEqual([25, 26, 27, 28, 29, 30, 31]);
    expect(src.done).toBe(true);
    list.push(item(32), item(33));
    await src.refresh(28, 3); // a full page up to the last loaded item, with more after it
    expect(src.done).toBe(false);
    await src.loadMore();
    expect(src.items.map((it) => it.id).slice(28)).toEqual([29, 30, 31, 32, 33]);
  });
});

describe("indexOfId", () => {
  it("finds an id, or where it would be", () => {
    const list = [item(2), item(4), item(9)];
    expect(indexOfId(list, 4)).toBe(1);
    expect(indexOfId(list, 5)).toBe(2);
    expect(indexOfId(list, 1)).toBe(0);
    expect(indexOfId(list, 10)).toBe(3);
    expect(indexOfId([], 3)).toBe(0);
  });
});

describe("parseScore", () => {
  it("takes the number a bound number box gives, and typed text", () => {
    expect(parseScore(0.9)).toBe(0.9);
    expect(parseScore(0)).toBe(0);
    expect(parseScore(" 0.25 ")).toBe(0.25);
  });

  it("reads an empty box as no bound", () => {
    expect(parseScore(null)).toBeUndefined();
    expect(parseScore(undefined)).toBeUndefined();
    expect(parseScore("")).toBeUndefined();
    expect(parseScore("  ")).toBeUndefined();
  });

  it("clamps to 0..1 and marks what is no number", () => {
    expect(parseScore(1.5)).toBe(1);
    expect(parseScore(-2)).toBe(0);
    expect(parseScore("abc")).toBeNaN();
    expect(parseScore(Number.POSITIVE_INFINITY)).toBeNaN();
  });
});

describe("scoreProblem", () => {
  it("accepts open, one-sided and ordered ranges", () => {
    expect(scoreProblem(undefined, undefined)).toBe("");
    expect(scoreProblem(0.9, undefined)).toBe("");
    expect(scoreProblem(undefined, 0.2)).toBe("");
    expect(scoreProblem(0.5, 0.5)).toBe("");
  });

  it("refuses a reversed range and a bound that is no number", () => {
    expect(scoreProblem(0.8, 0.2)).toMatch(/above the highest/);
    expect(scoreProblem(Number.NaN, 0.2)).toMatch(/numbers from 0 to 1/);
  });
});

describe("filterFromQuery", () => {
  it("takes every grid filter from an address, trimming the typed ones", () => {
    const query = new URLSearchParams(
      "tag=night%20shift&q=%20card%20&status=new&label=Dog%20walker&source=model&state=proposed&min_score=0.25&max_score=1",
    );
    expect(filterFromQuery(query)).toEqual({
      tag: "night shift",
      q: "card",
      status: "new",
      label: "Dog walker",
      source: "model",
      state: "proposed",
      min_score: 0.25,
      max_score: 1,
    });
  });

  it("drops what the API would refuse, and what is not a filter", () => {
    const query = new URLSearchParams("tag=%20%20&status=done&source=robot&state=maybe&min_score=2&max_score=abc&queue=review&label=");
    expect(filterFromQuery(query)).toEqual({});
    expect(filterFromQuery(new URLSearchParams("min_score=0&max_score="))).toEqual({ min_score: 0 });
  });
});

describe("filterToQuery", () => {
  it("spells a filter in one order, whatever order it was built in, and nothing for none", () => {
    const a: ItemFilter = { tag: "night", status: "labeled", label: "dog" };
    const b: ItemFilter = { label: "dog", tag: "night", status: "labeled", q: undefined };
    expect(filterToQuery(a)).toBe("status=labeled&label=dog&tag=night");
    expect(filterToQuery(b)).toBe(filterToQuery(a));
    expect(filterToQuery({})).toBe("");
    expect(filterToQuery({ q: "", min_score: Number.NaN })).toBe("");
  });

  it("is read back as the same filter", () => {
    const f: ItemFilter = { q: "a&b=c #1", status: "rejected", label: "a/b", source: "human", state: "accepted", min_score: 0, max_score: 0.5, tag: "x y" };
    expect(filterFromQuery(new URLSearchParams(filterToQuery(f)))).toEqual(f);
  });
});

describe("the attribute filter in the address", () => {
  it("keeps an attribute with its value, or alone for any value, and round-trips them", () => {
    const f = filterFromQuery(new URLSearchParams("label=car&attribute=colour&attribute_value=red"));
    expect(f).toEqual({ label: "car", attribute: "colour", attribute_value: "red" });
    expect(filterToQuery(f)).toBe("label=car&attribute=colour&attribute_value=red");
    expect(filterFromQuery(new URLSearchParams("attribute=occluded&attribute_value="))).toEqual({ attribute: "occluded" });
    const spaced: ItemFilter = { attribute: "note name", attribute_value: "a&b = c", order: "-name" };
    expect(filterFromQuery(new URLSearchParams(filterToQuery(spaced)))).toEqual(spaced);
    expect(isFiltered({ attribute: "occluded" })).toBe(true);
  });

  it("drops a value without its attribute, which the API would refuse", () => {
    expect(filterFromQuery(new URLSearchParams("attribute_value=red&status=new"))).toEqual({ status: "new" });
    expect(filterToQuery({ attribute_value: "red", status: "new" })).toBe("status=new");
  });
});

describe("grid links", () => {
  it("carry the filter to the item and back to the grid, through the hash router", () => {
    const f: ItemFilter = { status: "new", q: "card #2" };
    expect(gridItemPath(4, 17, f)).toBe("/projects/4/items/17?q=card+%232&status=new");
    expect(gridItemPath(4, 17, {})).toBe("/projects/4/items/17");
    expect(gridPath(4, f)).toBe("/projects/4?q=card+%232&status=new");
    expect(gridPath(4, {})).toBe("/projects/4");
    const { path, query } = parseHash(`#${gridItemPath(4, 17, f)}`);
    expect(path).toBe("/projects/4/items/17");
    expect(filterFromQuery(query)).toEqual(f);
  });
});
