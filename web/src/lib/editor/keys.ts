/**
 * Key handling that the image editor and the text editor share: how a key press becomes an action (each editor
 * gives its own table of plain keys), class hotkeys that do not clash with those keys, and which keys belong to
 * the focused control rather than to the editor. Pure functions, tested without a browser.
 */

import type { LabelClass } from './types';

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** An entry of a shortcut sheet (`?`): the keys as shown to people ("Ctrl+Z"), the first the main one. */
export interface HelpEntry {
  keys: string[];
  description: string;
  group: string;
}

/** The actions both editors have, with the same keys. */
export type SharedAction =
  | 'undo'
  | 'redo'
  | 'save'
  | 'delete'
  | 'accept'
  | 'reject'
  | 'proposal.next'
  | 'proposal.prev'
  | 'escape'
  | 'item.next'
  | 'item.prev'
  | 'help'
  | 'rejected.toggle';

/** The plain keys of the shared actions (each editor adds its own). */
export const SHARED_PLAIN: Readonly<Record<string, SharedAction>> = {
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

export interface KeyTable<A extends string> {
  /** Keys without modifiers (letters in lower case). */
  plain: Readonly<Record<string, A>>;
  /** What Tab and Shift+Tab do. */
  tab: readonly [next: A, prev: A];
  /** Leave Shift+letter and Shift+arrow to others (the page's Shift+A, the browser's selection). */
  freeShifted?: boolean;
}

export interface Keymap<A extends string> {
  /** The action for a key press, or null. Class hotkeys are looked up separately (`labelForKey`). */
  actionFor: (e: KeyLike) => A | SharedAction | null;
  /** Single-character keys the editor uses: a class hotkey on one of these is ignored. */
  reserved: ReadonlySet<string>;
  /** Hotkey -> class name, for the classes whose hotkey does not clash with the editor's keys. */
  hotkeys: (classes: readonly LabelClass[]) => Map<string, string>;
}

/** An editor's keymap from its table of plain keys (Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y / Ctrl+S are common). */
export function keymap<A extends string>(table: KeyTable<A>): Keymap<A> {
  const plain: Record<string, A | SharedAction> = { ...SHARED_PLAIN, ...table.plain };
  const reserved: ReadonlySet<string> = new Set(Object.keys(plain).filter((k) => k.length === 1));
  const [next, prev] = table.tab;
  return {
    reserved,
    actionFor(e) {
      const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
      if ((e.ctrlKey || e.metaKey) && !e.altKey) {
        if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
        if (key === 'y') return 'redo';
        if (key === 's') return 'save';
        return null;
      }
      if (e.altKey || e.ctrlKey || e.metaKey) return null;
      if (e.key === 'Tab') return e.shiftKey ? prev : next;
      if (e.key === '?') return 'help';
      if (table.freeShifted && e.shiftKey && (e.key.length === 1 ? /[a-z]/i.test(e.key) : e.key.startsWith('Arrow'))) {
        return null;
      }
      return plain[key] ?? null;
    },
    hotkeys(classes) {
      const out = new Map<string, string>();
      for (const c of classes) {
        const k = c.hotkey?.toLowerCase();
        if (k && !reserved.has(k) && !out.has(k)) out.set(k, c.name);
      }
      return out;
    },
  };
}

/** The class a key picks (1-9 and the like), from a map made by `Keymap.hotkeys`. */
export function labelForKey(e: KeyLike, hotkeys: ReadonlyMap<string, string>): string | null {
  if (e.ctrlKey || e.metaKey || e.altKey || e.key.length !== 1) return null;
  return hotkeys.get(e.key.toLowerCase()) ?? null;
}

/** Whether Tab on `t` moves focus (the page's own Tab order) rather than stepping through the editor's shapes:
 * on every focused control, that is anything but the page body and the editor's canvas. */
export function tabMovesFocus(t: { tagName: string } | null, body: unknown): boolean {
  return t !== null && t !== body && t.tagName !== 'CANVAS' && t.tagName !== 'HTML' && t.tagName !== 'BODY';
}

/** The attribute `rovingGroup` gives a group of controls that is one Tab stop with the arrow keys inside. */
export const ROVING_ATTRIBUTE = 'data-roving';

/** Roles of groups whose arrow keys move focus among their controls (a listbox's rows, a radio group's tools, a
 * toolbar's buttons), by ARIA's rules. */
const GROUP_ROLES: ReadonlySet<string> = new Set([
  'listbox',
  'radiogroup',
  'toolbar',
  'tablist',
  'menu',
  'menubar',
  'grid',
  'tree',
  'slider',
]);

/** The keys a group of controls moves focus with. */
const GROUP_KEYS: ReadonlySet<string> = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End']);

/** What `inArrowGroup` reads of an element (an `HTMLElement` has it). */
export interface ElementLike {
  tagName: string;
  getAttribute(name: string): string | null;
  readonly parentElement: ElementLike | null;
}

/** Whether `key` pressed on `t` belongs to the group of controls `t` is in: an arrow, Home or End on a control of a
 * roving group (`data-roving`) or of an element with a group role (listbox, radiogroup, toolbar, ...), or on a
 * form field (a radio button, a checkbox). There the key moves focus in the group, or does nothing: it must not
 * reach the editor, where ← and → open another item and the arrows move the selected shape. */
export function inArrowGroup(t: ElementLike | null, key: string): boolean {
  if (!GROUP_KEYS.has(key) || t === null) return false;
  if (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA') return true;
  for (let el: ElementLike | null = t; el !== null; el = el.parentElement) {
    if (el.getAttribute(ROVING_ATTRIBUTE) !== null) return true;
    const role = el.getAttribute('role');
    if (role !== null && GROUP_ROLES.has(role)) return true;
  }
  return false;
}

/** Keys that belong to the focused control (a text field, a button's Enter, a slider's arrows, the arrows of a
 * list of rows or of a radio group, Tab on any control so that a keyboard user reaches the toolbar and the
 * panels), not the editor. */
export function ownedByControl(t: EventTarget | null, key: string, withCtrl = false): boolean {
  if (!(t instanceof HTMLElement)) return false;
  if (key === 'Tab') return tabMovesFocus(t, document.body);
  if (t.isContentEditable || t.tagName === 'TEXTAREA') return true;
  // A drop-down has no use for Ctrl/Cmd combinations: undo, redo and save reach the editor from it.
  if (t.tagName === 'SELECT') return !withCtrl;
  if ((key === 'Enter' || key === ' ') && (t.tagName === 'BUTTON' || t.tagName === 'A')) return true;
  if (inArrowGroup(t, key)) return true;
  if (t.tagName !== 'INPUT') return false;
  const type = (t as HTMLInputElement).type;
  if (type === 'checkbox' || type === 'radio') return key === ' ';
  return type !== 'button';
}
