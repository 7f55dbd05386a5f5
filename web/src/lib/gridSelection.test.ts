import { describe, expect, it } from "vitest";
import { cellKey, clear, emptySelection, forFilter, gridKey, pick, selectAll, selectedIds, selectingOf, selectRange, toggle, type Selecting } from "./gridSelection";

const ORDER = [3, 5, 8, 13, 21, 34];

describe("gridSelection", () => {
  it("toggles an id and makes it the anchor", () => {
    let s = toggle(emptySelection(), 8);
    expect(selectedIds(s)).toEqual([8]);
    expect(s.anchor).toBe(8);
    s = toggle(s, 8);
    expect(selectedIds(s)).toEqual([]);
    expect(s.anchor).toBe(8);
  });

  it("does not change the selection it was given", () => {
    const a = toggle(emptySelection(), 3);
    toggle(a, 5);
    expect(selectedIds(a)).toEqual([3]);
  });

  it("selects the range from the anchor, in either direction, adding to the selection", () => {
    let s = toggle(emptySelection(), 3);
    s = toggle(s, 13);
    s = selectRange(s, 34, ORDER);
    expect(selectedIds(s)).toEqual([3, 13, 21, 34]);
    expect(s.anchor).toBe(34);
    s = selectRange(toggle(emptySelection(), 21), 5, ORDER);
    expect(selectedIds(s)).toEqual([5, 8, 13, 21]);
  });

  it("treats a shift+click without a loaded anchor as a toggle", () => {
    expect(selectedIds(selectRange(emptySelection(), 13, ORDER))).toEqual([13]);
    const gone = { ...toggle(emptySelection(), 99), ids: new Set<number>() };
    expect(selectedIds(selectRange(gone, 13, ORDER))).toEqual([13]);
  });

  it("picks by click or shift+click", () => {
    let s = pick(emptySelection(), 5, false, ORDER);
    s = pick(s, 13, true, ORDER);
    expect(selectedIds(s)).toEqual([5, 8, 13]);
  });

  it("selects every loaded id and clears", () => {
    const s = selectAll(toggle(emptySelection("tag=x"), 5), ORDER);
    expect(selectedIds(s)).toEqual(ORDER);
    const c = clear(s);
    expect(selectedIds(c)).toEqual([]);
    expect(c.anchor).toBeNull();
    expect(c.filter).toBe("tag=x");
    expect(clear(c)).toBe(c);
  });

  it("keeps the selection under its filter and drops it under another", () => {
    const s = toggle(emptySelection("status=new"), 5);
    expect(forFilter(s, "status=new")).toBe(s);
    const other = forFilter(s, "status=new&tag=night");
    expect(selectedIds(other)).toEqual([]);
    expect(other.filter).toBe("status=new&tag=night");
  });
});

describe("selectingOf", () => {
  it("replaces the selection it reads on each click, key and clear", () => {
    let s = emptySelection("q=dog");
    const selecting = () => selectingOf(() => s, (next) => (s = next), () => ORDER);
    const held = selecting();
    held.onpick(5, false);
    held.onpick(13, true); // the same object: it reads the selection the first click made
    expect(selectedIds(s)).toEqual([5, 8, 13]);
    expect(selecting().ids).toBe(s.ids);
    held.onall();
    expect(selectedIds(s)).toEqual(ORDER);
    held.onclear();
    expect(selectedIds(s)).toEqual([]);
    expect(s.filter).toBe("q=dog");
  });
});

describe("grid keys", () => {
  const calls: string[] = [];
  const selecting: Selecting = {
    ids: new Set([1]),
    onpick: (id, shift) => calls.push(`pick ${id}${shift ? " shift" : ""}`),
    onall: () => calls.push("all"),
    onclear: () => calls.push("clear"),
  };
  const key = (k: string, mods: Partial<KeyboardEvent> = {}) =>
    ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, target: null, preventDefault() {}, ...mods }) as unknown as KeyboardEvent;

  it("maps ctrl/cmd+A, Esc and Space, and nothing without a selection to make", () => {
    calls.length = 0;
    gridKey(key("a", { ctrlKey: true }), selecting);
    gridKey(key("A", { metaKey: true }), selecting);
    gridKey(key("a"), selecting);
    gridKey(key("Escape"), selecting);
    cellKey(key(" "), 7, selecting);
    cellKey(key(" ", { shiftKey: true }), 9, selecting);
    cellKey(key("Enter"), 7, selecting);
    gridKey(key("a", { ctrlKey: true }), null);
    cellKey(key(" "), 7, null);
    expect(calls).toEqual(["all", "all", "clear", "pick 7", "pick 9 shift"]);
  });
});
