import { describe, expect, it } from "vitest";
import { colorOf, legendOf, MAP_PALETTE } from "./colors";
import { prepare } from "./draw";
import { dupHealth } from "./duplicates";
import { recallMapView, keepMapView } from "./mapMemory";
import { ResultsMemory, fromResults, resultItemPath, resultNeighbours } from "./results";
import { mainSpace, offeredSpaces, pickSpace, searchesText, spaceText, textSpace, type Space } from "./spaces";
import { EMPTY_SEARCH, MAX_K, PAGE, readSearch, sameSearch, searchPath } from "./state";
import { fitView, keepView, restoreView, zoomAt } from "./view";

function space(name: string, count: number, extra: Partial<Space> = {}): Space {
  return { space: name, embedder_version: count ? `${name}-1` : null, count, dim: count ? 128 : null, items_total: 101,
           stale: 101 - count, backend: count ? "exact" : null, default: false, ...extra };  // prettier-ignore
}

/** A Storage-like map for the memories. */
function memoryStore(): Storage {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
    key: (i) => [...m.keys()][i] ?? null,
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
  };
}

describe("embedding spaces", () => {
  it("knows which spaces read text, from the server or else from the name", () => {
    expect(["ssl", "ngram", "sentence", "dual", "open_clip"].map((n) => searchesText({ space: n }))).toEqual([false, true, true, true, true]);
    expect(searchesText({ space: "ssl", searches_text: true })).toBe(true);
    expect(searchesText({ space: "dual", searches_text: false })).toBe(false);
  });

  it("sends a text query to a space that reads text, though the default compares images only", () => {
    const spaces = [space("ssl", 101, { default: true }), space("dual", 81)];
    expect(mainSpace(spaces)?.space).toBe("ssl");
    expect(textSpace(spaces)?.space).toBe("dual");
    expect(pickSpace(spaces, "", true)?.space).toBe("dual");
    expect(pickSpace(spaces, "", false)?.space).toBe("ssl"); // "more like this": the default space
    expect(pickSpace(spaces, "ssl", true)?.space).toBe("ssl"); // the user's pick wins
    expect(pickSpace(spaces, "gone", true)?.space).toBe("dual");
  });

  it("prefers a listed text space, and offers dual on image projects until it has vectors", () => {
    const onlySsl = [space("ssl", 101, { default: true })];
    expect(textSpace(onlySsl)).toBeNull();
    const offered = offeredSpaces(onlySsl, "image");
    expect(offered.map((s) => s.space)).toEqual(["ssl", "dual"]);
    expect(offered[1]).toMatchObject({ count: 0, items_total: 101, searches_text: true, unlisted: true });
    // Not chosen for the user (its encoder may not be trained): the page says the ssl space reads no text.
    expect(pickSpace(offered, "", true)?.space).toBe("ssl");
    expect(pickSpace(offered, "dual", true)?.space).toBe("dual");
    expect(offeredSpaces(onlySsl, "text").map((s) => s.space)).toEqual(["ssl"]);
    const both = [space("open_clip", 0, { default: true }), space("dual", 0)];
    expect(textSpace(both)?.space).toBe("open_clip");
  });

  it("describes a space by its counts and what it reads", () => {
    expect(spaceText(space("dual", 81))).toBe("dual · 81 of 101 · 20 to update · text and images");
    expect(spaceText(space("ssl", 101))).toBe("ssl · 101 of 101 · images only");
    expect(spaceText(space("dual", 0))).toBe("dual · not computed · text and images");
    expect(spaceText(space("ngram", 5, { items_total: 5, stale: 0 }))).toBe("ngram · 5 of 5 · words");
    expect(spaceText(space("sentence", 5, { items_total: 5, stale: 0 }))).toBe("sentence · 5 of 5 · meaning");
  });
});

describe("search state in the URL, with the space and the page size", () => {
  it("keeps k and the space, and tells a grown list from a new search", () => {
    const s = { ...EMPTY_SEARCH, q: "a dog", space: "dual", k: 144 };
    const path = searchPath(3, s);
    expect(path).toBe("/projects/3/search?q=a+dog&space=dual&k=144");
    const back = readSearch(new URLSearchParams(path.split("?")[1]));
    expect(back).toEqual(s);
    expect(sameSearch(back, { ...s, k: PAGE })).toBe(true);
    expect(sameSearch(back, { ...s, space: "" })).toBe(false);
    expect(readSearch(new URLSearchParams("q=x&k=5000")).k).toBe(MAX_K);
    expect(readSearch(new URLSearchParams("q=x&k=-2&space=../x")).k).toBe(PAGE);
    expect(readSearch(new URLSearchParams("q=x&space=../x")).space).toBe("");
    expect(searchPath(3, { q: "x", k: PAGE })).toBe("/projects/3/search?q=x");
  });
});

