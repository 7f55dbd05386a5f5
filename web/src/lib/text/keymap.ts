/** The text editor's shortcuts: one table for the key handler and the help overlay (`?`). */

import type { LabelClass } from '../editor/types';

export type TextAction =
  | 'undo'
  | 'redo'
  | 'save'
  | 'delete'
  | 'accept'
  | 'reject'
  | 'proposal.next'
  | 'proposal.prev'
  | 'span.next'
  | 'span.prev'
  | 'escape'
  | 'item.next'
  | 'item.prev'
  | 'help'
  | 'rejected.toggle';

export interface TextShortcut {
  keys: string[];
  description: string;
  group: string;
}

export const TEXT_SHORTCUTS: readonly TextShortcut[] = [
  { keys: ['Select text'], description: 'Drag or double-click over the text to start a span', group: 'Labels' },
  { keys: ['1 – 9'], description: 'Label the selected text; with a span selected, relabel it', group: 'Labels' },
  { keys: ['1 – 9'], description: 'With no text or span selected: toggle that class for the whole text', group: 'Labels' },
  { keys: ['Click a label'], description: 'Make it active: every selection is labelled with it at once', group: 'Labels' },
  { keys: ['Click a span'], description: 'Select it; click again to select the span around it', group: 'Edit' },
  { keys: ['Tab', 'Shift+Tab'], description: 'Select the next / previous span', group: 'Edit' },
  { keys: ['Delete', 'Backspace'], description: 'Delete the selected span', group: 'Edit' },
  { keys: ['Esc'], description: 'Clear the text selection, the selected span, then the active label', group: 'Edit' },
  { keys: ['Ctrl+Z'], description: 'Undo', group: 'Edit' },
  { keys: ['Ctrl+Shift+Z', 'Ctrl+Y'], description: 'Redo', group: 'Edit' },
  { keys: ['Ctrl+S'], description: 'Save now (autosave runs after every change)', group: 'Edit' },
  { keys: ['A'], description: 'Accept the selected proposal', group: 'Proposals' },
  { keys: ['X'], description: 'Reject the selected proposal', group: 'Proposals' },
  { keys: [']', '['], description: 'Select the next / previous proposal', group: 'Proposals' },
  { keys: ['R'], description: 'Show or hide rejected proposals', group: 'Proposals' },
  { keys: ['N', '→'], description: 'Next item (saves first)', group: 'Items' },
  { keys: ['P', '←'], description: 'Previous item (saves first)', group: 'Items' },
  { keys: ['Shift+A', 'Shift+R'], description: 'Approve / reject the item (reviewers, on the item page)', group: 'Items' },
  { keys: ['?'], description: 'This help', group: 'Items' },
];

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

const PLAIN: Record<string, TextAction> = {
  Delete: 'delete',
  Backspace: 'delete',
  a: 'accept',
  x: 'reject',
  ']': 'proposal.next',
  '[': 'proposal.prev',
  Escape: 'escape',
  n: 'item.next',
  ArrowRight: 'item.next',
  p: 'item.prev',
  ArrowLeft: 'item.prev',
  '?': 'help',
  r: 'rejected.toggle',
};

/** Keys the text editor uses: a class hotkey on one of these is ignored. */
export const TEXT_RESERVED: ReadonlySet<string> = new Set(Object.keys(PLAIN).filter((k) => k.length === 1));

export function textActionFor(e: KeyLike): TextAction | null {
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if ((e.ctrlKey || e.metaKey) && !e.altKey) {
    if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
    if (key === 'y') return 'redo';
    if (key === 's') return 'save';
    return null;
  }
  if (e.altKey || e.ctrlKey || e.metaKey) return null;
  if (e.key === 'Tab') return e.shiftKey ? 'span.prev' : 'span.next';
  if (e.key === '?') return 'help';
  // Shifted letters belong to the page (Shift+A approves the item); arrows with Shift extend selections.
  if (e.shiftKey && (e.key.length === 1 ? /[a-z]/i.test(e.key) : e.key.startsWith('Arrow'))) return null;
  return PLAIN[key] ?? null;
}

/** Hotkey -> class name for the classes whose key does not clash with a text editor key. */
export function textHotkeys(classes: readonly LabelClass[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of classes) {
    const k = c.hotkey?.toLowerCase();
    if (k && !TEXT_RESERVED.has(k) && !out.has(k)) out.set(k, c.name);
  }
  return out;
}

export function labelForKey(e: KeyLike, hotkeys: ReadonlyMap<string, string>): string | null {
  if (e.ctrlKey || e.metaKey || e.altKey || e.key.length !== 1) return null;
  return hotkeys.get(e.key.toLowerCase()) ?? null;
}
