/**
 * Conflicts, on top of saving. A save that comes back 409 (someone else saved the item first) opens one: autosave
 * stops, the server's current copy is fetched (`load`, one GET), and the panel shows what each side changed. The
 * person settles it with one of
 * - **merge** (`merge.ts`): a three-way merge per annotation id of the base (the copy this editor last loaded or
 *   saved), mine (the list now) and theirs; conflicting annotations need a choice, mine or theirs, first;
 * - **take theirs**: their copy replaces mine;
 * - **keep mine**: my list is saved over theirs.
 * Each leaves the editor on their version (the next save sends it), with the base and the unsaved count
 * (`unsaved`, against `syncedAnns`) taken from their copy.
 *
 * Undo after a resolution (no undo step may silently bring back a state built on the old version):
 * - merge rebases the history: every undo and redo snapshot is merged onto their copy by the same rules (with the
 *   choices made in the panel; a conflict that only an older snapshot has goes to theirs). So the person's own
 *   edits, from before and after the conflict, stay undoable one by one, while no undo brings back the old state
 *   of what they changed or drops what they added. Steps that became no-ops are dropped.
 * - take theirs and keep mine clear the history: undo goes no further back than the resolution (the discarded
 *   edits of "take theirs" cannot come back; after "keep mine" the saved list is the new starting point).
 */

import { count } from '../plural';
import { contentKey, contentOf, diffLists, keyedAnns, keyedApi, sameList, type ListDiff } from './annotations';
import { SavingCore } from './core-save';
import type { ConflictInfo } from './core-state';
import type { HistoryStacks } from './history';
import { applyMerge, byId, planMerge, type MergeInput, type MergePlan, type Side, type Version } from './merge';
import { conflictRow } from './merge-describe';
import type { Ann, SavedState } from './types';

