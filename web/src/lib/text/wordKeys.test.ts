import { describe, expect, it } from 'vitest';
import { CharIndex } from './offsets';
import { moveRange, wordKeyFor, words } from './wordKeys';

const key = (k: string, shiftKey = false) => ({ key: k, shiftKey, ctrlKey: false, metaKey: false, altKey: false });

describe('text selection by keyboard', () => {
  const idx = new CharIndex('my 💳 card  was lost');
  const list = words(idx);

  it('finds the words in code points', () => {
    expect(list.map((w) => idx.slice(w.start, w.end))).toEqual(['my', '💳', 'card', 'was', 'lost']);
    expect(list[1]).toEqual({ start: 3, end: 4 }); // the emoji is one code point, as the server counts
  });

  it('starts on a word, grows and shrinks a word at a time, and moves', () => {
    let r = moveRange(list, null, 'grow');
    expect(r).toEqual({ start: 0, end: 2 });
    r = moveRange(list, r, 'grow');
    r = moveRange(list, r, 'grow');
    expect(idx.slice(r!.start, r!.end)).toBe('my 💳 card');
    r = moveRange(list, r, 'shrink');
    expect(idx.slice(r!.start, r!.end)).toBe('my 💳');
    r = moveRange(list, moveRange(list, r, 'shrink'), 'shrink'); // never under one word
    expect(idx.slice(r!.start, r!.end)).toBe('my');
    r = moveRange(list, r, 'next');
    r = moveRange(list, r, 'next');
    expect(idx.slice(r!.start, r!.end)).toBe('card');
    expect(idx.slice(...(Object.values(moveRange(list, r, 'prev')!) as [number, number]))).toBe('💳');
    expect(moveRange(list, { start: 15, end: 19 }, 'next')).toEqual({ start: 15, end: 19 }); // the last word
    expect(moveRange(list, null, 'grow', 10)).toEqual({ start: 11, end: 14 }); // after a selected span
    expect(moveRange(list, null, 'next')).toBeNull();
  });

  it('maps keys: Shift+arrows always, plain arrows only with a range pending', () => {
    expect(wordKeyFor(key('ArrowRight', true), false)).toBe('grow');
    expect(wordKeyFor(key('ArrowLeft', true), true)).toBe('shrink');
    expect(wordKeyFor(key('ArrowRight'), false)).toBeNull(); // the next item, as before
    expect(wordKeyFor(key('ArrowLeft'), true)).toBe('prev');
    expect(wordKeyFor({ ...key('ArrowRight', true), ctrlKey: true }, true)).toBeNull();
  });
});
