import { describe, expect, it } from 'vitest';
import { EditorCore } from './core';
import { editorOn, schema } from './testing';
import type { ApiAnnotation, Standing } from './types';

function ann(id: number, extra: Partial<ApiAnnotation> = {}): ApiAnnotation {
  return { id, kind: 'box', label: 'car', geometry: { bbox: [10, 10, 50, 50] }, source: 'human', model_version: null, score: null, state: 'accepted', ...extra };
}

function setup(list: ApiAnnotation[] = [ann(1), ann(2, { label: 'dog' })], standing: Standing = 'annotator') {
  return editorOn(list, standing, { autosaveDelay: 800, retryDelay: 1000 });
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('editing', () => {
  it('draws a box with the current label, and undo/redo restore the lists', () => {
    const { core } = setup();
    core.chooseLabel('dog');
    const key = core.addBox({ x1: 100, y1: 100, x2: 200.123, y2: 150 });
    expect(key).not.toBeNull();
    expect(core.selectedKey).toBe(key);
    const added = core.get(key)!;
    expect(added.label).toBe('dog');
    expect(added.geometry.bbox).toEqual([100, 100, 200.12, 150]);
    expect(added.source).toBe('human');
    expect(core.anns.length).toBe(3);
    core.setGeometry(key!, { bbox: [100, 100, 300, 200] }, 'resize box');
    expect(core.undo()).toBe(true);
    expect(core.get(key)!.geometry.bbox).toEqual([100, 100, 200.12, 150]);
    expect(core.undo()).toBe(true);
    expect(core.anns.length).toBe(2);
    expect(core.selectedKey).toBeNull();
    expect(core.redo()).toBe(true);
    expect(core.redo()).toBe(true);
    expect(core.get(key)!.geometry.bbox).toEqual([100, 100, 300, 200]);
    expect(core.redo()).toBe(false);
  });

  it('moves and resizes the selected shape with the arrow keys, inside the image, one undo step each', () => {
    const poly: ApiAnnotation = ann(3, { kind: 'polygon', geometry: { points: [600, 400, 630, 400, 630, 470] } });
    const { core } = setup([ann(1), poly]);
    expect(core.nudgeSelected(1, 0)).toBe(false); // nothing selected
    core.select('s1');
    expect(core.nudgeSelected(10, -1)).toBe(true);
    expect(core.get('s1')!.geometry.bbox).toEqual([20, 9, 60, 49]);
    expect(core.history.undoLabel).toBe('move (keys)');
    expect(core.nudgeSelected(-100, 0)).toBe(true); // stops at the image's left edge
    expect(core.get('s1')!.geometry.bbox).toEqual([0, 9, 40, 49]);
    expect(core.nudgeSelected(-1, 0)).toBe(false);
    expect(core.nudgeSelected(5, 1, true)).toBe(true); // Ctrl: the right and bottom edges
    expect(core.get('s1')!.geometry.bbox).toEqual([0, 9, 45, 50]);
    expect(core.nudgeSelected(-100, -100, true)).toBe(true); // never under 2 px a side
    expect(core.get('s1')!.geometry.bbox).toEqual([0, 9, 2, 11]);
    expect(core.undo() && core.undo()).toBe(true);
    expect(core.get('s1')!.geometry.bbox).toEqual([0, 9, 40, 49]);
    core.select('s3');
    expect(core.nudgeSelected(20, 20)).toBe(true); // a polygon moves whole, up to the corner
    expect(core.get('s3')!.geometry.points).toEqual([610, 410, 640, 410, 640, 480]);
    expect(core.nudgeSelected(1, 1, true)).toBe(false); // and is not resized
  });

  it('relabels the selected shape from the label picker', () => {
    const { core } = setup();
    core.select('s1');
    core.chooseLabel('dog');
    expect(core.get('s1')!.label).toBe('dog');
    expect(core.history.undoLabel).toBe('relabel to dog');
  });

  it('deletes the selection and toggles whole-image tags', () => {
    const { core } = setup();
    core.select('s2');
    core.deleteSelected();
    expect(core.anns.map((a) => a.key)).toEqual(['s1']);
    core.toggleTag('car');
    expect(core.tags().map((a) => [a.label, a.kind, a.geometry])).toEqual([['car', 'class', {}]]);
    core.toggleTag('car');
    expect(core.tags()).toEqual([]);
  });

  it('refuses edits for viewers and kinds the project does not allow', () => {
    const viewer = setup(undefined, 'viewer').core;
    expect(viewer.readonly).toBe(true);
    expect(viewer.addBox({ x1: 0, y1: 0, x2: 10, y2: 10 })).toBeNull();
    expect(viewer.saveStatus).toBe('readonly');
    const { core } = setup();
    expect(core.addPolygon([0, 0, 10, 0])).toBeNull();
    expect(core.notice?.text).toMatch(/at least 3 points/);
  });
});

describe('proposals', () => {
  const list = [ann(1), ann(2, { source: 'model', model_version: 'm', score: 0.8, state: 'proposed' }), ann(3, { source: 'model', model_version: 'm', score: 0.3, state: 'proposed' })];

  it('lets a reviewer accept (keeping the model as source) and moves to the next proposal', () => {
    const { core } = setup(list, 'reviewer');
    core.select('s2');
    expect(core.decide('s2', 'accepted')).toBe(true);
    expect(core.get('s2')).toMatchObject({ state: 'accepted', source: 'model', score: 0.8, model_version: 'm' });
    expect(core.selectedKey).toBe('s3');
    core.decide('s3', 'rejected');
    expect(core.get('s3')!.state).toBe('rejected');
    expect(core.visible(core.get('s3')!)).toBe(false);
  });

  it('makes an annotator\'s accept their own label, and refuses their reject, removal and bulk accept', () => {
    const { core } = setup(list, 'annotator');
    expect(core.decide('s3', 'rejected')).toBe(false);
    expect(core.notice?.text).toMatch(/reviewer/);
    core.select('s3');
    expect(core.deleteSelected()).toBe(false);
    expect(core.get('s3')!.state).toBe('proposed');
    expect(core.acceptAbove(0.1)).toBe(0);
    expect(core.decide('s2', 'accepted')).toBe(true);
    expect(core.get('s2')).toMatchObject({ source: 'human', state: 'accepted', score: null, model_version: 'm' });
    // One already accepted (by a reviewer or the auto-accept band) stays the model's.
    const decided = setup([ann(4, { source: 'model', model_version: 'm', score: 0.97, state: 'accepted' })], 'annotator').core;
    decided.decide('s4', 'accepted');
    expect(decided.get('s4')).toMatchObject({ source: 'model', state: 'accepted', score: 0.97 });
  });

  it('makes a proposal anyone relabels or moves their own label', () => {
    for (const standing of ['reviewer', 'annotator'] as const) {
      const { core } = setup(list, standing);
      core.select('s2');
      core.chooseLabel('dog');
      expect(core.get('s2')).toMatchObject({ label: 'dog', source: 'human', state: 'accepted', score: null, model_version: 'm' });
      core.setGeometry('s3', { bbox: [0, 0, 20, 20] }, 'move box');
      expect(core.get('s3')).toMatchObject({ source: 'human', state: 'accepted', score: null });
    }
  });

  it('decides the best class proposal when nothing is selected', () => {
    const classes = [ann(4, { kind: 'class', label: 'car', geometry: {}, source: 'model', model_version: 'm', score: 0.4, state: 'proposed' }),
      ann(5, { kind: 'class', label: 'dog', geometry: {}, source: 'model', model_version: 'm', score: 0.9, state: 'proposed' })];
    const { core } = setup(classes, 'reviewer');
    expect(core.decide(null, 'rejected')).toBe(true);
    expect(core.get('s5')!.state).toBe('rejected');
    expect(core.decide(null, 'accepted')).toBe(true);
    expect(core.get('s4')).toMatchObject({ state: 'accepted', source: 'model' });
    expect(core.decide(null, 'accepted')).toBe(false);
    expect(core.notice?.text).toMatch(/Select a model proposal/);
  });

  it('drops the selection when a drawing tool is picked, so a class key then picks the new shape\'s class', () => {
    const { core } = setup(list, 'reviewer');
    core.decide('s2', 'rejected');
    expect(core.selectedKey).toBe('s3'); // the next proposal, selected for review
    core.setTool('box');
    expect(core.selectedKey).toBeNull();
    core.chooseLabel('dog');
    expect(core.get('s3')).toMatchObject({ label: 'car', source: 'model', state: 'proposed' });
    expect(core.currentLabel).toBe('dog');
  });

  it('accepts all above a threshold as one undoable step', () => {
    const { core } = setup(list, 'owner');
    expect(core.acceptAbove(0.5)).toBe(1);
    expect(core.get('s2')!.state).toBe('accepted');
    expect(core.get('s3')!.state).toBe('proposed');
    core.undo();
    expect(core.get('s2')!.state).toBe('proposed');
  });
});

describe('autosave', () => {
  it('saves the whole list once, 800 ms after the last change, and adopts version and ids', async () => {
    const { core, server, timers } = setup();
    const k1 = core.addBox({ x1: 1, y1: 1, x2: 20, y2: 20 })!;
    timers.advance(500);
    const k2 = core.addBox({ x1: 30, y1: 30, x2: 60, y2: 60 })!;
    expect(core.saveStatus).toBe('pending');
    timers.advance(700);
    expect(server.calls.length).toBe(0);
    timers.advance(100);
    expect(core.saveStatus).toBe('saving');
    await flush();
    expect(server.calls.length).toBe(1);
    expect(server.calls[0]!.version).toBe(3);
    expect(server.calls[0]!.list.map((a) => a.id)).toEqual([1, 2, null, null]);
    expect(core.saveStatus).toBe('saved');
    expect(core.version).toBe(4);
    expect(core.idOf(k1)).toBe(100);
    expect(core.idOf(k2)).toBe(101);
    expect(core.hasUnsaved).toBe(false);
  });

  it('keeps edits made while a save is in flight and saves them next', async () => {
    const { core, server, timers } = setup();
    core.addBox({ x1: 1, y1: 1, x2: 20, y2: 20 });
    timers.advance(800);
    core.select('s1');
    core.deleteSelected();
    await flush();
    expect(core.saveStatus).toBe('pending');
    timers.advance(800);
    await flush();
    expect(server.calls.length).toBe(2);
    expect(server.calls[1]!.version).toBe(4);
    expect(server.calls[1]!.list.map((a) => a.id)).toEqual([2, 100]);
    expect(core.saveStatus).toBe('saved');
  });

  it('sends a deleted-then-restored annotation as new, not with its stale id', async () => {
    const { core, server } = setup();
    core.select('s1');
    core.deleteSelected();
    await core.flush();
    expect(server.calls[0]!.list.map((a) => a.id)).toEqual([2]);
    core.undo();
    await core.flush();
    expect(server.calls[1]!.list.map((a) => [a.id, a.label])).toEqual([
      [null, 'car'],
      [2, 'dog'],
    ]);
    expect(core.saveStatus).toBe('saved');
    expect(core.idOf('s1')).toBe(100);
  });

  it('retries a failed save and says why', async () => {
    const { core, server, timers } = setup();
    let fail = true;
    const real = server.save;
    server.save = async (v, l) => {
      if (fail) throw new Error('network down');
      return real(v, l);
    };
    const c2 = new EditorCore({
      item: { id: 7, projectId: 1, width: 640, height: 480, mediaUrl: '/m', version: 3 },
      schema,
      annotations: server.list,
      standing: 'annotator',
      save: (v, l) => server.save(v, l),
      timers,
      retryDelay: 1000,
    });
    core.dispose();
    c2.addBox({ x1: 1, y1: 1, x2: 20, y2: 20 });
    await c2.flush();
    expect(c2.saveStatus).toBe('error');
    expect(c2.saveError).toBe('network down');
    expect(c2.hasUnsaved).toBe(true);
    fail = false;
    timers.advance(999);
    await flush();
    expect(c2.saveStatus).toBe('error');
    timers.advance(1);
    await flush();
    expect(c2.saveStatus).toBe('saved');
    expect(server.list.length).toBe(3);
  });

  it('does not retry a save the server refused as invalid', async () => {
    const { core, server, timers } = setup();
    server.save = async () => {
      throw Object.assign(new Error('annotations[0]: label is not in the project'), { status: 422 });
    };
    const c2 = new EditorCore({
      item: { id: 7, projectId: 1, width: 640, height: 480, mediaUrl: '/m', version: 3 },
      schema,
      annotations: [],
      standing: 'annotator',
      save: (v, l) => server.save(v, l),
      timers,
    });
    core.dispose();
    c2.addBox({ x1: 1, y1: 1, x2: 20, y2: 20 });
    await c2.flush();
    expect(c2.saveStatus).toBe('error');
    expect(timers.pending).toBe(0);
  });
});

describe('conflicts', () => {
  async function conflicted() {
    const s = setup();
    // Someone else saves first: removes annotation 2, changes 1, adds 50.
    s.server.list = [ann(1, { label: 'dog' }), ann(50, { label: 'car' })];
    s.server.version = 4;
    const mine = s.core.addBox({ x1: 5, y1: 5, x2: 25, y2: 25 })!;
    await s.core.flush();
    await flush();
    return { ...s, mine };
  }

  it('keeps the work, shows what changed, and does not autosave over theirs', async () => {
    const { core, server, timers } = await conflicted();
    expect(core.saveStatus).toBe('conflict');
    expect(core.anns.length).toBe(3);
    const c = core.conflict!;
    expect(c.currentVersion).toBe(4);
    expect(c.loading).toBe(false);
    expect(c.theirChanges).toEqual({ added: 1, removed: 1, changed: 1, unchanged: 0 });
    expect(c.yourChanges).toEqual({ added: 1, removed: 0, changed: 0, unchanged: 2 });
    expect(c.mineOverTheirs).toEqual({ added: 2, removed: 1, changed: 1, unchanged: 0 });
    core.addBox({ x1: 70, y1: 70, x2: 90, y2: 90 });
    timers.advance(5000);
    await flush();
    expect(server.calls.length).toBe(1);
  });

  it('"keep mine" saves over theirs, re-creating what they deleted', async () => {
    const { core, server } = await conflicted();
    await core.resolveConflict('mine');
    expect(core.saveStatus).toBe('saved');
    expect(core.conflict).toBeNull();
    const last = server.calls.at(-1)!;
    expect(last.version).toBe(4);
    expect(last.list.map((a) => [a.id, a.label])).toEqual([
      [1, 'car'],
      [null, 'dog'],
      [null, 'car'],
    ]);
    expect(server.list.map((a) => a.label).sort()).toEqual(['car', 'car', 'dog']);
    expect(core.version).toBe(5);
  });

  it('"take theirs" loads their list and clears the undo history, so undo cannot save over theirs', async () => {
    const { core, server } = await conflicted();
    expect(core.history.canUndo).toBe(true);
    await core.resolveConflict('theirs');
    expect(core.saveStatus).toBe('saved');
    expect(core.version).toBe(4);
    expect(core.toInputs().map((a) => [a.id, a.label])).toEqual([
      [1, 'dog'],
      [50, 'car'],
    ]);
    expect(core.history.canUndo).toBe(false);
    expect(core.undo()).toBe(false);
    expect(core.anns.length).toBe(2);
    expect(core.unsavedCount).toBe(0);
    await core.flush();
    expect(server.calls.length).toBe(1);
    expect(server.list.map((a) => [a.id, a.label])).toEqual([
      [1, 'dog'],
      [50, 'car'],
    ]);
  });
});
