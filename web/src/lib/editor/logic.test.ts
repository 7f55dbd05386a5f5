import { describe, expect, it } from 'vitest';
import { assignNewIds, contentKey, diffLists, fromApi, keyedApi } from './annotations';
import { History } from './history';
import { actionFor, labelForKey, labelHotkeys, nudgeFor } from './keymap';
import { tabMovesFocus } from './keys';
import { acceptAllAbove, nextProposal, proposalCounts, setState } from './proposals';
import type { ApiAnnotation } from './types';

function api(id: number, extra: Partial<ApiAnnotation> = {}): ApiAnnotation {
  return { id, kind: 'box', label: 'car', geometry: { bbox: [0, 0, 10, 10] }, source: 'human', model_version: null, score: null, state: 'accepted', ...extra };
}

function proposal(id: number, score: number | null): ApiAnnotation {
  return api(id, { source: 'model', model_version: 'm1', score, state: 'proposed' });
}

describe('History', () => {
  it('undoes and redoes snapshots, and a new step clears redo', () => {
    const h = new History<number>();
    h.push(0, 'a');
    h.push(1, 'b');
    expect(h.undo(2)).toEqual({ value: 1, label: 'b' });
    expect(h.undo(1)).toEqual({ value: 0, label: 'a' });
    expect(h.undo(0)).toBeNull();
    expect(h.redo(0)).toEqual({ value: 1, label: 'a' });
    expect(h.canRedo).toBe(true);
    h.push(1, 'c');
    expect(h.canRedo).toBe(false);
    expect(h.undoLabel).toBe('c');
  });

  it('keeps at most `limit` steps', () => {
    const h = new History<number>(3);
    for (let i = 0; i < 10; i++) h.push(i, `s${i}`);
    expect(h.depth).toBe(3);
    expect(h.undo(10)?.value).toBe(9);
  });
});

describe('proposals', () => {
  const list = [api(1), proposal(2, 0.9), proposal(3, 0.4), proposal(4, null), proposal(5, 0.7)].map((a) => fromApi(a));

  it('accepts all at or above a score, keeping the model as the source', () => {
    const { list: out, count } = acceptAllAbove(list, 0.7);
    expect(count).toBe(2);
    const byId = (k: string) => out.find((a) => a.key === k)!;
    expect(byId('s2').state).toBe('accepted');
    expect(byId('s2').source).toBe('model');
    expect(byId('s2').score).toBe(0.9);
    expect(byId('s5').state).toBe('accepted');
    expect(byId('s3').state).toBe('proposed');
    expect(byId('s4').state).toBe('proposed');
    expect(acceptAllAbove(list, 0.95).list).toBe(list);
  });

  it('sets one state without touching the others', () => {
    const out = setState(list, 's3', 'rejected');
    expect(out.find((a) => a.key === 's3')!.state).toBe('rejected');
    expect(out.filter((a) => a.state === 'rejected').length).toBe(1);
    expect(setState(list, 'nope', 'rejected')).toBe(list);
  });

  it('steps through proposals by score, wrapping', () => {
    expect(nextProposal(list, null)).toBe('s2');
    expect(nextProposal(list, 's2')).toBe('s5');
    expect(nextProposal(list, 's5')).toBe('s3');
    expect(nextProposal(list, 's4')).toBe('s2');
    expect(nextProposal(list, 's2', -1)).toBe('s4');
    expect(nextProposal([fromApi(api(9))], null)).toBeNull();
    const tag = fromApi(proposal(10, 0.99));
    const withTag = [...list, { ...tag, kind: 'class' as const, geometry: {} }];
    expect(nextProposal(withTag, null)).toBe('s2');
  });

  it('counts proposals by state', () => {
    expect(proposalCounts(setState(list, 's2', 'accepted'))).toEqual({ proposed: 3, accepted: 1, rejected: 0 });
  });
});

