/** What both editors say in words: the save state and why a save failed, and the tone of an annotation's review state. */

import type { SaveStatus } from './core';

/** The save state in words ("Saved" before the first save of the session, then "All changes saved"). */
export const SAVE_TEXT: Record<SaveStatus, (savedOnce: boolean) => string> = {
  saved: (once) => (once ? 'All changes saved' : 'Saved'),
  pending: () => 'Unsaved changes',
  saving: () => 'Saving…',
  error: () => 'Not saved',
  conflict: () => 'Conflict: not saved',
  readonly: () => 'Read-only',
};

/** The badge tone for an annotation's state (accepted, rejected, proposed). */
export function stateTone(state: string): 'success' | 'danger' | 'warning' {
  return state === 'accepted' ? 'success' : state === 'rejected' ? 'danger' : 'warning';
}

/** Why a save failed, for the status line: "the server cannot be reached; retrying" rather than "Failed to fetch". */
export function saveFailure(err: unknown, retrying: boolean): string {
  const status = (err as { status?: unknown } | null)?.status;
  const text = err instanceof Error ? err.message : String(err);
  let why: string;
  if (status === 0 || (typeof status !== 'number' && (err instanceof TypeError || /fetch|network/i.test(text)))) {
    why = 'the server cannot be reached';
  } else if (typeof status === 'number' && status >= 500) why = `the server had a problem (HTTP ${status})`;
  else if (status === 408 || status === 429) why = 'the server is busy';
  else why = text || 'the server refused it';
  return retrying ? `${why}; retrying` : why;
}

/** Which annotation of the list sent a refused save names, from its problem's field ("annotations[2].attributes.colour"
 * gives 2), or null when it names none. */
export function refusedIndex(err: unknown): number | null {
  const field = (err as { problem?: { field?: unknown } } | null)?.problem?.field;
  const m = typeof field === 'string' ? /^annotations\[(\d+)\]/.exec(field) : null;
  return m ? Number(m[1]) : null;
}

/** A refusal's words with the list position the server names ("annotations[2]: …") told as the shape it is
 * ("car box: …"), which a person can find. */
export function refusalAbout(reason: string, shape: { label: string | null; kind: string }): string {
  const told = reason.replace(/^annotations\[\d+\]:\s*/, `${shape.label ?? 'unlabelled'} ${shape.kind}: `);
  // A value the editor offered and the server refuses: the project's attribute settings changed since the page
  // was opened (an option taken out, a type changed), and only a reload shows the new ones.
  return /: attribute '.*' (is not one of|must be|does not apply)/.test(told)
    ? `${told} (the project's attributes may have changed since this page was opened: reload it to see them)`
    : told;
}
