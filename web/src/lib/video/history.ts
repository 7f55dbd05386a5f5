/**
 * The video editor's undo and redo: a stack of steps, each able to send its own inverse and its forward edit
 * again. Unlike the image editor's snapshots (`../editor/history.ts`), the video editor's state lives on the
 * server, so a step is a pair of requests that go through the session like any other change (versions,
 * conflicts, re-propagation). A step moves to the other stack only once the server took its request (`done`):
 * one that failed is dropped, since the tracks were reloaded and no longer match it.
 *
 * Pure: the session gives the steps their requests; tested without a browser.
 */

/**
 * A track as the steps know it. A redone "add a track" makes a new track with a new id: the steps after it hold
 * the same ref, so they follow the new track.
 */
export interface TrackRef {
  id: number;
}

export interface Step {
  /** In words, as the change said it ("move the box of track 3 on frame 20"). */
  what: string;
  /** The track the step changes (null: none, or a step that is only a message). */
  track: TrackRef | null;
  /** Send the inverse edit; `done` once the server took it. Null: this step cannot be undone. */
  undo: ((done: () => void) => Promise<unknown>) | null;
  /** Why a step cannot be undone, in words (default: a deleted track cannot be brought back). */
  refusal?: string;
  /** Send the edit again; `done` once the server took it. */
  redo: (done: () => void) => Promise<unknown>;
}

export const HISTORY_LIMIT = 100;

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

  /** The track of `ref` came back as track `id` (a redone "add a track"). */
  moveRef(ref: TrackRef, id: number): void {
    if (this.refs.get(ref.id) === ref) this.refs.delete(ref.id);
    ref.id = id;
    this.refs.set(id, ref);
  }

  /** A new change was saved: it can be undone, and what was undone before can no longer be redone. */
  push(step: Step): void {
    this.keep(step);
    this.future = [];
    this.onchange();
  }

  /**
   * Take the last step and send its inverse; it moves to the redo stack once saved. A step that cannot be undone
   * is only taken off (the caller says why). Null when there is nothing to undo.
   */
  undo(): Step | null {
    const s = this.past.pop();
    if (!s) return null;
    this.onchange();
    void s.undo?.(() => {
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

  /** A deleted track: its steps would only fail now (404), and its id may be given to a new track. */
  forgetTrack(id: number): void {
    const other = (s: Step): boolean => s.track?.id !== id;
    this.past = this.past.filter(other);
    this.future = this.future.filter(other);
    this.refs.delete(id);
    this.onchange();
  }

  clear(): void {
    this.past = [];
    this.future = [];
    this.refs.clear();
    this.onchange();
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
