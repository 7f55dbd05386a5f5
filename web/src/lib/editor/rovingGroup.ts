/**
 * The image editor's label-list keys (`roving.ts`) for a group of buttons that is no listbox: the text
 * editor's span labels (toggle buttons that label the selected text) and its list of spans, and both editors' tag
 * chips. The group is one Tab stop and the arrow keys move focus inside it (↑/↓/Home/End, or all four arrows in a
 * group that wraps into rows); the stop is the button last focused while focus is in the group, else the preferred
 * one (the pressed one: the label in use), else the first.
 */

import type { Attachment } from 'svelte/attachments';
import { ROVING_ATTRIBUTE } from './keys';
import { gridStep, rovingStep, setStop, stopIndex } from './roving';

const PRESSED = (el: HTMLElement): boolean => el.getAttribute('aria-pressed') === 'true';

export interface RovingOptions {
  /** The control that is the stop while focus is outside the group (default: the pressed one). */
  preferred?: (el: HTMLElement) => boolean;
  /** `grid` for controls that wrap into rows (←/→ go along, ↑/↓ to the row above/below); default a list. */
  layout?: 'list' | 'grid';
  /** The attributes that change which control is preferred (default `aria-pressed`). */
  watch?: readonly string[];
}

/** Where `key` goes from `at` of `items`, in a list or in a group that wraps into rows. */
function step(layout: 'list' | 'grid', key: string, at: number, items: readonly HTMLElement[]): number | null {
  if (layout === 'list') return rovingStep(key, at, items.length);
  return gridStep(key, at, items.map((el) => el.getBoundingClientRect()));
}

/** An attachment making the controls `selector` finds under its element one Tab stop with the arrow keys inside. */
export function rovingGroup(selector: string, options: RovingOptions = {}): Attachment<HTMLElement> {
  const { preferred = PRESSED, layout = 'list', watch = ['aria-pressed'] } = options;
  return (root) => {
    const controls = (): HTMLElement[] => [...root.querySelectorAll<HTMLElement>(selector)];

    /** Makes `focused` the stop if it is one of the controls, else the preferred one, else the first. */
    function restop(focused: Element | null): void {
      const items = controls();
      setStop(items, stopIndex(items.findIndex((el) => el === focused), items.findIndex(preferred), items.length));
    }

    function onKeyDown(e: KeyboardEvent): void {
      if (e.ctrlKey || e.metaKey || e.altKey || e.shiftKey) return;
      const items = controls();
      const next = step(layout, e.key, items.findIndex((el) => el === document.activeElement), items);
      if (next === null) return;
      // The group's keys, not the editor's (whose arrows move the text selection or go to another item).
      e.preventDefault();
      items[next]?.focus();
    }

    const onFocusIn = (): void => restop(document.activeElement);
    /** Focus left the group: its stop goes back to the control in use (where Tab and Shift+Tab come back to). */
    function onFocusOut(e: FocusEvent): void {
      if (!(e.relatedTarget instanceof Node && root.contains(e.relatedTarget))) restop(null);
    }

    // The editors leave the arrow keys pressed in here to the group (`keys.ts`, `inArrowGroup`).
    root.setAttribute(ROVING_ATTRIBUTE, '');
    restop(document.activeElement);
    // Rows come, go, get pressed or disabled: the stop follows.
    const observer = new MutationObserver(() => restop(document.activeElement));
    observer.observe(root, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: [...watch, 'disabled'],
    });
    root.addEventListener('keydown', onKeyDown);
    root.addEventListener('focusin', onFocusIn);
    root.addEventListener('focusout', onFocusOut);
    return () => {
      observer.disconnect();
      root.removeEventListener('keydown', onKeyDown);
      root.removeEventListener('focusin', onFocusIn);
      root.removeEventListener('focusout', onFocusOut);
      root.removeAttribute(ROVING_ATTRIBUTE);
    };
  };
}
