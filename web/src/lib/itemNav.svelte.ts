// The item page's previous / next. The neighbours are looked up after the item is drawn (two small requests, see
// lib/itemList), so a press of N or P (or a click on the item buttons) can come before they are known: it is kept
// and carried out when they arrive, never dropped. Only the latest press is kept: one step, since the next page
// looks up its own neighbours.

import { ApiError } from "./api/problem";
import type { AttributeSpec } from "./attributes";
import { attributeFilterProblem } from "./filterNotes";
import { itemList, type ItemList, type ListSources } from "./itemList";
import { filterToQuery } from "./itemFilter";
import type { Neighbours, QueueTrail } from "./review/queue";
import { notify } from "./toasts.svelte";

export type Direction = "next" | "prev";

const UNKNOWN: Neighbours = { prev: null, next: null, index: null, total: null };

export class ItemNav {
  /** The neighbours and the position, once known (all null before). */
  nav: Neighbours = $state(UNKNOWN);
  /** True once the lookup answered (or failed). */
  settled = $state(false);
  private pending: Direction | null = null;
  private closed = false;
  private readonly go: (id: number, dir: Direction) => void;
  private readonly none: (dir: Direction) => void;

  /** ``go`` opens a neighbour; ``none`` says there is none that way (after a press that waited for the lookup). */
  constructor(go: (id: number, dir: Direction) => void, none: (dir: Direction) => void = () => {}) {
    this.go = go;
    this.none = none;
  }

  /** Whether a move that way can be asked for: while the lookup runs (it then waits), and when there is one. */
  may(dir: Direction): boolean {
    return !this.settled || this.nav[dir] !== null;
  }

  /** Moves now, or as soon as the neighbours are known. */
  move(dir: Direction): void {
    if (this.closed) return;
    if (!this.settled) {
      this.pending = dir;
      return;
    }
    const id = this.nav[dir];
    if (id !== null) this.go(id, dir);
    else this.none(dir);
  }

  /** The lookup answered (null: it failed, and said so; a waiting press is then dropped). */
  settle(nav: Neighbours | null): void {
    if (this.closed) return;
    this.nav = nav ?? UNKNOWN;
    this.settled = true;
    const waiting = this.pending;
    this.pending = null;
    if (waiting && nav) this.move(waiting);
  }

  /** The page is gone: nothing waiting is carried out any more. */
  close(): void {
    this.closed = true;
    this.pending = null;
  }

  /** True once the page is gone (a step that was on its way must not move the user again). */
  get gone(): boolean {
    return this.closed;
  }
}

/**
 * The list previous / next ask the server about: `list`, or, when its attribute filter can match nothing in a
 * project declaring `attributes` (the grid notes it "; ignored" and leaves it out of its requests, filterNotes), the
 * same list without it, as the grid walks it. The address keeps the filter, as the grid's does, so its note shows
 * on the way back.
 */
export function walkedList(
  list: ItemList,
  projectId: number,
  attributes: readonly AttributeSpec[],
  sources?: ListSources,
): ItemList {
  const f = list.filter;
  if (attributeFilterProblem(f.attribute, f.attribute_value, attributes) === null) return list;
  const query = new URLSearchParams(filterToQuery({ ...f, attribute: undefined, attribute_value: undefined }));
  return sources ? itemList(projectId, query, sources) : itemList(projectId, query);
}

/**
 * When the item a page was to show is gone (a 404: another user deleted it after the previous page looked up its
 * neighbours) and a previous / next step led there: opens instead the item that step reaches now, asked of the
 * server again from the item the step came from (the gone one is dropped from the list), or goes back to that
 * item when none is left that way. True when it moved on; false leaves the error to the page.
 */
export async function stepPastGone(
  err: unknown,
  trail: QueueTrail,
  gone: number,
  open: (id: number) => void,
  page: { readonly gone: boolean },
): Promise<boolean> {
  if (!(err instanceof ApiError) || err.status !== 404) return false;
  let step: Awaited<ReturnType<QueueTrail["rerouted"]>>;
  try {
    step = await trail.rerouted(gone);
  } catch {
    return false;
  }
  if (step === undefined || page.gone) return false;
  if (step.to === null) notify("info", "That item was deleted", "No other item is left that way.");
  open(step.to ?? step.from);
  return true;
}
