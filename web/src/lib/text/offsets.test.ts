import { describe, expect, it } from 'vitest';
import { CharIndex, excerpt, selectionToRange, spanRange } from './offsets';

describe('CharIndex', () => {
  it('is the identity for text without astral characters', () => {
    const idx = new CharIndex('héllo wörld');
    expect(idx.length).toBe(11);
    expect(idx.unit(4)).toBe(4);
    expect(idx.cp(7)).toBe(7);
    expect(idx.slice(6, 11)).toBe('wörld');
  });

  it('counts an emoji as one character, as the server does', () => {
    const text = 'Paris 🇫🇷 is 😀 nice';
    const idx = new CharIndex(text);
    expect(idx.length).toBe([...text].length);
    // "is" starts after "Paris " (6), the flag's two code points (four units) and a space: code point 9, unit 11.
    expect(idx.unit(9)).toBe(text.indexOf(' is') + 1);
    expect(idx.unit(9)).toBe(11);
    expect(idx.cp(text.indexOf('nice'))).toBe([...text.slice(0, text.indexOf('nice'))].length);
    expect(idx.slice(9, 11)).toBe('is');
    expect(idx.unit(idx.length)).toBe(text.length);
  });

  it('clamps offsets outside the text', () => {
    const idx = new CharIndex('abc');
    expect(idx.unit(-4)).toBe(0);
    expect(idx.unit(10)).toBe(3);
    expect(idx.cp(99)).toBe(3);
  });
});

describe('selectionToRange', () => {
  const text = 'The New York Times reported that Barack Obama visited.';
  const idx = new CharIndex(text);

  it('turns unit offsets in either order into a code point range', () => {
    const s = text.indexOf('Barack');
    expect(selectionToRange(idx, s, s + 6)).toEqual({ start: s, end: s + 6 });
    expect(selectionToRange(idx, s + 6, s)).toEqual({ start: s, end: s + 6 });
  });

  it('leaves out whitespace at the ends (a double-click may take the space after a word)', () => {
    const s = text.indexOf(' Obama ');
    expect(selectionToRange(idx, s, s + 7)).toEqual({ start: s + 1, end: s + 6 });
  });

  it('is null for an empty or blank selection', () => {
    expect(selectionToRange(idx, 3, 3)).toBeNull();
    expect(selectionToRange(idx, 3, 4)).toBeNull();
  });

  it('takes a whole emoji when an edge falls inside it', () => {
    const t = 'a 😀 b';
    const i = new CharIndex(t);
    // Units: a=0, ' '=1, 😀=2..3, ' '=4, b=5. Selecting units 3..6 starts inside the emoji.
    expect(selectionToRange(i, 3, 6)).toEqual({ start: 2, end: 5 });
    expect(i.slice(2, 5)).toBe('😀 b');
  });
});

describe('spanRange', () => {
  it('reads a span geometry and refuses anything else', () => {
    expect(spanRange({ kind: 'span', geometry: { start: 2, end: 5 } })).toEqual({ start: 2, end: 5 });
    expect(spanRange({ kind: 'span', geometry: { start: 5, end: 5 } })).toBeNull();
    expect(spanRange({ kind: 'span', geometry: { start: 1.5, end: 5 } })).toBeNull();
    expect(spanRange({ kind: 'class', geometry: {} })).toBeNull();
    expect(spanRange({ kind: 'span', geometry: {} })).toBeNull();
  });
});

describe('excerpt', () => {
  it('shortens long spans in the middle and flattens line breaks', () => {
    const idx = new CharIndex(`one\ntwo ${'x'.repeat(100)} end`);
    expect(excerpt(idx, { start: 0, end: 7 })).toBe('one two');
    const e = excerpt(idx, { start: 0, end: idx.length }, 21);
    expect(e).toHaveLength(21);
    expect(e.startsWith('one two')).toBe(true);
    expect(e.endsWith(' end')).toBe(true);
  });
});
