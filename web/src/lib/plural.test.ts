import { describe, expect, it } from 'vitest';
import { count, plural } from './plural';

describe('plural', () => {
  it('says one thing and many things', () => {
    expect(count(0, 'shape')).toBe('0 shapes');
    expect(count(1, 'shape')).toBe('1 shape');
    expect(count(2, 'shape')).toBe('2 shapes');
    expect(count(1204, 'item')).toBe('1,204 items');
    expect(count(1, 'entry', 'entries')).toBe('1 entry');
    expect(count(3, 'entry', 'entries')).toBe('3 entries');
    expect(plural(1, 'span')).toBe('span');
    expect(plural(5, 'span')).toBe('spans');
  });
});
