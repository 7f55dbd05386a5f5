/**
 * The video editor's hidden and locked tracks for one item, as Svelte state that the stage, the timeline, the
 * track list and the session read (`flags.ts` has the rules, the stored form and the words). Each change is kept
 * at once in the tab's sessionStorage under the item's key, so a reload shows the same; another item has its own.
 * Nothing goes to the server.
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

  /** The flags of item `itemId`, kept in this tab; they speak through the session's notice, and lock its tracks. */
  static forSession(session: VideoSession, projectId: number, itemId: number): TrackFlags {
    const flags = new TrackFlags(flagsKey(projectId, itemId), tabStore(), (text) => session.notify(text));
    session.locked = (id) => flags.isLocked(id);
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
   * The item's tracks now: the flags of tracks that are gone are dropped, so that a new track the server gives a
   * freed id starts shown and unlocked.
   */
  keepTracks(ids: Iterable<number>): void {
    const now = new Set(ids);
    const hidden = kept(this.hidden, now);
    const locked = kept(this.locked, now);
    if (hidden === this.hidden && locked === this.locked) return;
    this.hidden = hidden;
    this.locked = locked;
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
