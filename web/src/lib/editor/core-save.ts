/**
 * Saving, on top of the state core: autosave with the item's version check, retries, flushing before the
 * editor leaves the item, and the 409 conflict (fetch their copy, "keep mine" or "take theirs").
 */

import { assignNewIds, contentKey, diffLists, keyedAnns, keyedApi, toInput } from './annotations';
import { CoreState } from './core-state';
import { isConflict } from './types';

/** An error a SaveFn may throw with an HTTP status; 4xx other than 408/429 are not retried automatically. */
function isPermanent(err: unknown): boolean {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

function message(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export abstract class SavingCore extends CoreState {
  // ---- saving --------------------------------------------------------------------------------------------

  /** After an edit: mark unsaved and (re)start the autosave countdown. */
  protected override changed(): void {
    if (this.saveStatus !== 'conflict' && !this.readonly) {
      if (this.anns === this.syncedAnns && !this.inflight) this.saveStatus = 'saved';
      else {
        if (this.saveStatus !== 'saving') this.saveStatus = 'pending';
        this.schedule(this.delay);
      }
    }
    this.emit();
  }

  private schedule(ms: number): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = this.timers.set(() => {
      this.timer = null;
      void this.saveNow();
    }, ms);
  }

  /** Save now if anything is unsaved, and wait for it (used when leaving the item). */
  async flush(): Promise<void> {
    if (this.timer !== null) {
      this.timers.clear(this.timer);
      this.timer = null;
    }
    while (this.inflight) await this.inflight;
    if (this.anns !== this.syncedAnns) await this.saveNow();
  }

  /** Send the whole list with the version; on success adopt the new version and the new ids. */
  saveNow(): Promise<void> {
    if (this.inflight) return this.inflight;
    if (this.readonly || !this.saveFn || this.saveStatus === 'conflict') return Promise.resolve();
    if (this.anns === this.syncedAnns) {
      this.saveStatus = 'saved';
      this.emit();
      return Promise.resolve();
    }
    const save = this.saveFn;
    const snapshot = this.anns;
    const sent = snapshot.map((a) => ({ key: a.key, id: this.idOf(a.key), content: contentKey(a) }));
    const payload = snapshot.map((a, i) => toInput(a, sent[i]!.id));
    this.saveStatus = 'saving';
    this.emit();
    const run = async (): Promise<void> => {
      try {
        const res = await save(this.version, payload);
        this.version = res.version;
        for (const [key, id] of assignNewIds(sent, res.annotations)) this.ids.set(key, id);
        this.serverIds = new Set(res.annotations.map((a) => a.id));
        this.base = keyedApi(res.annotations);
        this.syncedAnns = snapshot;
        this.saveError = null;
        this.retries = 0;
        this.lastSavedAt = Date.now();
        this.saveStatus = this.anns === snapshot ? 'saved' : 'pending';
      } catch (err) {
        if (isConflict(err)) {
          this.enterConflict(err.currentVersion);
        } else {
          this.saveStatus = 'error';
          this.saveError = message(err);
          if (!isPermanent(err)) {
            this.retries += 1;
            this.schedule(Math.min(60_000, this.retryBase * 2 ** (this.retries - 1)));
          }
        }
      } finally {
        this.inflight = null;
      }
      if (this.saveStatus === 'pending') this.schedule(this.delay);
      this.emit();
    };
    this.inflight = run();
    return this.inflight;
  }

  private enterConflict(currentVersion: number | null): void {
    if (this.timer !== null) {
      this.timers.clear(this.timer);
      this.timer = null;
    }
    this.saveStatus = 'conflict';
    this.conflict = {
      currentVersion,
      theirs: null,
      loading: !!this.loadFn,
      error: this.loadFn ? null : 'The server copy cannot be fetched here',
      theirChanges: null,
      yourChanges: diffLists(this.base, keyedAnns(this.anns, (k) => this.idOf(k))),
      mineOverTheirs: null,
    };
    if (this.loadFn) void this.fetchTheirs();
  }

  /** Fetch the server's copy for the conflict panel. */
  async fetchTheirs(): Promise<void> {
    const c = this.conflict;
    if (!c || !this.loadFn) return;
    c.loading = true;
    c.error = null;
    this.emit();
    try {
      const theirs = await this.loadFn();
      if (this.conflict !== c) return;
      const theirKeyed = keyedApi(theirs.annotations);
      c.theirs = theirs;
      c.theirChanges = diffLists(this.base, theirKeyed);
      c.yourChanges = diffLists(this.base, keyedAnns(this.anns, (k) => this.idOf(k)));
      const theirIds = new Set(theirs.annotations.map((a) => a.id));
      const mine = keyedAnns(this.anns, (k) => {
        const id = this.idOf(k);
        return id !== null && theirIds.has(id) ? id : null;
      });
      c.mineOverTheirs = diffLists(theirKeyed, mine);
    } catch (err) {
      if (this.conflict === c) c.error = message(err);
    } finally {
      if (this.conflict === c) c.loading = false;
      this.emit();
    }
  }

  /**
   * Settle a conflict. `mine` saves this editor's list over the server's copy (annotations they deleted come
   * back as new ones); `theirs` replaces this editor's list with theirs, as an undoable step.
   */
  async resolveConflict(choice: 'mine' | 'theirs'): Promise<void> {
    const c = this.conflict;
    if (!c) return;
    if (!c.theirs) await this.fetchTheirs();
    const theirs = c.theirs;
    if (!theirs) return;
    this.conflict = null;
    this.version = theirs.version;
    this.serverIds = new Set(theirs.annotations.map((a) => a.id));
    this.base = keyedApi(theirs.annotations);
    if (choice === 'mine') {
      this.saveStatus = 'pending';
      this.syncedAnns = [];
      this.emit();
      await this.saveNow();
      return;
    }
    const list = this.adoptServerList(theirs.annotations);
    this.history.push(this.anns, 'take their version');
    this.anns = list;
    this.syncedAnns = list;
    this.fixSelection();
    this.saveStatus = 'saved';
    this.notify('Loaded their version (Ctrl+Z brings yours back)');
  }

  dispose(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    this.listeners.clear();
  }
}
