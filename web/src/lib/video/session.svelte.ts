/**
 * One video item's tracks as the editor holds them, and every change sent to the server one after another,
 * each with the item version the last answer gave. A change shows at once (the track is changed locally), is
 * replaced by the server's answer, and is undone by a reload when the server refuses it. On 409 the tracks are
 * reloaded and the change waits in `conflict` until the person applies it again or drops it.
 *
 * Propagation jobs are followed per track (several at once); when one finishes, the tracks are reloaded. The
 * fields are Svelte state (`$state.raw`: tracks are replaced, never changed in place), so the panels, the stage
 * and the timeline read them directly. The commands on top of this (keyframe, outside, ..., undo) are in `edits.ts`.
 */

import type { AttributeSpec } from '../attributes';
import { isConflict } from '../editor/types';
import { lockedText } from './flags';
import { UndoHistory } from './history';
import { JobFollowers } from './job-followers';
import type { Job, Track, TrackResult, TrackServer, TracksResult } from './types';

export type SaveState = 'saved' | 'saving' | 'error' | 'conflict' | 'readonly';

export interface VideoConflict {
  /** The change that was not saved, in words ("move the box of track 3 on frame 20"). */
  what: string;
  /** The item version the server has, once the tracks are reloaded. */
  theirs: number | null;
  loading: boolean;
  error: string | null;
}

export interface Notice {
  text: string;
  tone: 'info' | 'warn' | 'error';
  at: number;
}

export type Answer = TrackResult | TracksResult | { version: number };

/** A change to send: its words, the request (with the version to send), and how it shows before the answer. */
export interface Edit {
  what: string;
  send: (version: number) => Promise<Answer>;
  local?: () => void;
  /**
   * Once the server took it, also when sent again after a 409: the undo history learns of a change here, so a
   * change that was refused or dropped for theirs is never undone.
   */
  saved?: (answer: Answer) => void;
}

