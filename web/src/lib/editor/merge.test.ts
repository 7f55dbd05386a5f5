import { describe, expect, it } from 'vitest';
import { contentKey, newAnnotation, serverKey } from './annotations';
import { applyMerge, byId, planMerge, type MergeInput, type Side, type Version } from './merge';
import { changeWords, conflictRow, placeOf } from './merge-describe';
import type { Ann } from './types';

/** A stored annotation (key `s<id>`), a box of "car" unless told otherwise. */
function ann(id: number, extra: Partial<Ann> = {}): Ann {
  return { ...newAnnotation('box', { bbox: [10 * id, 10, 10 * id + 20, 40] }, 'car'), key: serverKey(id), ...extra };
}

const moved = (a: Ann, dx: number): Ann => ({ ...a, geometry: { bbox: a.geometry.bbox!.map((v, i) => (i % 2 === 0 ? v + dx : v)) } });
const v = (a: Ann, id: number | null = Number(a.key.slice(1))): Version<Ann> => ({ id, content: contentKey(a), value: a });
/** Mine: stored ones carry their id, new ones (key `n…`, a temporary key) none. */
const mineOf = (list: Ann[]): Version<Ann>[] => list.map((a) => v(a, a.key.startsWith('s') ? Number(a.key.slice(1)) : null));
const baseOf = (list: Ann[]): Map<number, string> => new Map(list.map((a) => [Number(a.key.slice(1)), contentKey(a)]));

function input(base: Ann[], mine: Ann[], theirs: Ann[]): MergeInput<Ann> {
  return { base: baseOf(base), mine: mineOf(mine), theirs: theirs.map((a) => v(a)) };
}

/** Merge with every conflict settled by `side` (or none: the list is null then). */
function run(base: Ann[], mine: Ann[], theirs: Ann[], side?: Side) {
  const plan = planMerge(input(base, mine, theirs));
  const out = applyMerge(plan, byId(new Map(), side));
  return { plan, out, list: out.list, ids: out.list?.map((a) => a.key) };
}

const [b1, b2, b3] = [ann(1), ann(2), ann(3)];
const base = [b1, b2, b3];

describe('three-way merge: one side changed', () => {
  it('keeps what only I changed and what only they changed, with no conflict', () => {
    const mine = [moved(b1, 5), b2, b3];
    const theirs = [b1, moved(b2, 7), b3];
    const { plan, list } = run(base, mine, theirs);
    expect(plan.conflicts).toEqual([]);
    expect(list).toEqual([mine[0], theirs[1], b3]);
    expect(plan.stats).toMatchObject({ mine: 1, theirs: 1, unchanged: 1, conflicts: 0 });
  });

  it('takes theirs once when both made the same change', () => {
    const mine = [moved(b1, 5), b2, b3];
    const theirs = [moved(b1, 5), b2, b3];
    const { plan, list } = run(base, mine, theirs);
    expect(plan.conflicts).toEqual([]);
    expect(list![0]).toBe(theirs[0]);
  });

  it('deletes what one side deleted and the other left alone', () => {
    expect(run(base, [b2, b3], base).ids).toEqual(['s2', 's3']);
    expect(run(base, base, [b1, b3]).ids).toEqual(['s1', 's3']);
    const both = run(base, [b1, b3], [b1, b3]);
    expect(both.ids).toEqual(['s1', 's3']);
    expect(both.plan.stats.conflicts).toBe(0);
  });

  it('keeps annotations added on either side, theirs in their order and then mine', () => {
    const mineNew = { ...newAnnotation('box', { bbox: [300, 300, 340, 340] }, 'dog') };
    const mineNew2 = { ...newAnnotation('polygon', { points: [1, 1, 9, 1, 5, 9] }, 'car') };
    const theirNew = ann(50, { label: 'dog' });
    const { plan, list } = run(base, [...base, mineNew, mineNew2], [...base, theirNew]);
    expect(plan.conflicts).toEqual([]);
    expect(list!.map((a) => a.key)).toEqual(['s1', 's2', 's3', 's50', mineNew.key, mineNew2.key]);
    expect(plan.stats).toMatchObject({ mine: 2, theirs: 1 });
  });
});

