// The grid's multi-selection: item ids (so it survives paging and scrolling), the last clicked id as the anchor
// of a shift+click range, and the filter it was made under (another filter drops it). Plain immutable values: each
// change returns a new selection, which the page keeps in a `$state.raw`.

export interface GridSelection {
  readonly ids: ReadonlySet<number>;
  /** The last clicked (or toggled) id: a shift+click selects from here. */
  readonly anchor: number | null;
  /** The filter (as its query string) the selection was made under. */
  readonly filter: string;
}

export function emptySelection(filter = ""): GridSelection {
  return { ids: new Set(), anchor: null, filter };
}

/** Flips one id, which becomes the anchor. */
export function toggle(sel: GridSelection, id: number): GridSelection {
  const ids = new Set(sel.ids);
  if (ids.has(id)) ids.delete(id);
  else ids.add(id);
  return { ids, anchor: id, filter: sel.filter };
}

/**
 * Shift+click: selects every id from the anchor to ``id`` in the grid's order (``order``: the loaded ids), adding to
 * what is selected. Without an anchor, or with one no longer loaded, it is a plain toggle.
 */
export function selectRange(sel: GridSelection, id: number, order: readonly number[]): GridSelection {
  const from = sel.anchor === null ? -1 : order.indexOf(sel.anchor);
  const to = order.indexOf(id);
  if (from < 0 || to < 0) return toggle(sel, id);
  const ids = new Set(sel.ids);
  for (let i = Math.min(from, to); i <= Math.max(from, to); i++) ids.add(order[i] as number);
  return { ids, anchor: id, filter: sel.filter };
}

/** A click: with shift, the range from the anchor; else a toggle. */
export function pick(sel: GridSelection, id: number, shift: boolean, order: readonly number[]): GridSelection {
  return shift ? selectRange(sel, id, order) : toggle(sel, id);
}

/** Ctrl/cmd+A: every loaded id. */
export function selectAll(sel: GridSelection, order: readonly number[]): GridSelection {
  return { ids: new Set(order), anchor: sel.anchor, filter: sel.filter };
}

export function clear(sel: GridSelection): GridSelection {
  return sel.ids.size === 0 && sel.anchor === null ? sel : emptySelection(sel.filter);
}

/** The selection for the grid showing ``filter``: kept under the same filter, emptied under another. */
export function forFilter(sel: GridSelection, filter: string): GridSelection {
  return sel.filter === filter ? sel : emptySelection(filter);
}

/** The selected ids in ascending order (for the bulk request). */
export function selectedIds(sel: GridSelection): number[] {
  return [...sel.ids].sort((a, b) => a - b);
}

/** What the grid's checkboxes need: the selected ids and what a click or key asks for. */
export interface Selecting {
  ids: ReadonlySet<number>;
  /** A click on a checkbox (shift: the range from the last one clicked), or Space on a cell. */
  onpick: (id: number, shift: boolean) => void;
  /** Ctrl/cmd+A in the grid: every loaded cell. */
  onall: () => void;
  /** Esc or Clear. */
  onclear: () => void;
}

/**
 * The `Selecting` of a page's selection (the project grid's, the search results'): its ids, and a click or key that
 * replaces it through ``set``. ``get`` and ``order`` (the ids in the grid's order) are read when the click comes.
 */
export function selectingOf(
  get: () => GridSelection,
  set: (next: GridSelection) => void,
  order: () => readonly number[],
): Selecting {
  return {
    ids: get().ids,
    onpick: (id, shift) => set(pick(get(), id, shift, order())),
    onall: () => set(selectAll(get(), order())),
    onclear: () => set(clear(get())),
  };
}

/** A key typed in a text field (a checkbox is not one): the grid's keys leave it alone. */
function inField(t: EventTarget | null): boolean {
  if (typeof HTMLElement === "undefined" || !(t instanceof HTMLElement)) return false;
  if (t instanceof HTMLInputElement) return t.type !== "checkbox";
  return t.isContentEditable || t.tagName === "TEXTAREA" || t.tagName === "SELECT";
}

/** A key anywhere in the grid: ctrl/cmd+A selects every loaded cell, Esc clears. */
export function gridKey(e: KeyboardEvent, selecting: Selecting | null): void {
  if (!selecting || inField(e.target)) return;
  if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "a") {
    e.preventDefault();
    selecting.onall();
  } else if (e.key === "Escape" && selecting.ids.size > 0) {
    e.preventDefault();
    selecting.onclear();
  }
}

/** A key on a focused cell: Space toggles its checkbox (shift+Space: the range); Enter still opens the item. */
export function cellKey(e: KeyboardEvent, id: number, selecting: Selecting | null): void {
  if (!selecting || e.key !== " " || e.ctrlKey || e.metaKey || e.altKey) return;
  e.preventDefault();
  selecting.onpick(id, e.shiftKey);
}
