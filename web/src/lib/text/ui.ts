/** Small pieces the text editor's components share. */

import type { SaveStatus } from '../editor/core';

/** The save state in words, as the image editor says it ("Saved" before the first save of the session). */
export const SAVE_TEXT: Record<SaveStatus, (savedOnce: boolean) => string> = {
  saved: (once) => (once ? 'All changes saved' : 'Saved'),
  pending: () => 'Unsaved changes',
  saving: () => 'Saving…',
  error: () => 'Not saved',
  conflict: () => 'Conflict: not saved',
  readonly: () => 'Read-only',
};

/** Keys that belong to the focused control (a text field, a button's Enter) rather than to the editor. */
export function ownedByControl(t: EventTarget | null, key: string): boolean {
  if (!(t instanceof HTMLElement)) return false;
  if (t.isContentEditable || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT') return true;
  if ((key === 'Enter' || key === ' ') && (t.tagName === 'BUTTON' || t.tagName === 'A')) return true;
  if (t.tagName !== 'INPUT') return false;
  const type = (t as HTMLInputElement).type;
  if (type === 'checkbox' || type === 'radio') return key === ' ';
  return type !== 'button';
}