describe('three-way merge: conflicts', () => {
  it('reports an annotation both changed differently, and applies the side chosen for it', () => {
    const mine = [moved(b1, 5), b2, b3];
    const theirs = [{ ...b1, label: 'dog' }, moved(b2, 1), b3];
    const plan = planMerge(input(base, mine, theirs));
    expect(plan.conflicts).toEqual([{ id: 1, kind: 'both-changed', mine: mine[0], theirs: theirs[0] }]);
    expect(applyMerge(plan, byId(new Map()))).toEqual({ list: null, open: 1 });
    expect(applyMerge(plan, byId(new Map([[1, 'mine']]))).list).toEqual([mine[0], theirs[1], b3]);
    expect(applyMerge(plan, byId(new Map([[1, 'theirs']]))).list).toEqual([theirs[0], theirs[1], b3]);
  });

  it('settles every conflict at once with one side, and per annotation otherwise', () => {
    const mine = [moved(b1, 5), moved(b2, 5), b3];
    const theirs = [moved(b1, 9), moved(b2, 9), b3];
    const plan = planMerge(input(base, mine, theirs));
    expect(plan.conflicts.map((c) => c.id)).toEqual([1, 2]);
    expect(applyMerge(plan, byId(new Map(), 'mine')).list).toEqual([mine[0], mine[1], b3]);
    expect(applyMerge(plan, byId(new Map(), 'theirs')).list).toEqual(theirs);
    const mixed = applyMerge(plan, byId(new Map([[2, 'mine']]), 'theirs')).list;
    expect(mixed).toEqual([theirs[0], mine[1], b3]);
    expect(applyMerge(plan, byId(new Map([[2, 'mine']]))).open).toBe(1);
  });

  it('asks when I deleted what they changed', () => {
    const theirs = [moved(b1, 3), b2, b3];
    const plan = planMerge(input(base, [b2, b3], theirs));
    expect(plan.conflicts).toEqual([{ id: 1, kind: 'mine-deleted', mine: null, theirs: theirs[0] }]);
    expect(applyMerge(plan, byId(new Map(), 'mine')).list!.map((a) => a.key)).toEqual(['s2', 's3']);
    expect(applyMerge(plan, byId(new Map(), 'theirs')).list!.map((a) => a.key)).toEqual(['s1', 's2', 's3']);
  });

  it('asks when they deleted what I changed; keeping mine keeps my copy (the editor sends it as new)', () => {
    const mine = [b1, { ...b2, label: 'dog' }, b3];
    const plan = planMerge(input(base, mine, [b1, b3]));
    expect(plan.conflicts).toEqual([{ id: 2, kind: 'theirs-deleted', mine: mine[1], theirs: null }]);
    expect(applyMerge(plan, byId(new Map(), 'mine')).list).toEqual([b1, b3, mine[1]]);
    expect(applyMerge(plan, byId(new Map(), 'theirs')).list).toEqual([b1, b3]);
  });
});

describe('three-way merge: identities', () => {
  it('treats annotations with a temporary key (never saved) as mine, even when they look like a stored one', () => {
    // I deleted box 1 and drew the very same box again: a new annotation with a temporary key.
    const redrawn = { ...b1, key: 'n1' };
    const { plan, list } = run(base, [b2, b3, redrawn], base);
    expect(plan.conflicts).toEqual([]);
    expect(list).toEqual([b2, b3, redrawn]);
    expect(plan.stats).toMatchObject({ deleted: 1, mine: 1 });
  });

  it('keeps an addition made on both sides with the same content once, as theirs (with its id)', () => {
    // Both tagged the image "dog"; or my own save went through but its answer was lost.
    const myTag = newAnnotation('class', {}, 'dog');
    const myBox = newAnnotation('box', { bbox: [1, 2, 30, 40] }, 'car');
    const theirTag = ann(60, { kind: 'class', label: 'dog', geometry: {} });
    const theirBox = ann(61, { geometry: { bbox: [1, 2, 30, 40] } });
    const { plan, list } = run(base, [...base, myTag, myBox], [...base, theirTag, theirBox]);
    expect(list!.map((a) => a.key)).toEqual(['s1', 's2', 's3', 's60', 's61']);
    expect(plan.matched).toEqual([
      { mine: myTag, theirs: theirTag },
      { mine: myBox, theirs: theirBox },
    ]);
    expect(plan.stats.same).toBe(2);
  });

  it('matches identical additions one to one: a second copy of mine stays', () => {
    const a = newAnnotation('class', {}, 'dog');
    const b = newAnnotation('class', {}, 'dog');
    const their = ann(60, { kind: 'class', label: 'dog', geometry: {} });
    expect(run([], [a, b], [their]).ids).toEqual(['s60', b.key]);
  });

  it('keeps both when both added different annotations', () => {
    const mine = newAnnotation('class', {}, 'dog');
    const theirs = ann(60, { kind: 'class', label: 'cat', geometry: {} });
    expect(run([], [mine], [theirs]).ids).toEqual(['s60', mine.key]);
  });

  it('keeps an id of mine that neither the base nor theirs holds, as an addition', () => {
    const odd = ann(77);
    expect(run(base, [...base, odd], base).ids).toEqual(['s1', 's2', 's3', 's77']);
  });

  it('uses my own copy of the base to tell what I changed (the server may have normalised its copy)', () => {
    const local = ann(1, { geometry: { bbox: [10, 10, 30, 40.004] } });
    const server = ann(1, { geometry: { bbox: [10, 10, 30, 40] } });
    const theirs = [moved(server, 4)];
    const plain = planMerge({ base: baseOf([server]), mine: mineOf([local]), theirs: theirs.map((a) => v(a)) });
    expect(plain.conflicts).toHaveLength(1); // without it, my untouched box looks changed
    const plan = planMerge({ base: baseOf([server]), mineBase: baseOf([local]), mine: mineOf([local]), theirs: theirs.map((a) => v(a)) });
    expect(plan.conflicts).toEqual([]);
    expect(applyMerge(plan, byId(new Map())).list).toEqual(theirs);
  });
});

