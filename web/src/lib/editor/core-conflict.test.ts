import { describe, expect, it } from 'vitest';
import { EditorCore } from './core';
import { editorOn } from './testing';
import { History } from './history';
import { snapshot } from './snapshot';
import type { ApiAnnotation, Standing } from './types';

function box(id: number, bbox: number[], extra: Partial<ApiAnnotation> = {}): ApiAnnotation {
  return { id, kind: 'box', label: 'car', geometry: { bbox }, source: 'human', model_version: null, score: null, state: 'accepted', ...extra };
}

const B1 = [10, 10, 50, 50];
const B2 = [100, 100, 150, 150];
const shift = (b: readonly number[], dx: number): number[] => b.map((v, i) => (i % 2 === 0 ? v + dx : v));

function setup(list: ApiAnnotation[] = [box(1, B1), box(2, B2, { label: 'dog' })], standing: Standing = 'annotator') {
  const { core, server } = editorOn(list, standing);
  return { core, server };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const bboxOf = (core: EditorCore, id: number) => core.toInputs().find((a) => a.id === id)?.geometry.bbox;
const move = (core: EditorCore, key: string, dx: number) =>
  core.setGeometry(key, { bbox: shift(core.get(key)!.geometry.bbox!, dx) }, 'move box');

/** I move box 1 by 5; they move box 2 by 7 and save; my save gets a 409 and their copy is fetched. */
async function movedApart() {
  const s = setup();
  move(s.core, 's1', 5);
  s.server.other((l) => l.map((a) => (a.id === 2 ? { ...a, geometry: { bbox: shift(B2, 7) } } : a)));
  await s.core.flush();
  await tick();
  return s;
}

describe('merge', () => {
  it('keeps my change and theirs, and the next save goes onto their version without a 409', async () => {
    const { core, server } = await movedApart();
    const c = core.conflict!;
    expect(core.saveStatus).toBe('conflict');
    expect(c.merge).toMatchObject({ conflicts: [], open: 0, stats: { mine: 1, theirs: 1, conflicts: 0 } });
    expect(await core.resolveConflict('merge')).toBe(true);
    expect(core.conflict).toBeNull();
    expect(core.version).toBe(4);
    expect(bboxOf(core, 1)).toEqual(shift(B1, 5));
    expect(bboxOf(core, 2)).toEqual(shift(B2, 7));
    expect(core.saveStatus).toBe('pending');
    expect(core.unsavedCount).toBe(1);
    await core.flush();
    expect(core.saveStatus).toBe('saved');
    expect(server.calls.map((x) => x.version)).toEqual([3, 4]);
    expect(server.list.map((a) => [a.id, a.geometry.bbox])).toEqual([
      [1, shift(B1, 5)],
      [2, shift(B2, 7)],
    ]);
    expect(core.unsavedCount).toBe(0);
  });

  it('lists an annotation both changed by kind, label and place, and merges the side picked for it', async () => {
    const { core, server } = setup();
    move(core, 's1', 5);
    server.other((l) => l.map((a) => (a.id === 1 ? { ...a, geometry: { bbox: shift(B1, 20) } } : a)));
    await core.flush();
    await tick();
    const m = core.conflict!.merge!;
    expect(m.open).toBe(1);
    expect(m.conflicts).toEqual([
      { id: 1, kind: 'both-changed', annKind: 'box', label: 'car', where: 'at 15, 10 · 40 × 40 px', mine: 'moved', theirs: 'moved', choice: null, key: 's1' },
    ]);
    expect(await core.resolveConflict('merge')).toBe(false);
    expect(core.conflict).not.toBeNull();
    core.chooseConflict(1, 'theirs');
    expect(core.conflict!.merge!.open).toBe(0);
    expect(snapshot(core, new Map()).conflict!.merge!.conflicts[0]!.choice).toBe('theirs');
    expect(await core.resolveConflict('merge')).toBe(true);
    expect(bboxOf(core, 1)).toEqual(shift(B1, 20));
    // Nothing of mine is left: the editor holds their copy, saved.
    expect(core.saveStatus).toBe('saved');
    expect(core.unsavedCount).toBe(0);
    await core.flush();
    expect(server.calls.length).toBe(1);
  });

  it('keeps mine for a conflict when picked (all at once), saving it over theirs', async () => {
    const { core, server } = setup();
    move(core, 's1', 5);
    move(core, 's2', 5);
    server.other((l) => l.map((a) => ({ ...a, geometry: { bbox: shift(a.geometry.bbox!, 30) } })));
    await core.flush();
    await tick();
    expect(core.conflict!.merge!.open).toBe(2);
    core.chooseAllConflicts('mine');
    await core.resolveConflict('merge');
    await core.flush();
    expect(server.list.map((a) => a.geometry.bbox)).toEqual([shift(B1, 5), shift(B2, 5)]);
  });

  it('keeps new annotations (temporary keys) and saves each once, with an id', async () => {
    const { core, server } = setup();
    const mine = core.addBox({ x1: 300, y1: 300, x2: 340, y2: 350 })!;
    expect(core.idOf(mine)).toBeNull();
    server.other((l) => [...l, box(50, [400, 10, 440, 60], { label: 'dog' })]);
    await core.flush();
    await tick();
    expect(core.conflict!.merge!.stats).toMatchObject({ mine: 1, theirs: 1 });
    await core.resolveConflict('merge');
    expect(core.selectedKey).toBe(mine);
    await core.flush();
    expect(server.list.map((a) => a.id)).toEqual([1, 2, 50, 100]);
    expect(core.idOf(mine)).toBe(100);
  });

  it('does not duplicate what my own lost save already stored', async () => {
    const { core, server } = setup();
    core.addBox({ x1: 300, y1: 300, x2: 340, y2: 350 });
    server.loseAnswer = true;
    await core.flush();
    expect(core.saveStatus).toBe('error');
    await core.saveNow(); // the retry: the version moved (by my own save), so 409
    await tick();
    expect(core.saveStatus).toBe('conflict');
    expect(core.conflict!.merge!.stats).toMatchObject({ same: 1, conflicts: 0 });
    await core.resolveConflict('merge');
    expect(core.saveStatus).toBe('saved');
    expect(core.anns).toHaveLength(3);
    expect(server.list.map((a) => a.id)).toEqual([1, 2, 100]);
  });

  it('follows edits made while the panel is open', async () => {
    const { core } = await movedApart();
    expect(core.conflict!.merge!.conflicts).toEqual([]);
    move(core, 's2', 1);
    expect(core.conflict!.merge!.conflicts.map((r) => r.id)).toEqual([2]);
    expect(core.conflict!.yourChanges).toMatchObject({ changed: 2 });
  });

  it('asks a reviewer who accepted a proposal that the other one rejected', async () => {
    const p = box(9, [200, 200, 260, 260], { source: 'model', model_version: 'det-1', score: 0.8, state: 'proposed' });
    const { core, server } = setup([p], 'reviewer');
    core.decide('s9', 'accepted');
    server.other((l) => l.map((a) => ({ ...a, state: 'rejected' })));
    await core.flush();
    await tick();
    expect(core.conflict!.merge!.conflicts).toMatchObject([{ id: 9, mine: 'accepted', theirs: 'rejected' }]);
  });
});

describe('undo after a resolution', () => {
  it('after a merge, undoes my own steps on top of their version, never their changes', async () => {
    const { core, server } = await movedApart();
    const added = core.addBox({ x1: 300, y1: 300, x2: 340, y2: 350 })!; // made while the panel is open
    await core.resolveConflict('merge');
    expect(core.history.depth).toBe(2);
    expect(core.undo()).toBe(true); // the box drawn during the conflict
    expect(core.get(added)).toBeUndefined();
    expect(core.undo()).toBe(true); // my move of box 1
    expect(bboxOf(core, 1)).toEqual(B1);
    expect(bboxOf(core, 2)).toEqual(shift(B2, 7));
    expect(core.undo()).toBe(false);
    expect(core.unsavedCount).toBe(0);
    expect(core.redo()).toBe(true);
    expect(bboxOf(core, 1)).toEqual(shift(B1, 5));
    await core.flush();
    expect(server.calls.at(-1)!.version).toBe(4);
    expect(server.list.map((a) => a.geometry.bbox)).toEqual([shift(B1, 5), shift(B2, 7)]);
  });

  it('after "keep mine", undo goes no further back than the resolution', async () => {
    const { core, server } = await movedApart();
    await core.resolveConflict('mine');
    expect(core.history.canUndo).toBe(false);
    expect(core.unsavedCount).toBe(0);
    expect(server.list.map((a) => a.geometry.bbox)).toEqual([shift(B1, 5), B2]);
    move(core, 's2', 3);
    expect(core.unsavedCount).toBe(1);
    expect(core.undo()).toBe(true);
    expect(core.undo()).toBe(false);
  });

  it('after "take theirs", the unsaved count and the status line drop the discarded edits', async () => {
    const { core } = await movedApart();
    core.addBox({ x1: 300, y1: 300, x2: 340, y2: 350 });
    expect(snapshot(core, new Map()).unsaved).toBe(2);
    await core.resolveConflict('theirs');
    const ui = snapshot(core, new Map());
    expect(ui.unsaved).toBe(0);
    expect(ui.canUndo).toBe(false);
    expect(bboxOf(core, 2)).toEqual(shift(B2, 7));
  });
});

describe('History.rebase', () => {
  it('maps every snapshot and drops the steps that became no-ops', () => {
    const h = new History<number>();
    h.push(1, 'a'); // 1 -> 2
    h.push(2, 'b'); // 2 -> 3
    h.push(3, 'c'); // 3 -> 4
    const cur = h.undo(4)!.value; // 3; future: [4]
    h.rebase((v) => (v === 2 ? 3 : v), cur, (a, b) => a === b);
    // past was [1, 2] -> [1, 3]: "b" (3 -> 3) is gone; undo from 3 goes to 1 with "a".
    expect(h.depth).toBe(1);
    expect(h.undoLabel).toBe('a');
    expect(h.redoLabel).toBe('c');
    expect(h.undo(3)).toEqual({ value: 1, label: 'a' });
  });
});
