/**
 * The clipboard keys of the image editor (Ctrl/Cmd+C, X, V): the commands are `EditorCore`'s, the clip lives in
 * `clipboard.ts`. Copying also writes the shapes as JSON text to the system clipboard when the browser allows it;
 * nothing depends on that (pasting reads the editor's own clip, which survives moving between items).
 */

import { clipText, currentClip } from './clipboard';
import type { EditorCore } from './core';
import type { Action } from './keymap';

export type ClipAction = Extract<Action, 'clip.copy' | 'clip.cut' | 'clip.paste'>;

export function isClipAction(a: Action): a is ClipAction {
  return a === 'clip.copy' || a === 'clip.cut' || a === 'clip.paste';
}

/** Whether Ctrl+C / Ctrl+X belong to the page: text is selected on it (a name, a message), which the browser copies.
 * Not while the image has the keyboard: clicking it leaves a selection of text made before in place (the canvas
 * keeps its pointer presses), and the person, back on the image, means its shapes. */
export function leftToPage(a: ClipAction, doc: Pick<Document, 'getSelection'> & { activeElement?: Element | null } = document): boolean {
  if (a === 'clip.paste' || doc.activeElement?.tagName === 'CANVAS') return false;
  const s = doc.getSelection();
  return s !== null && !s.isCollapsed && s.toString().trim() !== '';
}

/** Runs a clipboard key on `core` and says the outcome ("Pasted 3 shapes") to `say` (the live region). */
export function runClipboard(a: ClipAction, core: EditorCore, say: (text: string) => void): void {
  const done = a === 'clip.copy' ? core.copySelected() > 0 : a === 'clip.cut' ? core.cutSelected() > 0 : core.paste().length > 0;
  if (core.notice) say(core.notice.text);
  const clip = currentClip();
  if (done && a !== 'clip.paste' && clip) writeSystemClipboard(clipText(clip));
}

function writeSystemClipboard(text: string): void {
  try {
    // Refused outside a secure context or without the permission: the editor's own clip still holds the shapes.
    void navigator.clipboard?.writeText(text).catch(() => undefined);
  } catch {
    // No clipboard API at all.
  }
}
