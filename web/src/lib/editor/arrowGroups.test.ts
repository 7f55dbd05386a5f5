import { describe, expect, it } from 'vitest';
import { inArrowGroup, ROVING_ATTRIBUTE, type ElementLike } from './keys';
import { actionFor } from './keymap';
import { textActionFor } from '../text/keymap';

/** A stand-in for a DOM element: its tag, attributes and parent (the tests run without a browser). */
function el(tagName: string, attrs: Record<string, string> = {}, parentElement: ElementLike | null = null): ElementLike {
  return { tagName, parentElement, getAttribute: (name) => attrs[name] ?? null };
}

// The image editor's page, as far as the decision reads it.
const body = el('BODY');
const editor = el('DIV', { role: 'application', 'aria-label': 'Image editor' }, body);
const canvas = el('CANVAS', {}, el('DIV', { class: 'stage' }, editor));
const panel = el('ASIDE', { 'aria-label': 'Labels and properties' }, editor);
const labelRow = el('BUTTON', { role: 'option' }, el('LI', {}, el('UL', { role: 'listbox' }, panel)));
const tool = el('BUTTON', { role: 'radio' }, el('DIV', { role: 'radiogroup' }, el('DIV', { role: 'toolbar' }, editor)));
// The text editor's span labels and Spans list: groups without a role, marked by `rovingGroup`.
const spanRow = el('BUTTON', {}, el('LI', {}, el('OL', { 'aria-label': 'Spans', [ROVING_ATTRIBUTE]: '' }, panel)));
const acceptButton = el('BUTTON', {}, panel);
const checkbox = el('INPUT', { type: 'checkbox' }, panel);

describe('arrow keys pressed in a group of controls', () => {
  it.each(['ArrowRight', 'ArrowLeft', 'ArrowDown', 'ArrowUp', 'Home', 'End'])(
    'stay with a label row, a tool, a span row or a checkbox: %s',
    (key) => {
      for (const t of [labelRow, tool, spanRow, checkbox]) expect(inArrowGroup(t, key)).toBe(true);
    },
  );

  it('reach the editor from the canvas, the page body and a button of no group', () => {
    for (const t of [canvas, body, acceptButton, editor, null]) {
      expect(inArrowGroup(t, 'ArrowRight')).toBe(false);
      expect(inArrowGroup(t, 'ArrowLeft')).toBe(false);
    }
  });

  it('leave other keys to the editor, on a label row too', () => {
    for (const key of ['n', 'p', 'PageDown', 'Enter', 'Escape', 'Delete', '1']) {
      expect(inArrowGroup(labelRow, key)).toBe(false);
    }
  });

  it('are keys the editors would otherwise take for another item', () => {
    const press = { ctrlKey: false, metaKey: false, shiftKey: false, altKey: false };
    // Why the decision matters: unowned, → and ← open the next and previous item in both editors.
    expect(actionFor({ ...press, key: 'ArrowRight' })).toBe('item.next');
    expect(textActionFor({ ...press, key: 'ArrowLeft' })).toBe('item.prev');
  });
});
