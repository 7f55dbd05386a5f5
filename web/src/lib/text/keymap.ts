/** The text editor's shortcuts: one table for the key handler and the help overlay (`?`). */

import { keymap, type HelpEntry, type KeyLike, type SharedAction } from '../editor/keys';

export type TextAction = SharedAction | 'span.next' | 'span.prev';

export type TextShortcut = HelpEntry;

export const TEXT_SHORTCUTS: readonly TextShortcut[] = [
  { keys: ['Select text'], description: 'Drag or double-click over the text to start a span', group: 'Labels' },
  {
    keys: ['Shift+→', 'Shift+←'],
    description: 'Select text by keyboard: the first word, then one word more / less',
    group: 'Labels',
  },
  { keys: ['→', '←'], description: 'With text selected: move the selection to the next / previous word', group: 'Labels' },
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
  { keys: ['A'], description: 'Accept the selected proposal (nothing selected: the best class proposal)', group: 'Proposals' },
  { keys: ['X'], description: 'Reject the selected proposal', group: 'Proposals' },
  { keys: [']', '['], description: 'Select the next / previous proposal', group: 'Proposals' },
  { keys: ['R'], description: 'Show or hide rejected proposals', group: 'Proposals' },
  {
    keys: ['F6', 'Shift+F6'],
    description: 'Next / previous region: the text, toolbar, each side panel section, top bar',
    group: 'Edit',
  },
  {
    keys: ['N', '→'],
    description: 'Next item (saves first; → when no text is selected and focus is not in a list, whose rows → steps through)',
    group: 'Items',
  },
  { keys: ['P', '←'], description: 'Previous item (saves first; ← when no text is selected and focus is not in a list)', group: 'Items' },
  { keys: ['?'], description: 'This help', group: 'Items' },
];

// Shifted letters belong to the page (Shift+A approves the item); arrows with Shift extend selections.
const TEXT_KEYS = keymap<TextAction>({ plain: {}, tab: ['span.next', 'span.prev'], freeShifted: true });

/** Keys the text editor uses: a class hotkey on one of these is ignored. */
export const TEXT_RESERVED: ReadonlySet<string> = TEXT_KEYS.reserved;

export function textActionFor(e: KeyLike): TextAction | null {
  return TEXT_KEYS.actionFor(e);
}

/** Hotkey -> class name for the classes whose key does not clash with a text editor key. */
export const textHotkeys = TEXT_KEYS.hotkeys;

export { labelForKey, type KeyLike } from '../editor/keys';
