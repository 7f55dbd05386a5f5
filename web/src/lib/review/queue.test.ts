import { describe, expect, it } from 'vitest';
import { type IdFetcher, itemPath, positionText, QueueTrail, queueOf, queueQuery, trailFor } from './queue';

/** A list of ids served a keyset page at a time, counting the calls. */
function fake(ids: number[]): { fetch: IdFetcher; calls: { after: number | null; limit: number }[] } {
  const calls: { after: number | null; limit: number }[] = [];
  const fetch: IdFetcher = async (_q, after, limit) => {
    calls.push({ after, limit });
    const rest = ids.filter((i) => after === null || i > after);
    const page = rest.slice(0, limit);
    return { ids: page, nextAfter: page.length === limit ? (page[page.length - 1] as number) : null };
  };
  return { fetch, calls };
}

describe('queues', () => {
  it('reads the list from the item URL', () => {
    expect(queueOf(new URLSearchParams('queue=review'))).toBe('review');
    expect(queueOf(new URLSearchParams('queue=returned'))).toBe('returned');
    expect(queueOf(new URLSearchParams('queue=other'))).toBe('all');
    expect(queueQuery('review')).toEqual({ status: 'labeled' });
    expect(queueQuery('returned')).toEqual({ status: 'rejected', annotator: 'me' });
    expect(itemPath(3, 9, 'review')).toBe('/projects/3/items/9?queue=review');
    expect(itemPath(3, 9, 'all')).toBe('/projects/3/items/9');
  });

  it('says the position when it is known', () => {
    expect(positionText({ index: 11, total: 480 })).toBe('12 / 480');
    expect(positionText({ index: 1234, total: null })).toBe('1,235');
    expect(positionText({ index: null, total: 480 })).toBe('');
  });
});

describe('QueueTrail', () => {
  it('finds neighbours and the position from the ids before the item', async () => {
    const { fetch } = fake([2, 5, 9, 14, 20]);
    const t = new QueueTrail({}, fetch, 4, 2);
    expect(await t.neighbours(9)).toEqual({ prev: 5, next: 14, index: 2, total: null });
    expect(await t.neighbours(20)).toEqual({ prev: 14, next: null, index: 4, total: 5 });
    expect(await t.neighbours(2)).toEqual({ prev: null, next: 5, index: 0, total: 5 });
  });

  it('gives up on the prefix after its page budget, and still knows next and the way back', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => i + 1);
    const { fetch, calls } = fake(ids);
    const t = new QueueTrail({}, fetch, 2, 5);
    const n = await t.neighbours(40);
    expect(n).toEqual({ prev: null, next: 41, index: null, total: null });
    expect(calls.filter((c) => c.limit === 5)).toHaveLength(2);
    t.stepped(40, 41);
    expect((await t.neighbours(41)).prev).toBe(40);
  });

  it('asks the server for the next item when told to (the queue changes under a reviewer)', async () => {
    const { fetch, calls } = fake([1, 2, 3]);
    const t = new QueueTrail({ status: 'labeled' }, fetch);
    await t.neighbours(1);
    const before = calls.length;
    expect(await t.next(1, true)).toBe(2);
    expect(calls.length).toBe(before + 1);
    expect(calls[calls.length - 1]).toEqual({ after: 1, limit: 1 });
  });

  it('forgets an item that left the list', async () => {
    const { fetch } = fake([1, 2, 3]);
    const t = new QueueTrail({}, fetch);
    await t.neighbours(2);
    t.forget(2);
    expect(await t.neighbours(3)).toEqual({ prev: 1, next: null, index: 1, total: 2 });
    expect((await t.neighbours(2)).index).toBeNull();
  });

  it('keeps one trail per project and list for a while', () => {
    const { fetch } = fake([]);
    const a = trailFor(1, 'review', fetch, 1000);
    expect(trailFor(1, 'review', fetch, 2000)).toBe(a);
    expect(trailFor(1, 'all', fetch, 2000)).not.toBe(a);
    expect(trailFor(1, 'review', fetch, 1000 + 6 * 60_000)).not.toBe(a);
  });
});