describe('ids and diffs', () => {
  it('pairs new annotations with the ids the server gave, in order', () => {
    const sent = [
      { key: 'a', id: 5, content: 'x' },
      { key: 'n1', id: null, content: 'y' },
      { key: 'n2', id: null, content: 'z' },
    ];
    const returned = [api(5), api(12), api(11)];
    expect([...assignNewIds(sent, returned)]).toEqual([
      ['n1', 11],
      ['n2', 12],
    ]);
  });

  it('falls back to matching contents when the counts disagree', () => {
    const a = api(20, { label: 'dog' });
    const b = api(21, { label: 'cat' });
    const sent = [{ key: 'n1', id: null, content: contentKey(b) }];
    expect([...assignNewIds(sent, [a, b])]).toEqual([['n1', 21]]);
  });

  it('counts added, removed and changed by id', () => {
    const from = keyedApi([api(1), api(2), api(3)]);
    const to = keyedApi([api(1), api(3, { label: 'dog' }), api(4)]);
    expect(diffLists(from, to)).toEqual({ added: 1, removed: 1, changed: 1, unchanged: 1 });
    expect(diffLists(from, [...from, { id: null, content: 'new' }]).added).toBe(1);
  });

  it('treats key order inside geometry and attributes as irrelevant', () => {
    expect(contentKey(api(1, { attributes: { a: 1, b: 2 } }))).toBe(contentKey(api(1, { attributes: { b: 2, a: 1 } })));
    expect(contentKey(api(1))).not.toBe(contentKey(api(1, { geometry: { bbox: [0, 0, 10, 11] } })));
  });
});

describe('keymap', () => {
  const k = (key: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({
    key,
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    altKey: false,
    ...mods,
  });

  it('maps the documented keys', () => {
    expect(actionFor(k('z', { ctrlKey: true }))).toBe('undo');
    expect(actionFor(k('Z', { ctrlKey: true, shiftKey: true }))).toBe('redo');
    expect(actionFor(k('y', { metaKey: true }))).toBe('redo');
    expect(actionFor(k('Delete'))).toBe('delete');
    expect(actionFor(k('a'))).toBe('accept');
    expect(actionFor(k('x'))).toBe('reject');
    expect(actionFor(k('?', { shiftKey: true }))).toBe('help');
    expect(actionFor(k('n'))).toBe('item.next');
    expect(actionFor(k('s'))).toBe('tool.grabcut');
    expect(actionFor(k('s', { ctrlKey: true }))).toBe('save');
    expect(actionFor(k('ArrowLeft'))).toBe('item.prev');
    expect(nudgeFor(k('ArrowLeft'))).toEqual({ dx: -1, dy: 0, resize: false });
    expect(nudgeFor(k('ArrowDown', { shiftKey: true }))).toEqual({ dx: 0, dy: 10, resize: false });
    expect(nudgeFor(k('ArrowRight', { ctrlKey: true }))).toEqual({ dx: 1, dy: 0, resize: true });
    expect(nudgeFor(k('ArrowLeft', { altKey: true }))).toBeNull(); // the browser's back
    expect(nudgeFor(k('n'))).toBeNull();
    expect(actionFor(k('Tab', { shiftKey: true }))).toBe('shape.prev');
    expect(actionFor(k('a', { altKey: true }))).toBeNull();
    expect(actionFor(k('q', { ctrlKey: true }))).toBeNull();
  });

  it('binds class hotkeys that do not clash with editor keys', () => {
    const keys = labelHotkeys([
      { name: 'car', color: '#000000', hotkey: '1' },
      { name: 'dog', color: '#000000', hotkey: 'a' },
      { name: 'cat', color: '#000000', hotkey: 'C' },
    ]);
    expect([...keys]).toEqual([
      ['1', 'car'],
      ['c', 'cat'],
    ]);
    expect(labelForKey(k('1'), keys)).toBe('car');
    expect(labelForKey(k('1', { ctrlKey: true }), keys)).toBeNull();
  });

  it('leaves Tab to a focused control and keeps it for shapes on the canvas or the page body', () => {
    const body = { tagName: 'BODY' };
    expect(tabMovesFocus({ tagName: 'BUTTON' }, body)).toBe(true);
    expect(tabMovesFocus({ tagName: 'A' }, body)).toBe(true);
    expect(tabMovesFocus({ tagName: 'SELECT' }, body)).toBe(true);
    expect(tabMovesFocus({ tagName: 'CANVAS' }, body)).toBe(false);
    expect(tabMovesFocus(body, body)).toBe(false);
    expect(tabMovesFocus(null, body)).toBe(false);
  });
});
