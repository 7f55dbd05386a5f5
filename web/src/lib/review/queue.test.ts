import { describe, expect, it } from 'vitest';
import { type IdFetcher, inQueue, itemPath, positionText, QueueTrail, queueOf, queueQuery, trailFor } from './queue';

type Call = { after?: number | null; before?: number; limit: number };

/** A list of ids served a keyset page at a time, both ways, counting the calls. */
function fake(ids: number[]): { fetch: IdFetcher; calls: Call[] } {
  const calls: Call[] = [];
  const fetch: IdFetcher = async (_q, cursor, limit) => {
    calls.push({ ...cursor, limit });
    if ('before' in cursor) return ids.filter((i) => i < cursor.before).slice(-limit);
    return ids.filter((i) => cursor.after === null || i > cursor.after).slice(0, limit);
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

  it('knows which items are in a list', () => {
    expect(inQueue('all', { status: 'new' }, 1)).toBe(true);
    expect(inQueue('review', { status: 'labeled' }, 1)).toBe(true);
    expect(inQueue('review', { status: 'reviewed' }, 1)).toBe(false);
    expect(inQueue('returned', { status: 'rejected', annotator_id: 1 }, 1)).toBe(true);
    expect(inQueue('returned', { status: 'rejected', annotator_id: 2 }, 1)).toBe(false);
  });

  it('says the position when it is known', () => {
    expect(positionText({ index: 11, total: 480 })).toBe('12 / 480');
    expect(positionText({ index: 1234, total: null })).toBe('1,235');
    expect(positionText({ index: null, total: 480 })).toBe('');
  });
});

describe('QueueTrail', () => {
  it('finds neighbours and the position near the start with two requests', async () => {
    const { fetch, calls } = fake([2, 5, 9, 14, 20]);
    const t = new QueueTrail({}, fetch, 10);
    expect(await t.neighbours(9)).toEqual({ prev: 5, next: 14, index: 2, total: null });
    expect(calls).toEqual([
      { before: 9, limit: 10 },
      { after: 9, limit: 1 },
    ]);
    expect(await t.neighbours(20)).toEqual({ prev: 14, next: null, index: 4, total: 5 });
    expect(await t.neighbours(2)).toEqual({ prev: null, next: 5, index: 0, total: 5 });
  });

  it('finds the previous item at any depth without loading the list from its start', async () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => i + 1);
    const { fetch, calls } = fake(ids);
    const t = new QueueTrail({}, fetch, 50);
    const n = await t.neighbours(90_000);
    expect(n).toEqual({ prev: 89_999, next: 90_001, index: null, total: null });
    expect(calls).toHaveLength(2);
    expect(Math.max(...calls.map((c) => c.limit))).toBe(50);
    expect(await t.prev(90_000)).toBe(89_999);
    expect(await t.next(90_000)).toBe(90_001);
  });

  it('carries a known position along the steps the user takes', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => i + 1);
    const { fetch } = fake(ids);
    const t = new QueueTrail({}, fetch, 5);
    expect((await t.neighbours(3)).index).toBe(2);
    t.stepped(3, 4);
    expect((await t.neighbours(4)).index).toBe(3);
    for (let id = 4; id < 12; id++) {
      t.stepped(id, id + 1);
      expect((await t.neighbours(id + 1)).index).toBe(id);
    }
    t.stepped(12, 11);
    expect((await t.neighbours(11)).index).toBe(10);
    // Deep and never reached by steps: no position, but previous and next all the same.
    expect(await t.neighbours(25)).toEqual({ prev: 24, next: 26, index: null, total: null });
  });

  it('knows the size once the end is reached from a known position, else from the counts', async () => {
    const { fetch } = fake([1, 2, 3]);
    const t = new QueueTrail({}, fetch, 1);
    t.knownTotal = 7;
    expect((await t.neighbours(1)).total).toBe(7);
    t.stepped(1, 2);
    await t.neighbours(2);
    t.stepped(2, 3);
    expect(await t.neighbours(3)).toEqual({ prev: 2, next: null, index: 2, total: 3 });
  });

  it('has no position for an item that is not in the list', async () => {
    const { fetch } = fake([1, 3, 5]);
    const t = new QueueTrail({ status: 'labeled' }, fetch);
    expect(await t.neighbours(4, false)).toEqual({ prev: 3, next: 5, index: null, total: null });
  });

  it('moves the items after one that left the list up by one', async () => {
    const { fetch } = fake([1, 2, 3, 4]);
    const t = new QueueTrail({}, fetch, 2);
    await t.neighbours(1);
    t.stepped(1, 2);
    await t.neighbours(2);
    t.stepped(2, 3);
    await t.neighbours(3);
    expect(t.indexOf(4)).toBe(3);
    t.forget(2);
    expect(t.indexOf(2)).toBeNull();
    expect(t.indexOf(3)).toBe(1);
    expect(t.indexOf(4)).toBe(2);
    expect(t.indexOf(1)).toBe(0);
  });

  it('keeps one trail per project and list for a while', () => {
    const { fetch } = fake([]);
    const a = trailFor(1, 'review', fetch, 1000);
    expect(trailFor(1, 'review', fetch, 2000)).toBe(a);
    expect(trailFor(1, 'all', fetch, 2000)).not.toBe(a);
    expect(trailFor(1, 'review', fetch, 1000 + 6 * 60_000)).not.toBe(a);
  });
});
