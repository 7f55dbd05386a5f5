import { describe, expect, it } from 'vitest';
import { decidedSaid } from './proposals';

describe('deciding a class over the whole volume', () => {
  it('says what changed, on every slice', () => {
    expect(decidedSaid(12, 'anterior', false)).toBe('Accepted 12 anterior proposals on every slice');
    expect(decidedSaid(1, 'posterior', true)).toBe('Rejected 1 posterior proposal on every slice');
    expect(decidedSaid(0, 'anterior', true)).toBe('No open anterior proposals on this volume');
  });
});
