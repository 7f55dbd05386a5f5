/**
 * Saving, on top of the state core: autosave with the item's version check, retries, and flushing before the
 * editor leaves the item. A 409 hands over to the conflict layer (`core-conflict.ts`).
 */

import { assignNewIds, contentKey, toInput } from './annotations';
import { CoreState } from './core-state';
import { isConflict } from './types';
import { refusalAbout, refusedIndex, saveFailure } from './words';

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

  protected schedule(ms: number): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = this.timers.set(() => {
      this.timer = null;
      void this.saveNow();
    }, ms);
  }

  /** Save now if anything is unsaved, and wait for it (used when leaving the item). */
  async flush(): Promise<void> {
    this.stopTimer();
    while (this.inflight) await this.inflight;
    if (this.anns !== this.syncedAnns) await this.saveNow();
  }

  /** A failed save that will be retried goes out now (the browser is back online, the tab is shown again);
   * refusals a retry cannot mend, and saves that did not fail, are left alone. */
  retryFailed(): Promise<void> {
    if (this.saveStatus !== 'error' || this.timer === null) return this.inflight ?? Promise.resolve();
    return this.flush();
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
        this.setBase(res.annotations);
        this.syncedAnns = snapshot;
        this.saveError = null;
        this.saveReason = null;
        this.retries = 0;
        this.lastSavedAt = Date.now();
        this.saveStatus = this.anns === snapshot ? 'saved' : 'pending';
      } catch (err) {
        if (isConflict(err)) {
          this.enterConflict(err.currentVersion);
        } else {
          this.saveStatus = 'error';
          this.saveError = message(err);
          const retrying = !isPermanent(err);
          this.saveReason = saveFailure(err, retrying);
          if (!retrying) this.pointAt(snapshot[refusedIndex(err) ?? -1]?.key ?? null);
          if (retrying) {
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

  /**
   * A save refused for one annotation (a 422 naming `annotations[i]`): select it when it is still there and the
   * Select tool is in use (not while drawing), say the refusal in terms of the shape, and show it in full.
   */
  private pointAt(key: string | null): void {
    const a = this.get(key);
    if (!a || this.saveReason === null) return;
    this.saveReason = refusalAbout(this.saveReason, a);
    if (this.tool === 'select' && a.kind !== 'class') this.selectedKey = a.key;
    this.notice = { text: `Not saved: ${this.saveReason}`, tone: 'error', at: Date.now() };
  }

  /** A save came back 409: stop autosaving and open the conflict (`core-conflict.ts`). */
  protected abstract enterConflict(currentVersion: number | null): void;

  protected stopTimer(): void {
    if (this.timer !== null) {
      this.timers.clear(this.timer);
      this.timer = null;
    }
  }

  dispose(): void {
    this.stopTimer();
    this.listeners.clear();
  }
}