export interface SessionOptions {
  readonly: boolean;
  frameCount: number;
  width: number;
  height: number;
  fps: number | null;
  version: number;
  /** The attributes the project declares (tracks carry values for them). */
  attributes?: readonly AttributeSpec[];
  /** Shows a server error to the person (the app's toasts: title, detail and the field it names). */
  report: (err: unknown, context: string) => void;
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class VideoSession {
  tracks: Track[] = $state.raw([]);
  version = $state(0);
  frameCount = $state(1);
  width = $state(1);
  height = $state(1);
  fps: number | null = $state(null);
  frame = $state(0);
  selected: number | null = $state(null);
  saveState: SaveState = $state('saved');
  saveError: string | null = $state(null);
  lastSavedAt: number | null = $state(null);
  conflict: VideoConflict | null = $state.raw(null);
  /** The job followed per track id (running, or the last one that ended this session). */
  jobs: ReadonlyMap<number, Job> = $state.raw(new Map());
  notice: Notice | null = $state.raw(null);
  loaded = $state(false);
  loadError: unknown = $state.raw(null);
  /** What Ctrl+Z would undo, and Ctrl+Shift+Z redo (the toolbar's buttons); null for nothing. */
  undoWhat: string | null = $state(null);
  redoWhat: string | null = $state(null);
  /** Undo and redo (`edits.ts` pushes the steps and sends them). */
  readonly history = new UndoHistory(() => {
    this.undoWhat = this.history.undoWhat;
    this.redoWhat = this.history.redoWhat;
  });

  readonly readonly: boolean;
  readonly server: TrackServer;
  readonly attributes: readonly AttributeSpec[];
  private readonly report: (err: unknown, context: string) => void;
  private chain: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private refreshQueued = false;
  private waiting: Edit | null = null;
  private readonly followers: JobFollowers;
  private disposed = false;

  constructor(server: TrackServer, o: SessionOptions) {
    this.server = server;
    this.followers = new JobFollowers((jobId, onUpdate, signal) => server.follow(jobId, onUpdate, signal));
    this.readonly = o.readonly;
    this.attributes = o.attributes ?? [];
    this.report = o.report;
    this.frameCount = Math.max(1, o.frameCount);
    this.width = Math.max(1, o.width);
    this.height = Math.max(1, o.height);
    this.fps = o.fps;
    this.version = o.version;
    this.saveState = o.readonly ? 'readonly' : 'saved';
  }

  // ---- reading ---------------------------------------------------------------------------------------------

  track(id: number | null): Track | null {
    return id === null ? null : (this.tracks.find((t) => t.track_id === id) ?? null);
  }

  get selectedTrack(): Track | null {
    return this.track(this.selected);
  }

  /** The track's job: the one followed this session, else the latest the server reported. */
  jobOf(id: number): Job | null {
    return this.jobs.get(id) ?? this.track(id)?.job ?? null;
  }

  /** Tracks with a propagation job queued or running. */
  get propagating(): number {
    let n = 0;
    for (const t of this.tracks) {
      const j = this.jobOf(t.track_id);
      if (j && !FINISHED.has(j.status)) n++;
    }
    return n;
  }

  notify(text: string, tone: Notice['tone'] = 'info'): void {
    this.notice = { text, tone, at: Date.now() };
  }

  // ---- frames and selection --------------------------------------------------------------------------------

  seek(f: number): void {
    const n = Math.max(0, Math.min(this.frameCount - 1, Math.round(f)));
    if (n !== this.frame) this.frame = n;
  }

  select(id: number | null): void {
    this.selected = id !== null && this.track(id) ? id : null;
  }

  // ---- loading ---------------------------------------------------------------------------------------------

  async load(): Promise<void> {
    this.loadError = null;
    try {
      await this.fetchTracks();
      this.loaded = true;
      for (const t of this.tracks) if (t.job && !FINISHED.has(t.job.status)) this.follow(t.track_id, t.job);
    } catch (err) {
      this.loadError = err;
    }
  }

  /**
   * Reload the tracks after the changes in flight (several requests for all of them collapse into one). With `id`,
   * only that track (what its finished propagation wrote) while the item's version is still ours; when it moved,
   * someone else changed the video meanwhile, and every track is read again.
   */
  refresh(id?: number): Promise<void> {
    if (id === undefined && this.refreshQueued) return this.chain;
    if (id === undefined) this.refreshQueued = true;
    this.chain = this.chain.then(async () => {
      if (id === undefined) this.refreshQueued = false;
      try {
        const one = id === undefined ? null : await this.server.list(id);
        if (this.disposed) return;
        if (id === undefined || one === null || one.version !== this.version) return await this.fetchTracks();
        const t = one.tracks.find((x) => x.track_id === id);
        if (t) this.putTrack(t);
        else this.dropTrack(id);
      } catch (err) {
        this.report(err, id === undefined ? 'Could not reload the tracks' : `Could not reload track ${id}`);
      }
    });
    return this.chain;
  }

  /** After a refused change: reload the tracks and stop saying "Not saved" (the reason was shown). */
  async clearError(): Promise<void> {
    await this.refresh();
    if (this.saveState === 'error') {
      this.saveState = 'saved';
      this.saveError = null;
    }
  }

  private async fetchTracks(): Promise<void> {
    const set = await this.server.list();
    if (this.disposed) return;
    this.tracks = set.tracks;
    this.version = set.version;
    this.frameCount = Math.max(1, set.frame_count);
    this.width = Math.max(1, set.width);
    this.height = Math.max(1, set.height);
    this.fps = set.fps;
    if (this.selected !== null && !this.track(this.selected)) this.selected = null;
    if (this.frame >= this.frameCount) this.frame = this.frameCount - 1;
  }

  // ---- changes ---------------------------------------------------------------------------------------------

  /** Replace (or add) a track by id, keeping the list in id order. */
  putTrack(t: Track): void {
    const rest = this.tracks.filter((x) => x.track_id !== t.track_id);
    rest.push(t);
    rest.sort((a, b) => a.track_id - b.track_id);
    this.tracks = rest;
  }

  dropTrack(id: number): void {
    this.tracks = this.tracks.filter((t) => t.track_id !== id);
    if (this.selected === id) this.selected = null;
  }

  /** A track another change removed (merged into another): stop following its job, drop it. */
  private forget(id: number): void {
    this.followers.stop(id);
    if (this.jobs.has(id)) {
      const m = new Map(this.jobs);
      m.delete(id);
      this.jobs = m;
    }
    this.dropTrack(id);
  }

  /** Whether track `id` is locked (the editor's `TrackFlags`): changes to it are refused here, nothing is sent. */
  locked: (id: number) => boolean = () => false;

  /** True (and the person is told why) when no change can be sent now, or none to tracks `ids` (one is locked). */
  refusesChanges(ids: readonly number[] = [], what?: string): boolean {
    const locked = ids.find((id) => this.locked(id));
    if (this.readonly) this.notify('You can look but not edit this item', 'warn');
    else if (this.conflict) this.notify('Settle the conflict first: apply your change again or keep theirs', 'warn');
    else if (locked !== undefined) this.notify(lockedText(locked, locked === this.selected, what), 'warn');
    else return false;
    return true;
  }

  /** Send a change after those in flight; resolves with the server's answer, or null when it was not saved. */
  edit(e: Edit): Promise<Answer | null> {
    if (this.refusesChanges()) return Promise.resolve(null);
    e.local?.();
    this.inFlight++;
    this.saveState = 'saving';
    let answer: Answer | null = null;
    this.chain = this.chain.then(async () => {
      answer = await this.send(e);
    });
    return this.chain.then(() => answer);
  }

  private async send(e: Edit): Promise<Answer | null> {
    try {
      // A change queued behind one that conflicted is not sent: the reload showed their tracks instead.
      if (this.conflict) return null;
      const r = await e.send(this.version);
      if (this.disposed) return r;
      this.version = r.version;
      if ('track' in r) {
        this.putTrack(r.track);
        if (r.job) this.follow(r.track.track_id, r.job);
      }
      if ('tracks' in r) {
        // A split, a merge or an undo of one: the tracks made, changed or brought back, the tracks removed. An
        // undo queues no job: a track back carries its latest, followed only while it runs.
        for (const id of r.removed) this.forget(id);
        for (const t of r.tracks) {
          this.putTrack(t);
          if (t.job && !FINISHED.has(t.job.status)) this.follow(t.track_id, t.job);
        }
      }
      this.lastSavedAt = Date.now();
      this.saveError = null;
      e.saved?.(r);
      return r;
    } catch (err) {
      if (isConflict(err)) await this.onConflict(e);
      else {
        this.saveError = errorText(err);
        this.saveState = 'error';
        this.report(err, `Could not ${e.what}`);
        // The local change is not what the server has: show the server's tracks again.
        try {
          await this.fetchTracks();
        } catch (reloadErr) {
          this.report(reloadErr, 'Could not reload the tracks');
        }
      }
      return null;
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.saveState === 'saving') this.saveState = 'saved';
    }
  }

