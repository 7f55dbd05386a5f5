/**
 * Hiding and locking tracks in the video editor, as CVAT does per object: a hidden track is not drawn on the
 * frame and cannot be hit there (its lane is faint, its card dimmed); a locked track is drawn and can be selected
 * but not changed. `H` hides every track but the selected one for a moment, as the image editor's `H` does, and
 * a second `H` shows exactly what was shown before (it is a flag over the per-track choices, not a change to them).
 *
 * Display and safety only: nothing here goes to the server. The per-track choices are kept for the browser tab
 * (sessionStorage, per project and item) in the form `parseFlags` checks when it reads them back; "every track
 * hidden" is not kept (a reload shows the tracks). Pure functions and the words the editor says, tested without a
 * browser; the Svelte state is `track-flags.svelte.ts`.
 */

/** What is kept per item: the ids of the hidden and the locked tracks, ascending. */
export interface KeptFlags {
  hidden: number[];
  locked: number[];
}

/** More ids than any item has tracks: a stored list longer than this is not ours. */
const MAX_IDS = 100_000;

export const NO_FLAGS: Readonly<KeptFlags> = Object.freeze({ hidden: [], locked: [] });

/** The sessionStorage key of an item's hidden and locked tracks. */
export function flagsKey(projectId: number, itemId: number): string {
  return `labelhub.video.trackFlags:${projectId}:${itemId}`;
}

function ids(v: unknown): number[] | null {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > MAX_IDS) return null;
  if (!v.every((x) => Number.isSafeInteger(x) && (x as number) >= 0)) return null;
  return [...new Set(v as number[])].sort((a, b) => a - b);
}

/**
 * The flags as stored, or none when there are none or the stored text is not what `flagsText` writes (edited by
 * hand, an older form): the tracks then show unlocked, which is safe to see and harmless to fix.
 */
export function parseFlags(raw: string | null): KeptFlags {
  if (!raw) return { hidden: [], locked: [] };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return { hidden: [], locked: [] };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { hidden: [], locked: [] };
  const o = v as Record<string, unknown>;
  const hidden = ids(o.hidden);
  const locked = ids(o.locked);
  return hidden && locked ? { hidden, locked } : { hidden: [], locked: [] };
}

/** The text to keep, or null when nothing is hidden or locked (the key is then removed). */
export function flagsText(hidden: Iterable<number>, locked: Iterable<number>): string | null {
  const h = [...hidden].sort((a, b) => a - b);
  const l = [...locked].sort((a, b) => a - b);
  return h.length || l.length ? JSON.stringify({ hidden: h, locked: l }) : null;
}

/** `set` with `id` added, or taken out when it was there. */
export function toggled(set: ReadonlySet<number>, id: number): Set<number> {
  const out = new Set(set);
  if (!out.delete(id)) out.add(id);
  return out;
}

/** `set` without the ids that are no longer tracks; the same set when nothing went (no needless redraw). */
export function kept(set: ReadonlySet<number>, tracks: ReadonlySet<number>): ReadonlySet<number> {
  for (const id of set) if (!tracks.has(id)) return new Set([...set].filter((x) => tracks.has(x)));
  return set;
}

/** Whether track `id` is drawn: not hidden on its own, and with every track hidden (`H`) only the selected one. */
export function isShown(hidden: ReadonlySet<number>, allHidden: boolean, id: number, selected: number | null): boolean {
  return !hidden.has(id) && (!allHidden || id === selected);
}

// ---- words -----------------------------------------------------------------------------------------------

/** What selecting a hidden track (from the list, a lane, Tab) says, and its card. */
export function hiddenText(id: number, own: boolean): string {
  return own ? `Track ${id} is hidden (Shift+H shows it)` : `Track ${id} is hidden with every track (H shows them)`;
}

/** Why a change to locked track `id` was refused; `what` names it ("undo: move the box …"). */
export function lockedText(id: number, selected: boolean, what?: string): string {
  const how = selected ? 'L unlocks it' : 'its lock button in the track list unlocks it';
  return what ? `Cannot ${what}: track ${id} is locked (${how})` : `Track ${id} is locked (${how})`;
}

/** After Shift+H (or the eye) on track `id`; `selected`: it is the selected track (Shift+H acts on it). */
export function hideNotice(id: number, hidden: boolean, allHidden: boolean, selected: boolean): string {
  if (allHidden) return `Track ${id} will be ${hidden ? 'hidden' : 'shown'} when H shows the tracks again`;
  return hidden ? `Track ${id} is hidden (${selected ? 'Shift+H' : 'its eye button'} shows it)` : `Track ${id} is shown again`;
}

/** After `H`: `hiddenOwn` tracks stay hidden on their own when the rest come back. */
export function allNotice(allHidden: boolean, selected: number | null, hiddenOwn: number): string {
  if (allHidden) {
    const but = selected !== null ? ` but the selected track ${selected}` : '';
    return `Every track${but} is hidden (H shows them again)`;
  }
  const own = hiddenOwn === 0 ? '' : hiddenOwn === 1 ? ' (1 stays hidden on its own)' : ` (${hiddenOwn} stay hidden on their own)`;
  return `The tracks are shown again${own}`;
}

/** After `L` (or the lock button) on track `id`; `selected`: it is the selected track (L acts on it). */
export function lockNotice(id: number, locked: boolean, selected: boolean): string {
  if (!locked) return `Track ${id} is unlocked`;
  return `Track ${id} is locked: it cannot be moved, changed or deleted (${selected ? 'L' : 'its lock button'} unlocks it)`;
}
