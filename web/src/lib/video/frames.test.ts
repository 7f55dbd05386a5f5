import { describe, expect, it } from 'vitest';
import { cacheLimit } from './frames';

describe('cacheLimit', () => {
  it('keeps fewer decoded frames of a large video', () => {
    expect(cacheLimit(360, 240)).toBe(360);
    expect(cacheLimit(1920, 1080)).toBe(75);
    expect(cacheLimit(7680, 4320)).toBe(30);
  });
});