describe('three-way merge: tracks and model proposals', () => {
  const t1 = ann(10, { kind: 'track_box', track_id: 7, frame: 1 });
  const t2 = ann(11, { kind: 'track_box', track_id: 7, frame: 2 });

  it('merges boxes of one track frame by frame, and a new frame box keeps its track', () => {
    const mineNew = { ...newAnnotation('track_box', { bbox: [5, 5, 25, 25] }, 'car'), track_id: 7, frame: 3 };
    const mine = [moved(t1, 2), t2, mineNew];
    const theirs = [t1, moved(t2, 6)];
    const { plan, list } = run([t1, t2], mine, theirs);
    expect(plan.conflicts).toEqual([]);
    expect(list).toEqual([mine[0], theirs[1], mineNew]);
    expect(list![2]!.track_id).toBe(7);
  });

  it('counts moving a box to another track as a change that can conflict', () => {
    const plan = planMerge(input([t1], [{ ...t1, track_id: 8 }], [moved(t1, 3)]));
    expect(plan.conflicts.map((c) => c.kind)).toEqual(['both-changed']);
  });

  const p1 = ann(20, { source: 'model', model_version: 'det-1', score: 0.9, state: 'proposed' });
  const p2 = ann(21, { source: 'model', model_version: 'det-1', score: 0.6, state: 'proposed' });

  it('keeps decisions on different proposals from both sides', () => {
    const mine = [{ ...p1, state: 'accepted' as const }, p2];
    const theirs = [p1, { ...p2, state: 'rejected' as const }];
    const { plan, list } = run([p1, p2], mine, theirs);
    expect(plan.conflicts).toEqual([]);
    expect(list!.map((a) => a.state)).toEqual(['accepted', 'rejected']);
  });

  it('asks when one accepted and the other rejected the same proposal', () => {
    const plan = planMerge(input([p1], [{ ...p1, state: 'accepted' }], [{ ...p1, state: 'rejected' }]));
    expect(plan.conflicts.map((c) => c.kind)).toEqual(['both-changed']);
  });

  it('follows a new model run: untouched old proposals go, new ones come, a decided old one asks', () => {
    const fresh = ann(30, { source: 'model', model_version: 'det-2', score: 0.8, state: 'proposed' });
    const mine = [{ ...p1, state: 'accepted' as const }, p2];
    const { plan } = run([p1, p2], mine, [fresh]);
    expect(plan.conflicts).toEqual([{ id: 20, kind: 'theirs-deleted', mine: mine[0], theirs: null }]);
    expect(applyMerge(plan, byId(new Map(), 'theirs')).list).toEqual([fresh]);
    expect(applyMerge(plan, byId(new Map(), 'mine')).list).toEqual([fresh, mine[0]]);
  });
});

describe('conflict words', () => {
  it('names the kind, label and place of an annotation, and what each side did', () => {
    const mine = moved(b1, 5);
    const theirs = { ...b1, label: 'dog', state: 'rejected' as const };
    const row = conflictRow({ id: 1, kind: 'both-changed', mine, theirs }, () => b1, null);
    expect(row).toEqual({
      id: 1,
      kind: 'both-changed',
      annKind: 'box',
      label: 'car',
      where: 'at 15, 10 · 20 × 30 px',
      mine: 'moved',
      theirs: 'relabelled to dog, rejected',
      choice: null,
      key: 's1',
    });
    const gone = conflictRow({ id: 1, kind: 'mine-deleted', mine: null, theirs: moved(b1, 2) }, () => b1, 'theirs');
    expect(gone).toMatchObject({ mine: 'deleted', theirs: 'moved', key: null, choice: 'theirs', where: 'at 12, 10 · 20 × 30 px' });
  });

  it('describes resizes, reshapes, spans and tags', () => {
    expect(changeWords(b1, { ...b1, geometry: { bbox: [10, 10, 90, 90] } })).toBe('resized');
    const poly = ann(4, { kind: 'polygon', geometry: { points: [0, 0, 10, 0, 5, 5] } });
    expect(changeWords(poly, { ...poly, geometry: { points: [0, 0, 12, 0, 5, 5] } })).toBe('reshaped');
    expect(changeWords(undefined, b1)).toBe('added');
    expect(changeWords(b1, { ...b1, attributes: { occluded: true } })).toBe('changed attributes');
    expect(placeOf({ kind: 'span', geometry: { start: 3, end: 9 }, frame: null })).toBe('characters 3–9');
    expect(placeOf({ kind: 'class', geometry: {}, frame: null })).toBe('whole item');
    expect(placeOf({ kind: 'track_box', geometry: { bbox: [0, 0, 4, 4] }, frame: 12 })).toBe('at 0, 0 · 4 × 4 px · frame 12');
  });
});
