/**
 * The video editor's hidden and locked tracks for one item, as Svelte state that the stage, the timeline, the
 * track list and the session read (`flags.ts` has the rules, the stored form and the words). Each change is kept
 * at once in the tab's sessionStorage under the item's key, so a reload shows the same; another item has its own.
 * Nothing goes to the server. A track that goes (deleted, merged away) loses its flags, so that a new track given
 * its id starts plain; an undo that brings that same track back (`UndoHistory.back`) gives them back.
 */

import { allNotice, flagsKey, flagsText, hideNotice, isShown, kept, lockNotice, parseFlags, toggled } from './flags';
import type { VideoSession } from './session.svelte';
import type { ShapeFlags } from './shapes';

/** The part of the Web Storage API kept flags use (sessionStorage in the browser). */
export type FlagStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** The tab's sessionStorage, or null where the browser denies it (the flags then last as long as the page). */
export function tabStore(): FlagStore | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

export class TrackFlags {
  /** Tracks hidden one by one (Shift+H, the eye). */
  hidden: ReadonlySet<number> = $state.raw(new Set());
  locked: ReadonlySet<number> = $state.raw(new Set());
  /** `H`: every track hidden but the selected one, over the per-track choices. */
  allHidden = $state(false);
  /** The flags of tracks that went while the item was open, for an undo that brings one back. */
  private readonly gone = new Map<number, { hidden: boolean; locked: boolean }>();

  constructor(
    private readonly key: string,
    private readonly store: FlagStore | null,
    /** Says what a change did (the editor's notice). */
    private readonly tell: (text: string) => void = () => {},
  ) {
    let raw: string | null = null;
    try {
      raw = store?.getItem(key) ?? null;
    } catch {
      // Storage denied: nothing was kept.
    }
    const k = parseFlags(raw);
    this.hidden = new Set(k.hidden);
    this.locked = new Set(k.locked);
  }

  /**
   * The flags of item `itemId`, kept in this tab; they speak through the session's notice, lock its tracks, and
   * come back with a track its undo history brings back.
   */
  static forSession(session: VideoSession, projectId: number, itemId: number): TrackFlags {
    const flags = new TrackFlags(flagsKey(projectId, itemId), tabStore(), (text) => session.notify(text));
    session.locked = (id) => flags.isLocked(id);
    session.history.onback = (id) => flags.bringBack(id);
    return flags;
  }

  /** What the stage draws and hits with track `selected` selected (`frameShapes`). */
  onStage(selected: number | null): ShapeFlags {
    return { shown: (id) => this.shown(id, selected), locked: (id) => this.isLocked(id) };
  }

  /** Whether track `id` is drawn on the frame (and can be hit there). */
  shown(id: number, selected: number | null): boolean {
    return isShown(this.hidden, this.allHidden, id, selected);
  }

  isLocked(id: number): boolean {
    return this.locked.has(id);
  }

  /** Shift+H or the eye: hide track `id`, or show it again; `selected` says whether it is the selected track. */
  toggleHidden(id: number, selected: boolean): void {
    this.hidden = toggled(this.hidden, id);
    this.save();
    this.tell(hideNotice(id, this.hidden.has(id), this.allHidden, selected));
  }

  /** `H`: hide every track but the selected one; again, show what was shown before. */
  toggleAll(selected: number | null): void {
    this.allHidden = !this.allHidden;
    this.tell(allNotice(this.allHidden, selected, this.hidden.size));
  }

  /** `L` or the lock button: lock track `id`, or unlock it. */
  toggleLocked(id: number, selected: boolean): void {
    this.locked = toggled(this.locked, id);
    this.save();
    this.tell(lockNotice(id, this.locked.has(id), selected));
  }

  /**
   * The item's tracks now: the flags of tracks that are gone are dropped (and set aside for an undo that brings one
   * back), so that a new track the server gives a freed id starts shown and unlocked.
   */
  keepTracks(ids: Iterable<number>): void {
    const now = new Set(ids);
    // A track here again that no undo brought back is a new one given the id: what the old one had is forgotten.
    for (const id of this.gone.keys()) if (now.has(id)) this.gone.delete(id);
    const hidden = kept(this.hidden, now);
    const locked = kept(this.locked, now);
    if (hidden === this.hidden && locked === this.locked) return;
    for (const id of new Set([...this.hidden, ...this.locked])) {
      if (!now.has(id)) this.gone.set(id, { hidden: this.hidden.has(id), locked: this.locked.has(id) });
    }
    this.hidden = hidden;
    this.locked = locked;
    this.save();
  }

  /** Track `id` is back as itself (an undone delete or merge): hidden and locked again as it was when it went. */
  bringBack(id: number): void {
    const was = this.gone.get(id);
    if (!was) return;
    this.gone.delete(id);
    if (was.hidden) this.hidden = new Set([...this.hidden, id]);
    if (was.locked) this.locked = new Set([...this.locked, id]);
    this.save();
  }

  private save(): void {
    try {
      const text = flagsText(this.hidden, this.locked);
      if (text === null) this.store?.removeItem(this.key);
      else this.store?.setItem(this.key, text);
    } catch {
      // Storage full or denied: the flags still hold for this page.
    }
  }
}
