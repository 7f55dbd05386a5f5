/**
 * Undo per slice: the image editor's undo history belongs to the slice on screen. When the editor moves to another
 * slice, the steps of the slice it leaves are kept aside (with the slice's list as saved), and given back when the
 * slice is shown again, provided its list on the server is still that one (nobody else changed the slice, no fill
 * added to it). Otherwise they are dropped: an undo must not bring back a state built on an older copy.
 */

import { contentKey } from '../editor/annotations';
import type { HistoryStacks } from '../editor/history';
import type { Ann, ApiAnnotation } from '../editor/types';

type Stacks = HistoryStacks<readonly Ann[]>;

/** How many slices keep their steps (the least recently left go first). */
export const KEPT_SLICES = 30;

/** A slice's list as one string: each annotation's server id and content, in id order. */
export function listSignature(list: readonly (readonly [number | null, string])[]): string {
  return JSON.stringify([...list].sort((a, b) => (a[0] ?? -1) - (b[0] ?? -1) || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)));
}

// The frame is left out: the server stores every annotation of the slice with the slice's frame, while the ones
// drawn here carry none.

/** The signature of a list the server sent. */
export function savedSignature(list: readonly ApiAnnotation[]): string {
  return listSignature(list.map((a) => [a.id, contentKey({ ...a, frame: null })] as const));
}

/** The signature of the editor's list (all saved), with `idOf` its server ids. */
export function editorSignature(list: readonly Ann[], idOf: (key: string) => number | null): string {
  return listSignature(list.map((a) => [idOf(a.key), contentKey({ ...a, frame: null })] as const));
}

export class SliceHistories {
  private readonly kept = new Map<number, { stacks: Stacks; list: string }>();

  constructor(private readonly limit = KEPT_SLICES) {}

  get size(): number {
    return this.kept.size;
  }

  /** Keep slice `k`'s steps as the editor leaves it, everything saved (`list`: its signature then). */
  keep(k: number, stacks: Stacks, list: string): void {
    this.kept.delete(k);
    if (stacks.past.length === 0 && stacks.future.length === 0) return;
    this.kept.set(k, { stacks, list });
    for (const key of this.kept.keys()) {
      if (this.kept.size <= this.limit) break;
      this.kept.delete(key);
    }
  }

  /** Slice `k`'s steps when its list (`list`, as the server sends it now) is the one they were kept with; they
   * are forgotten either way. */
  take(k: number, list: string): Stacks | undefined {
    const e = this.kept.get(k);
    this.kept.delete(k);
    return e && e.list === list ? e.stacks : undefined;
  }
}
