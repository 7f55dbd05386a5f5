import { describe, expect, it } from 'vitest';
import { Confirmations, dialogKey, startsOn, typedMatches, type Question } from './confirm.svelte';

const q = (title: string, extra: Partial<Question> = {}): Question => ({ title, message: `${title}, really?`, confirm: 'Do it', ...extra });

/** Whether `p` has settled yet (its value, or 'waiting'). */
async function state<T>(p: Promise<T>): Promise<T | 'waiting'> {
  return Promise.race([p, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 0))]);
}

describe('the questions asked', () => {
  it('resolves true when confirmed and false when cancelled', async () => {
    const c = new Confirmations();
    const yes = c.ask(q('Delete webhook?'));
    expect(c.current).toMatchObject({ title: 'Delete webhook?', message: 'Delete webhook?, really?', confirm: 'Do it' });
    c.answer(c.current!.id, true);
    expect(await yes).toBe(true);
    expect(c.current).toBeNull();
    const no = c.ask(q('Remove rule?'));
    c.answer(c.current!.id, false);
    expect(await no).toBe(false);
    expect(c.count).toBe(0);
  });

  it('shows one question at a time: the second waits until the first is answered', async () => {
    const c = new Confirmations();
    const first = c.ask(q('First'));
    const second = c.ask(q('Second', { danger: true }));
    expect(c.count).toBe(2);
    expect(c.current?.title).toBe('First');
    expect(await state(second)).toBe('waiting');
    c.answer(c.current!.id, false);
    expect(await first).toBe(false);
    expect(c.current?.title).toBe('Second');
    expect(await state(second)).toBe('waiting');
    c.answer(c.current!.id, true);
    expect(await second).toBe(true);
    expect(c.current).toBeNull();
  });

  it('takes an answer only for the question on screen, so a late one does not answer the next', async () => {
    const c = new Confirmations();
    const first = c.ask(q('First'));
    const id = c.current!.id;
    const second = c.ask(q('Second'));
    c.answer(id, false);
    c.answer(id, true); // the same question again (Escape and the dialog's cancel event, say): ignored
    expect(await first).toBe(false);
    expect(c.current?.title).toBe('Second');
    expect(await state(second)).toBe('waiting');
    c.answer(c.current!.id, true);
    expect(await second).toBe(true);
  });
});

describe('the dialog’s keys and focus', () => {
  it('starts on Cancel for a dangerous action, on the action otherwise, in the field when a name is to be typed', () => {
    expect(startsOn(q('Delete?', { danger: true }))).toBe('cancel');
    expect(startsOn(q('Merge?'))).toBe('confirm');
    expect(startsOn(q('Delete project?', { danger: true, typed: { expect: 'Cats', label: 'Project name' } }))).toBe('field');
  });

  it('cancels on Escape, which then answers false', async () => {
    const c = new Confirmations();
    const asked = c.ask(q('Delete?', { danger: true }));
    if (dialogKey('Escape', false, 0, 2) === 'cancel') c.answer(c.current!.id, false);
    expect(await asked).toBe(false);
    expect(dialogKey('Escape', true, -1, 2)).toBe('cancel');
  });

  it('keeps Tab and Shift+Tab on its buttons, and leaves Enter and Space to the focused button', () => {
    expect(dialogKey('Tab', false, 0, 2)).toBe(1);
    expect(dialogKey('Tab', false, 1, 2)).toBe(0);
    expect(dialogKey('Tab', true, 0, 2)).toBe(1);
    expect(dialogKey('Tab', true, 1, 2)).toBe(0);
    expect(dialogKey('Tab', false, -1, 2)).toBe(0);
    expect(dialogKey('Tab', true, -1, 2)).toBe(1);
    expect(dialogKey('Enter', false, 0, 2)).toBeNull();
    expect(dialogKey(' ', false, 1, 2)).toBeNull();
    expect(dialogKey('Tab', false, -1, 0)).toBeNull();
  });

  it('goes round the field, Cancel and the action with Tab, the action left out while it is disabled', () => {
    // field, Cancel (the action disabled): Tab and Shift+Tab go between the two
    expect(dialogKey('Tab', false, 0, 2)).toBe(1);
    expect(dialogKey('Tab', false, 1, 2)).toBe(0);
    expect(dialogKey('Tab', true, 0, 2)).toBe(1);
    // field, Cancel, action
    expect(dialogKey('Tab', false, 0, 3)).toBe(1);
    expect(dialogKey('Tab', false, 1, 3)).toBe(2);
    expect(dialogKey('Tab', false, 2, 3)).toBe(0);
    expect(dialogKey('Tab', true, 0, 3)).toBe(2);
    expect(dialogKey('Tab', true, 2, 3)).toBe(1);
  });

  it('takes Enter in the field only when it holds the name, and Escape there cancels', () => {
    expect(dialogKey('Enter', false, 0, 3, { inField: true, matches: true })).toBe('confirm');
    expect(dialogKey('Enter', false, 0, 2, { inField: true, matches: false })).toBe('nothing');
    expect(dialogKey('Escape', false, 0, 2, { inField: true, matches: false })).toBe('cancel');
    expect(dialogKey('Escape', false, 0, 3, { inField: true, matches: true })).toBe('cancel');
    expect(dialogKey('a', false, 0, 2, { inField: true, matches: false })).toBeNull();
    expect(dialogKey(' ', false, 0, 2, { inField: true, matches: false })).toBeNull();
    // Enter on a button presses it, whatever the field holds
    expect(dialogKey('Enter', false, 1, 3, { inField: false, matches: true })).toBeNull();
  });

  it('enables the action only when the name is typed exactly', () => {
    const typed = q('Delete project?', { danger: true, typed: { expect: 'Street scenes', label: 'Project name' } });
    expect(typedMatches(typed, 'Street scenes')).toBe(true);
    for (const text of ['', 'Street', 'street scenes', ' Street scenes', 'Street scenes ', 'Street  scenes'])
      expect(typedMatches(typed, text)).toBe(false);
    expect(typedMatches(q('Merge?'), '')).toBe(true);
  });
});
