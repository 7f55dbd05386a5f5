/** Every keyboard shortcut in one table: the key handler reads it, and so does the help overlay (`?`). */

import type { LabelClass } from './types';

export type Action =
  | 'tool.select'
  | 'tool.box'
  | 'tool.polygon'
  | 'zoom.in'
  | 'zoom.out'
  | 'zoom.fit'
  | 'zoom.actual'
  | 'undo'
  | 'redo'
  | 'delete'
  | 'accept'
  | 'reject'
  | 'proposal.next'
  | 'proposal.prev'
  | 'shape.next'
  | 'shape.prev'
  | 'escape'
  | 'enter'
  | 'item.next'
  | 'item.prev'
  | 'help'
  | 'save'
  | 'shapes.toggle'
  | 'rejected.toggle';

export interface Shortcut {
  /** Keys as shown to people ("Ctrl+Z"); the first is the main one. */
  keys: string[];
  description: string;
  group: 'Tools' | 'Labels' | 'Edit' | 'Proposals' | 'View' | 'Items';
  action?: Action;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: ['V'], description: 'Select and edit', group: 'Tools', action: 'tool.select' },
  { keys: ['B'], description: 'Draw boxes (drag)', group: 'Tools', action: 'tool.box' },
  { keys: ['G'], description: 'Draw polygons (click points)', group: 'Tools', action: 'tool.polygon' },
  { keys: ['Enter', 'Double-click'], description: 'Close the polygon being drawn', group: 'Tools', action: 'enter' },
  { keys: ['Backspace'], description: 'Remove the last point of the polygon being drawn', group: 'Tools' },
  { keys: ['Esc'], description: 'Cancel drawing, or clear the selection', group: 'Tools', action: 'escape' },
  { keys: ['1 – 9'], description: 'Choose the label (relabels the selected shape)', group: 'Labels' },
  { keys: ['Ctrl+Z'], description: 'Undo', group: 'Edit', action: 'undo' },
  { keys: ['Ctrl+Shift+Z', 'Ctrl+Y'], description: 'Redo', group: 'Edit', action: 'redo' },
  { keys: ['Delete', 'Backspace'], description: 'Delete the selected shape', group: 'Edit', action: 'delete' },
  { keys: ['Tab', 'Shift+Tab'], description: 'Select the next / previous shape', group: 'Edit', action: 'shape.next' },
  { keys: ['Drag handle'], description: 'Resize a box (8 handles) or move a polygon point', group: 'Edit' },
  { keys: ['Alt+click point'], description: 'Remove a polygon point', group: 'Edit' },
  { keys: ['Double-click edge'], description: 'Add a point to the selected polygon', group: 'Edit' },
  { keys: ['Click again'], description: 'Select the next shape stacked under the pointer', group: 'Edit' },
  { keys: ['Ctrl+S'], description: 'Save now (autosave runs after every change)', group: 'Edit', action: 'save' },
  { keys: ['A'], description: 'Accept the selected proposal', group: 'Proposals', action: 'accept' },
  { keys: ['X'], description: 'Reject the selected proposal', group: 'Proposals', action: 'reject' },
  { keys: [']', '['], description: 'Select the next / previous proposal', group: 'Proposals', action: 'proposal.next' },
  { keys: ['R'], description: 'Show or hide rejected proposals', group: 'Proposals', action: 'rejected.toggle' },
  { keys: ['Wheel', '+', '−'], description: 'Zoom in / out', group: 'View', action: 'zoom.in' },
  { keys: ['F'], description: 'Fit the image', group: 'View', action: 'zoom.fit' },
  { keys: ['0'], description: 'Actual pixels (100 %)', group: 'View', action: 'zoom.actual' },
  { keys: ['Space+drag', 'Middle drag'], description: 'Pan', group: 'View' },
  { keys: ['H'], description: 'Hide or show all shapes', group: 'View', action: 'shapes.toggle' },
  { keys: ['?'], description: 'This help', group: 'View', action: 'help' },
  { keys: ['N', '→'], description: 'Next item (saves first)', group: 'Items', action: 'item.next' },
  { keys: ['P', '←'], description: 'Previous item (saves first)', group: 'Items', action: 'item.prev' },
];

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

const PLAIN: Record<string, Action> = {
  v: 'tool.select',
  b: 'tool.box',
  g: 'tool.polygon',
  '+': 'zoom.in',
  '=': 'zoom.in',
  '-': 'zoom.out',
  _: 'zoom.out',
  f: 'zoom.fit',
  '0': 'zoom.actual',
  Delete: 'delete',
  Backspace: 'delete',
  a: 'accept',
  x: 'reject',
  ']': 'proposal.next',
  '[': 'proposal.prev',
  Escape: 'escape',
  Enter: 'enter',
  n: 'item.next',
  ArrowRight: 'item.next',
  p: 'item.prev',
  ArrowLeft: 'item.prev',
  '?': 'help',
  h: 'shapes.toggle',
  r: 'rejected.toggle',
};

/** Keys the editor itself uses: a class hotkey on one of these is ignored (the label list says so). */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(Object.keys(PLAIN).filter((k) => k.length === 1));

/** The action for a key press, or null. Class hotkeys are looked up separately (`labelForKey`). */
export function actionFor(e: KeyLike): Action | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod && !e.altKey) {
    if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
    if (key === 'y') return 'redo';
    if (key === 's') return 'save';
    return null;
  }
  if (e.altKey) return null;
  if (e.key === 'Tab') return e.shiftKey ? 'shape.prev' : 'shape.next';
  if (e.key === '?') return 'help';
  return PLAIN[key] ?? null;
}

/** Hotkey -> class name, for the classes whose hotkey does not clash with an editor shortcut. */
export function labelHotkeys(classes: readonly LabelClass[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of classes) {
    const k = c.hotkey?.toLowerCase();
    if (k && !RESERVED_KEYS.has(k) && !out.has(k)) out.set(k, c.name);
  }
  return out;
}

export function labelForKey(e: KeyLike, hotkeys: ReadonlyMap<string, string>): string | null {
  if (e.ctrlKey || e.metaKey || e.altKey || e.key.length !== 1) return null;
  return hotkeys.get(e.key.toLowerCase()) ?? null;
}
