import { describe, expect, it } from 'vitest';
import { type Step, UndoHistory } from './history';

/** A step whose requests are recorded in `log` and answer as `ok` says (false: the server refused it). */
function step(what: string, log: string[], ok = { undo: true, redo: true }, track: { id: number } | null = null): Step {
  return {
    what,
    track,
    undo: async (done) => {
      log.push(`undo ${what}`);
      if (ok.undo) done();
    },
    redo: async (done) => {
      log.push(`redo ${what}`);
      if (ok.redo) done();
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('UndoHistory', () => {
  it('undoes newest first and redoes in the order undone', async () => {
    const log: string[] = [];
    const h = new UndoHistory();
    h.push(step('a', log));
    h.push(step('b', log));
    expect(h.undoWhat).toBe('b');
    expect(h.undo()?.what).toBe('b');
    expect(h.undo()?.what).toBe('a');
    expect(h.undo()).toBeNull();
    await tick();
    expect(h.redoWhat).toBe('a');
    expect(h.redo()?.what).toBe('a');
    await tick();
    expect(h.undoWhat).toBe('a');
    expect(h.redoWhat).toBe('b');
    expect(log).toEqual(['undo b', 'undo a', 'redo a']);
  });

  it('forgets what could be redone when a new change is made', async () => {
    const log: string[] = [];
    const h = new UndoHistory();
    h.push(step('a', log));
    h.undo();
    await tick();
    expect(h.redoWhat).toBe('a');
    h.push(step('b', log));
    expect(h.redoWhat).toBeNull();
    expect(h.redo()).toBeNull();
  });

  it('drops a step whose request the server refused', async () => {
    const log: string[] = [];
    const h = new UndoHistory();
    h.push(step('a', log));
    h.push(step('b', log, { undo: false, redo: true }));
    h.undo();
    await tick();
    expect(h.redoWhat).toBeNull();
    expect(h.undoWhat).toBe('a');
    h.undo();
    await tick();
    h.push(step('c', log, { undo: true, redo: false }));
    h.undo();
    await tick();
    h.redo();
    await tick();
    expect([h.undoWhat, h.redoWhat]).toEqual([null, null]);
  });

  it('keeps at most `limit` steps, the newest', () => {
    const log: string[] = [];
    const h = new UndoHistory(() => {}, 3);
    for (const w of ['a', 'b', 'c', 'd', 'e']) h.push(step(w, log));
    expect(h.depth).toBe(3);
    expect([h.undo()?.what, h.undo()?.what, h.undo()?.what, h.undo()]).toEqual(['e', 'd', 'c', null]);
  });

  it('tells when what it can undo or redo changed', async () => {
    let changes = 0;
    const h = new UndoHistory(() => changes++);
    h.push(step('a', []));
    h.undo();
    await tick();
    h.redo();
    await tick();
    expect(changes).toBe(5);
  });

  it('forgets the steps still to undo of a track the server could not put back, not what can be redone', async () => {
    const log: string[] = [];
    const h = new UndoHistory();
    const one = h.ref(1);
    const two = h.ref(2);
    expect(h.ref(1)).toBe(one);
    h.push(step('a1', log, undefined, one));
    h.push(step('b2', log, undefined, two));
    h.push(step('c1', log, undefined, one));
    h.undo();
    await tick();
    h.forgetTrack(one);
    expect([h.undoWhat, h.redoWhat, h.depth]).toEqual(['b2', 'c1', 1]);
  });

  it('lets go of a gone track’s ref: a new track given its id gets its own, and the old one can come back', () => {
    const h = new UndoHistory();
    const ref = h.ref(3);
    h.release(3);
    const other = h.ref(3);
    expect(other).not.toBe(ref);
    h.moveRef(ref, 3);
    expect(h.ref(3)).toBe(ref);
  });

  it('moves a ref to the id a track came back with, for the steps that hold it', () => {
    const h = new UndoHistory();
    const ref = h.ref(3);
    h.moveRef(ref, 7);
    expect(ref.id).toBe(7);
    expect(h.ref(7)).toBe(ref);
    expect(h.ref(3)).not.toBe(ref);
  });

  it('forgets every step of a track whose redo the server refused, to undo and to redo', async () => {
    const log: string[] = [];
    const h = new UndoHistory();
    const [one, two] = [h.ref(1), h.ref(2)];
    for (const [w, r] of [['a1', one], ['b2', two], ['c1', one], ['d1', one]] as const) h.push(step(w, log, undefined, r));
    h.undo();
    h.undo();
    await tick();
    expect([h.undoWhat, h.redoWhat]).toEqual(['b2', 'c1']);
    h.forgetTrack(one, true);
    expect([h.undoWhat, h.redoWhat, h.depth]).toEqual(['b2', null, 1]);
  });

  it('shows a step’s words as its track’s ref names it now', () => {
    let changes = 0;
    const h = new UndoHistory(() => changes++);
    const ref = h.ref(4);
    h.push({ get what() { return `move the box of track ${ref.id}`; }, track: ref, undo: async () => {}, redo: async () => {} });
    expect(h.undoWhat).toBe('move the box of track 4');
    const before = changes;
    h.moveRef(ref, 9);
    expect(changes).toBe(before + 1);
    expect(h.undoWhat).toBe('move the box of track 9');
  });

  it('tells when a track comes back as itself, with its id', () => {
    const h = new UndoHistory();
    const back: number[] = [];
    h.onback = (id) => back.push(id);
    const ref = h.ref(3);
    h.release(3);
    h.moveRef(ref, 3);
    expect(back).toEqual([]);
    h.back(ref);
    expect(back).toEqual([3]);
    expect(h.ref(3)).toBe(ref);
  });
});
