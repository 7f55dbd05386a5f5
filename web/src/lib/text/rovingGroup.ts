/**
 * The image editor's label-list keys (`editor/roving.ts`) for a group of buttons that is no listbox: the text
 * editor's span labels, toggle buttons that label the selected text. The group is one Tab stop and ↑/↓/Home/End
 * move focus inside it; the stop is the button last focused while focus is in the group, else the pressed one
 * (the label in use), else the first.
 */

import type { Attachment } from 'svelte/attachments';
import { rovingStep, setStop, stopIndex } from '../editor/roving';

const PRESSED = (el: HTMLElement): boolean => el.getAttribute('aria-pressed') === 'true';

/** An attachment making the controls `selector` finds under its element one Tab stop with the arrow keys inside. */
export function rovingGroup(selector: string, preferred: (el: HTMLElement) => boolean = PRESSED): Attachment<HTMLElement> {
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
      const next = rovingStep(e.key, items.findIndex((el) => el === document.activeElement), items.length);
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

    restop(document.activeElement);
    // Rows come, go, get pressed or disabled: the stop follows.
    const observer = new MutationObserver(() => restop(document.activeElement));
    observer.observe(root, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['aria-pressed', 'disabled'],
    });
    root.addEventListener('keydown', onKeyDown);
    root.addEventListener('focusin', onFocusIn);
    root.addEventListener('focusout', onFocusOut);
    return () => {
      observer.disconnect();
      root.removeEventListener('keydown', onKeyDown);
      root.removeEventListener('focusin', onFocusIn);
      root.removeEventListener('focusout', onFocusOut);
    };
  };
}