describe("results kept for the item page and Back", () => {
  it("walks the results and remembers where the page was and what was opened", () => {
    const store = memoryStore();
    const mem = new ResultsMemory(store, 1000);
    mem.save(5, "/projects/5/search?q=card&k=96", [40, 41, 42], 3688, 0);
    mem.opened(5, 41, 10);
    mem.opened(5, 99, 20); // not a result: ignored
    const again = new ResultsMemory(store, 1000).recall(5, 30); // a reload reads sessionStorage
    expect(again).toMatchObject({ path: "/projects/5/search?q=card&k=96", scroll: 3688, opened: 41 });
    expect(resultNeighbours(again!, 41)).toEqual({ prev: 40, next: 42, index: 1, total: 3 });
    expect(resultNeighbours(again!, 40)).toEqual({ prev: null, next: 41, index: 0, total: 3 });
    expect(resultNeighbours(again!, 7)).toBeNull();
    mem.save(5, "/projects/5/search?q=card&k=96", [40, 41, 42], 100, 40); // same list: the opened item stays
    expect(mem.recall(5, 50)?.opened).toBe(41);
    mem.save(5, "/projects/5/search?q=other", [1, 2], 0, 60); // another search: nothing opened yet
    expect(mem.recall(5, 70)?.opened).toBeNull();
    expect(mem.recall(5, 2000)).toBeNull(); // too old
    expect(mem.recall(6, 70)).toBeNull();
    expect(resultItemPath(5, 41)).toBe("/projects/5/items/41?from=search");
    expect(fromResults(new URLSearchParams("from=search"))).toBe(true);
    expect(fromResults(new URLSearchParams("status=new"))).toBe(false);
  });
});

describe("duplicates' reliability", () => {
  const group = (kind: string, n: number) => ({ kind, items: Array.from({ length: n }, (_, i) => ({ item_id: i })) });

  it("trusts a few small near groups and warns about many or large ones", () => {
    // Four originals, each with four copies (the dual space on the QA project): fine.
    expect(dupHealth([group("exact", 2), ...Array.from({ length: 4 }, () => group("near", 5))], 101).unreliable).toBe(false);
    // A hub of eight alike photos (the ssl space at 0.95).
    expect(dupHealth([group("near", 8)], 101)).toMatchObject({ largest: 8, unreliable: true });
    // Many small groups covering most of the project.
    const many = Array.from({ length: 23 }, () => group("near", 3));
    expect(dupHealth(many, 101)).toMatchObject({ nearGroups: 23, nearItems: 69, unreliable: true });
    expect(dupHealth([group("exact", 40)], 101).unreliable).toBe(false); // exact copies are copies
  });
});

describe("map colours and view", () => {
  it("gives up to 20 labels distinct colours, though their classes share one", () => {
    const names = Array.from({ length: 20 }, (_, i) => `class${i}`);
    const classes = names.map((name) => ({ name, color: "#e6194b", hotkey: null }));
    const labels = names.flatMap((n, i) => Array<string>(30 - i).fill(n));
    const legend = legendOf(labels, classes);
    expect(new Set(legend.map((e) => e.color)).size).toBe(20);
    expect(legend[0]?.color).toBe("#e6194b"); // the largest keeps its class colour
    expect(MAP_PALETTE.length).toBe(84);
    expect(colorOf("class3", classes)).toBe("#e6194b"); // outside the map, a class keeps its own
  });

  it("labels the drawing groups, for the legend to isolate one", () => {
    const pts = ["a", "b", null, "a"].map((label, i) => ({ item_id: i, x: i, y: i, label, name: `p${i}`, thumb_url: null }));
    const data = prepare(pts, []);
    expect(data.groups.map((g) => [g.label, Array.from(g.points)])).toEqual([[null, [2]], ["a", [0, 3]], ["b", [1]]]);
  });

  it("keeps a zoomed view across canvas sizes and a reload", () => {
    const b = { x1: 0, y1: 0, x2: 1, y2: 1 };
    const fit = fitView(b, 800, 600);
    const view = zoomAt(fit, { x: 200, y: 150 }, 3, fit);
    const kept = keepView(view, fit, 800, 600);
    const back = restoreView(kept, fit, 800, 600);
    expect(back.scale).toBeCloseTo(view.scale);
    expect(back.tx).toBeCloseTo(view.tx);
    expect(back.ty).toBeCloseTo(view.ty);
    const wider = restoreView(kept, fitView(b, 1000, 600), 1000, 600);
    expect(wider.scale / fitView(b, 1000, 600).scale).toBeCloseTo(3);
    const store = memoryStore();
    keepMapView(2, "ssl", "2026-12-05T12:00", kept, store);
    expect(recallMapView(2, "ssl", "2026-12-05T12:00", store)).toEqual(kept);
    expect(recallMapView(2, "ssl", "2026-12-06T09:00", store)).toBeNull(); // recomputed: fitted again
    expect(recallMapView(2, "dual", "2026-12-05T12:00", store)).toBeNull();
  });
});
