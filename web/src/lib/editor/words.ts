/** What both editors say in words: the save state, and the tone of an annotation's review state. */

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
