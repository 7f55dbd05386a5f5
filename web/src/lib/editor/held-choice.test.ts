import { describe, expect, it } from 'vitest';
import { HeldChoice, movesChoice } from './attribute-panel';

/** What the panel does with a drop-down's events: the values it takes (each one undo step). */
function panel() {
  const choice = new HeldChoice();
  const taken: string[] = [];
  return {
    taken,
    key: (key: string, value?: string) => {
      if (key === 'Enter') {
        const v = choice.take();
        if (v !== null) taken.push(v);
        return;
      }
      if (key === 'Escape') return choice.drop();
      choice.keydown(key);
      if (value !== undefined) {
        const v = choice.change(value);
        if (v !== null) taken.push(v);
      }
      return undefined;
    },
    pick: (value: string) => {
      const v = choice.change(value);
      if (v !== null) taken.push(v);
    },
    leave: () => {
      const v = choice.take();
      if (v !== null) taken.push(v);
    },
  };
}

describe('a drop-down attribute stepped through with the keys', () => {
  it('takes one value when the person leaves it, not one per arrow key', () => {
    const p = panel();
    p.key('ArrowDown', 'red');
    p.key('ArrowDown', 'blue');
    p.key('ArrowDown', 'green');
    expect(p.taken).toEqual([]);
    p.leave();
    expect(p.taken).toEqual(['green']);
    p.leave();
    expect(p.taken).toEqual(['green']); // once
  });

  it('takes it on Enter, and Esc takes the keys back', () => {
    const p = panel();
    p.key('ArrowUp', 'red');
    p.key('Enter');
    expect(p.taken).toEqual(['red']);
    p.key('End', 'green');
    expect(p.key('Escape')).toBe(true);
    p.leave();
    expect(p.taken).toEqual(['red']);
  });

  it('takes a choice picked in the open list at once, over one held before', () => {
    const p = panel();
    p.key('ArrowDown', 'blue');
    p.key(' '); // Space opens the list; its choice comes as a change without a key of the control
    p.pick('red');
    p.leave();
    expect(p.taken).toEqual(['red']);
  });

  it('counts arrows, Home, End, page keys and type-ahead letters as moves; not Space, Tab or Enter', () => {
    expect(['ArrowDown', 'Home', 'PageUp', 'g'].every(movesChoice)).toBe(true);
    expect([' ', 'Tab', 'Enter', 'Shift'].some(movesChoice)).toBe(false);
  });
});