/** A diff with nothing added, removed or changed. */
function untouched(d: ListDiff | null): boolean {
  return !!d && d.added === 0 && d.removed === 0 && d.changed === 0;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export abstract class ConflictCore extends SavingCore {
  /** The side chosen per conflicting annotation id, while a conflict is open. */
  private choices = new Map<number, Side>();
  /** Their copy as editor annotations (keys of the ids this editor knows), per fetched copy. */
  private theirAnns: { of: SavedState; list: Ann[] } | null = null;
  /** The first fetch of their copy after a 409, while it runs. */
  private fetching: Promise<void> | null = null;

  /** An edit while the conflict is open: the panel's comparisons and the merge follow it. */
  protected override changed(): void {
    if (this.conflict) this.analyse(this.conflict);
    super.changed();
  }

  protected enterConflict(currentVersion: number | null): void {
    this.stopTimer();
    this.saveStatus = 'conflict';
    this.choices = new Map();
    this.conflict = {
      currentVersion,
      theirs: null,
      loading: !!this.loadFn,
      error: this.loadFn ? null : 'The server copy cannot be fetched here',
      theirChanges: null,
      yourChanges: this.unsaved,
      mineOverTheirs: null,
      merge: null,
    };
    if (this.loadFn) this.fetching = this.fetchTheirs();
  }

  /** Also waits for a conflict that settles itself (their copy is the base, see `fetchTheirs`), then saves. */
  override async flush(): Promise<void> {
    await super.flush();
    const fetching = this.fetching;
    if (!fetching) return;
    this.fetching = null;
    await fetching;
    if (this.saveStatus !== 'conflict') await super.flush();
  }

  /** Fetch the server's copy for the conflict panel (again, after it failed). */
  async fetchTheirs(): Promise<void> {
    const c = this.conflict;
    if (!c || !this.loadFn) return;
    c.loading = true;
    c.error = null;
    this.emit();
    try {
      const theirs = await this.loadFn();
      if (this.conflict !== c) return;
      c.theirs = theirs;
      this.analyse(c);
      // Their copy is the base: only the version moved (another slice of a volume, or another frame, was saved).
      // Mine on top of it loses nothing of theirs, so it is saved without asking.
      if (untouched(c.theirChanges) && c.merge?.conflicts.length === 0 && this.mergeTheirs(theirs, true)) return;
    } catch (err) {
      if (this.conflict === c) c.error = message(err);
    } finally {
      if (this.conflict === c) c.loading = false;
      this.emit();
    }
  }

  /** Pick mine or theirs for one conflicting annotation (by server id). */
  chooseConflict(id: number, side: Side): void {
    const c = this.conflict;
    if (!c) return;
    this.choices.set(id, side);
    this.analyse(c);
    this.emit();
  }

  /** Pick the same side for every conflicting annotation. */
  chooseAllConflicts(side: Side): void {
    const c = this.conflict;
    if (!c?.merge) return;
    for (const row of c.merge.conflicts) this.choices.set(row.id, side);
    this.analyse(c);
    this.emit();
  }

  /**
   * Settle the conflict: `merge` (false while a conflicting annotation has no side), `theirs` (their copy
   * replaces mine) or `mine` (saved over theirs; what they deleted comes back as new annotations).
   */
  async resolveConflict(choice: 'merge' | 'mine' | 'theirs'): Promise<boolean> {
    const c = this.conflict;
    if (!c) return false;
    if (!c.theirs) await this.fetchTheirs();
    const theirs = c.theirs;
    if (!theirs || this.conflict !== c) return false;
    if (choice === 'merge') return this.mergeTheirs(theirs);
    this.conflict = null;
    this.choices = new Map();
    this.history.clear();
    const list = this.adoptTheirs(theirs);
    this.syncedAnns = list;
    if (choice === 'mine') {
      // The list stays mine; against their copy it is all unsaved, and saved now.
      this.saveStatus = 'pending';
      this.emit();
      await this.saveNow();
      return true;
    }
    this.anns = list;
    this.fixSelection();
    this.saveStatus = 'saved';
    this.notify('Loaded their version; your unsaved changes were dropped');
    return true;
  }

  /**
   * Start again from the server's copy `saved` of another part of the item (a volume's next slice): its list,
   * version and ids; no selection or conflict is carried over, and no undo history but `history` (the steps
   * kept from when this part was last shown, given only when it is unchanged since). The tool, the label, the
   * brush and what is hidden stay. The caller saves first (`flush`): anything unsaved is dropped.
   */
  startOver(saved: SavedState, history?: HistoryStacks<readonly Ann[]>): void {
    this.stopTimer();
    this.conflict = null;
    this.choices = new Map();
    this.history.clear();
    if (history) this.history.restore(history);
    this.selectedKey = null;
    const list = this.adoptTheirs(saved);
    this.anns = list;
    this.syncedAnns = list;
    this.saveError = null;
    this.saveReason = null;
    this.retries = 0;
    this.saveStatus = this.readonly ? 'readonly' : 'saved';
    this.emit();
  }

  // ---- internals -------------------------------------------------------------------------------------------

  private theirList(theirs: SavedState): Ann[] {
    if (this.theirAnns?.of !== theirs) this.theirAnns = { of: theirs, list: this.asEditorList(theirs.annotations) };
    return this.theirAnns.list;
  }

  /** Their copy as the new base: its version, ids and list (as editor annotations, registered). */
  private adoptTheirs(theirs: SavedState): Ann[] {
    this.version = theirs.version;
    this.serverIds = new Set(theirs.annotations.map((a) => a.id));
    this.setBase(theirs.annotations);
    this.theirAnns = null;
    return this.adoptServerList(theirs.annotations);
  }

  /** The merge's fixed inputs: the base (as the server stored it and as this editor holds it) and theirs. */
  private mergeInputs(theirs: SavedState): Omit<MergeInput<Ann>, 'mine'> {
    const base = new Map<number, string>();
    for (const k of this.base) if (k.id !== null) base.set(k.id, k.content);
    const mineBase = new Map<number, string>();
    for (const a of this.syncedAnns) {
      const id = this.idOf(a.key);
      if (id !== null) mineBase.set(id, contentOf(a));
    }
    const list = this.theirList(theirs);
    const versions: Version<Ann>[] = list.map((a, i) => ({ id: theirs.annotations[i]!.id, content: contentKey(theirs.annotations[i]!), value: a }));
    return { base, mineBase, theirs: versions };
  }

  /** A list of this editor's (now, or an undo snapshot) as the merge's "mine". Uses the ids of the old base. */
  private mine(list: readonly Ann[]): Version<Ann>[] {
    return list.map((a) => ({ id: this.idOf(a.key), content: contentOf(a), value: a }));
  }

  private plan(theirs: SavedState): MergePlan<Ann> {
    return planMerge({ ...this.mergeInputs(theirs), mine: this.mine(this.anns) });
  }

  /** Fill the panel: what each side changed, what "keep mine" would do, and the merge with its conflicts. */
  private analyse(c: ConflictInfo): void {
    c.yourChanges = this.unsaved;
    const theirs = c.theirs;
    if (!theirs) return;
    const theirKeyed = keyedApi(theirs.annotations);
    c.theirChanges = diffLists(this.base, theirKeyed);
    const theirIds = new Set(theirs.annotations.map((a) => a.id));
    const mine = keyedAnns(this.anns, (k) => {
      const id = this.idOf(k);
      return id !== null && theirIds.has(id) ? id : null;
    });
    c.mineOverTheirs = diffLists(theirKeyed, mine);
    const plan = this.plan(theirs);
    const baseById = new Map<number, Ann>();
    this.asEditorList(this.baseList).forEach((a, i) => baseById.set(this.baseList[i]!.id, a));
    const conflicts = plan.conflicts.map((x) => conflictRow(x, (id) => baseById.get(id), this.choices.get(x.id) ?? null));
    c.merge = { stats: plan.stats, conflicts, open: conflicts.filter((r) => r.choice === null).length };
  }

  private mergeTheirs(theirs: SavedState, quiet = false): boolean {
    const inputs = this.mergeInputs(theirs);
    const plan = planMerge({ ...inputs, mine: this.mine(this.anns) });
    const out = applyMerge(plan, byId(this.choices));
    if (!out.list) {
      this.notify(`Choose mine or theirs for ${count(out.open, 'conflicting annotation')} first`, 'warn');
      return false;
    }
    const merged = out.list;
    // Rebase the undo history while the ids are still those of the old base (`mine` reads them).
    const choose = byId<Ann>(this.choices, 'theirs');
    this.history.rebase((snap) => applyMerge(planMerge({ ...inputs, mine: this.mine(snap) }), choose).list!, merged, sameList);
    const theirList = this.theirList(theirs);
    this.conflict = null;
    this.choices = new Map();
    this.adoptTheirs(theirs);
    this.selection.rekey(new Map(plan.matched.map((m) => [m.mine.key, m.theirs.key])));
    this.anns = merged;
    this.syncedAnns = sameList(merged, theirList) ? merged : theirList;
    this.fixSelection();
    this.saveStatus = this.anns === this.syncedAnns ? 'saved' : 'pending';
    const s = plan.stats;
    const kept = s.mine + plan.conflicts.filter((x) => choose(x) === 'mine').length;
    if (!quiet) this.notice = {
      text: `Merged: ${count(kept, 'change')} of yours kept on top of their version`,
      tone: 'info',
      at: Date.now(),
    };
    this.changed();
    return true;
  }
}