  private async onConflict(e: Edit): Promise<void> {
    // An undo sends the inverse of a step at the current version; after the reload that is their version, so an
    // old step undone would overwrite what they changed without a 409. Undo starts again from their tracks.
    this.history.clear();
    this.waiting = e;
    this.saveState = 'conflict';
    this.conflict = { what: e.what, theirs: null, loading: true, error: null };
    await this.fetchTheirs();
  }

  /** Reload the tracks for the conflict panel (again, after it failed). */
  async fetchTheirs(): Promise<void> {
    const c = this.conflict;
    if (!c) return;
    this.conflict = { ...c, loading: true, error: null };
    try {
      await this.fetchTracks();
      if (this.conflict) this.conflict = { ...this.conflict, theirs: this.version, loading: false };
    } catch (err) {
      if (this.conflict) this.conflict = { ...this.conflict, loading: false, error: errorText(err) };
    }
  }

  /** After a 409: send the change again on top of their version (`mine`), or drop it (`theirs`). */
  resolveConflict(choice: 'mine' | 'theirs'): Promise<unknown> {
    const e = this.waiting;
    this.waiting = null;
    this.conflict = null;
    this.saveState = this.readonly ? 'readonly' : 'saved';
    if (choice === 'mine' && e) return this.edit(e);
    return Promise.resolve();
  }

  // ---- propagation jobs ------------------------------------------------------------------------------------

  private setJob(id: number, job: Job): void {
    const m = new Map(this.jobs);
    m.set(id, job);
    this.jobs = m;
  }

  /** Follow a track's propagation job (a newer one replaces it); reload the track when it has succeeded. */
  follow(id: number, job: Job): void {
    this.followers.stop(id);
    this.setJob(id, job);
    if (FINISHED.has(job.status)) return this.finished(id, job);
    this.followers.start(id, job.id, {
      update: (j) => !this.disposed && this.setJob(id, j),
      done: (j) => {
        if (this.disposed) return;
        this.setJob(id, j);
        this.finished(id, j);
      },
      failed: (err) => !this.disposed && this.report(err, `Could not follow the propagation of track ${id}`),
    });
  }

  private finished(id: number, job: Job): void {
    if (job.status === 'succeeded') {
      // A superseded job's result was replaced by a newer edit, whose own job is followed.
      if (!job.result?.superseded) void this.refresh(id);
    } else if (job.status === 'failed') {
      const e = job.error as { title?: string; detail?: string } | null;
      this.notify(`Propagation of track ${id} failed: ${e?.detail ?? e?.title ?? job.message}`, 'error');
      void this.refresh();
    }
  }

  async propagate(id: number, method: 'track' | 'interpolate'): Promise<void> {
    if (this.readonly || this.locked(id)) return void this.refusesChanges([id]);
    try {
      const job = await this.server.propagate(id, method);
      this.follow(id, job);
    } catch (err) {
      this.report(err, `Could not propagate track ${id}`);
    }
  }

  /** Wait for the changes in flight (tests, and before leaving the item). */
  settled = (): Promise<void> => this.chain;

  dispose(): void {
    this.disposed = true;
    this.followers.stopAll();
  }
}
