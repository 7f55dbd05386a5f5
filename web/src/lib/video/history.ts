/**
 * The video editor's undo and redo: a stack of steps, each able to send its own inverse and its forward edit
 * again. Unlike the image editor's snapshots (`../editor/history.ts`), the video editor's state lives on the
 * server, so a step is a pair of requests that go through the session like any other change (versions,
 * conflicts, re-propagation). A step moves to the other stack only once the server took its request (`done`):
 * one that failed is dropped, since the tracks were reloaded and no longer match it (`refusal.ts` says why, and
 * drops the steps of its tracks that no longer match either).
 *
 * Pure: the session gives the steps their requests; tested without a browser.
 */

/**
 * A track as the steps know it. A redone "add a track" or split makes a new track with a new id: the steps after
 * it hold the same ref, so they follow the new track, and their words name its id now.
 */
export interface TrackRef {
  id: number;
}

export interface Step {
  /**
   * In words, as the change said it ("move the box of track 3 on frame 20"); read when shown, from the refs (a
   * getter), so that it names the track's id now.
   */
  readonly what: string;
  /** The track the step changes (a split: the track split; a merge: the one kept). */
  track: TrackRef | null;
  /** The ids of the other tracks its undo or redo changes (a merge: the one merged away; a split: the new part). */
  also?: () => readonly number[];
  /** Send the inverse edit; `done` once the server took it. */
  undo: (done: () => void) => Promise<unknown>;
  /** Send the edit again; `done` once the server took it. */
  redo: (done: () => void) => Promise<unknown>;
}

export const HISTORY_LIMIT = 100;

/** The ids of the tracks a step's undo or redo changes (a locked one refuses it: `edits.ts`). */
export function stepTracks(step: Step): number[] {
  return [...(step.track ? [step.track.id] : []), ...(step.also?.() ?? [])];
}

export class UndoHistory {
  private past: Step[] = [];
  private future: Step[] = [];
  private readonly refs = new Map<number, TrackRef>();

  constructor(
    private readonly onchange: () => void = () => {},
    private readonly limit = HISTORY_LIMIT,
  ) {}

  /** The ref the steps of track `id` share. */
  ref(id: number): TrackRef {
    let r = this.refs.get(id);
    if (!r) {
      r = { id };
      this.refs.set(id, r);
    }
    return r;
  }

  /**
   * The track of `ref` came back as track `id`: a redone "add a track" or split (a new id), an undone delete or
   * merge (the same id, its ref again: `back`). The words of its steps name the new id.
   */
  moveRef(ref: TrackRef, id: number): void {
    if (this.refs.get(ref.id) === ref) this.refs.delete(ref.id);
    ref.id = id;
    this.refs.set(id, ref);
    this.onchange();
  }

  /** Told when a track comes back as itself, with its id (the editor gives it back its hidden and locked flags). */
  onback: (id: number) => void = () => {};

  /** The track of `ref` is back with its own id (an undone delete, split or merge): its steps act on it again. */
  back(ref: TrackRef): void {
    this.moveRef(ref, ref.id);
    this.onback(ref.id);
  }

  /**
   * Track `id` is gone (deleted, merged away, a split undone): its steps keep its ref for when it comes back, and a
   * new track the server gives the id gets a ref of its own.
   */
  release(id: number): void {
    this.refs.delete(id);
  }

  /** A new change was saved: it can be undone, and what was undone before can no longer be redone. */
  push(step: Step): void {
    this.keep(step);
    this.future = [];
    this.onchange();
  }

  /** Take the last step and send its inverse; it moves to the redo stack once saved. Null when nothing to undo. */
  undo(): Step | null {
    const s = this.past.pop();
    if (!s) return null;
    this.onchange();
    void s.undo(() => {
      this.future.push(s);
      this.onchange();
    });
    return s;
  }

  /** Take the last undone step and send it again; it moves back to the undo stack once saved. */
  redo(): Step | null {
    const s = this.future.pop();
    if (!s) return null;
    this.onchange();
    void s.redo(() => {
      this.keep(s);
      this.onchange();
    });
    return s;
  }

  /**
   * The server refused to undo a step of track `ref` (`refusal.ts`), say to put it back as it was before a split,
   * merge or delete: its older steps would act on frames that moved to another track, or on a track that is gone
   * (or on another one given its id), so they go. What was undone after that change can still be redone: it was
   * made on the tracks as they are now. A refused redo (`redo`) drops the track's steps to redo as well, which
   * build on the one refused.
   */
  forgetTrack(ref: TrackRef, redo = false): void {
    this.past = this.past.filter((s) => s.track !== ref);
    if (redo) this.future = this.future.filter((s) => s.track !== ref);
    this.onchange();
  }

  clear(): void {
    this.past = [];
    this.future = [];
    this.refs.clear();
    this.onchange();
  }

  /** The step Ctrl+Z would undo, and the one Ctrl+Shift+Z would redo (left where they are). */
  get nextUndo(): Step | null {
    return this.past.at(-1) ?? null;
  }

  get nextRedo(): Step | null {
    return this.future.at(-1) ?? null;
  }

  get undoWhat(): string | null {
    return this.past.at(-1)?.what ?? null;
  }

  get redoWhat(): string | null {
    return this.future.at(-1)?.what ?? null;
  }

  get depth(): number {
    return this.past.length;
  }

  private keep(step: Step): void {
    this.past.push(step);
    if (this.past.length > this.limit) this.past.shift();
  }
}
