/**
 * Undo and redo as a stack of snapshots. A snapshot is the whole annotation list, but the lists share their
 * (immutable) annotation objects, so one costs an array of pointers, not a deep copy.
 */

export interface Snapshot<T> {
  value: T;
  /** What the step did, for the status line ("Undo move box"). */
  label: string;
}

export class History<T> {
  private past: Snapshot<T>[] = [];
  private future: Snapshot<T>[] = [];

  constructor(private readonly limit = 500) {}

  /** Record `previous` (the state before a step described by `label`); clears the redo stack. */
  push(previous: T, label: string): void {
    this.past.push({ value: previous, label });
    if (this.past.length > this.limit) this.past.shift();
    this.future = [];
  }

  /** Step back: returns the state to restore and the step's label, or null when there is nothing to undo. */
  undo(current: T): Snapshot<T> | null {
    const s = this.past.pop();
    if (!s) return null;
    this.future.push({ value: current, label: s.label });
    return s;
  }

  redo(current: T): Snapshot<T> | null {
    const s = this.future.pop();
    if (!s) return null;
    this.past.push({ value: current, label: s.label });
    return s;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  get undoLabel(): string | null {
    return this.past.at(-1)?.label ?? null;
  }

  get redoLabel(): string | null {
    return this.future.at(-1)?.label ?? null;
  }

  get depth(): number {
    return this.past.length;
  }

  /**
   * Rewrite every snapshot, undo and redo alike, with `map` (after a conflict was merged: each state is merged
   * onto the server's new copy). A step that `same` finds no different from the state it leads to (`current`
   * for the newest) is dropped, so that no undo does nothing visible.
   */
  rebase(map: (value: T) => T, current: T, same: (a: T, b: T) => boolean): void {
    const past = this.past.map((s) => ({ value: map(s.value), label: s.label }));
    const future = this.future.map((s) => ({ value: map(s.value), label: s.label }));
    // Undo walks past from the end towards the start; each snapshot leads to the next newer one (or `current`).
    this.past = past.filter((s, i) => !same(s.value, past[i + 1]?.value ?? current));
    // Redo walks future from the end towards the start; each snapshot comes from the next older one (or `current`).
    this.future = future.filter((s, i) => !same(s.value, future[i + 1]?.value ?? current));
  }

  clear(): void {
    this.past = [];
    this.future = [];
  }

  /** The undo and redo stacks, leaving this history empty (a volume keeps a slice's steps while another slice
   * is shown, and `restore`s them on its return). */
  detach(): HistoryStacks<T> {
    const stacks = { past: this.past, future: this.future };
    this.clear();
    return stacks;
  }

  restore(stacks: HistoryStacks<T>): void {
    this.past = stacks.past;
    this.future = stacks.future;
  }
}

export interface HistoryStacks<T> {
  readonly past: Snapshot<T>[];
  readonly future: Snapshot<T>[];
}
