import { describe, expect, it } from 'vitest';
import { editorOn } from '../editor/testing';
import type { ApiAnnotation } from '../editor/types';

const box = (id: number, x: number): ApiAnnotation => ({
  id,
  kind: 'box',
  label: 'car',
  geometry: { bbox: [x, 10, x + 20, 30] },
  frame: 4,
  source: 'human',
  model_version: null,
  score: null,
  state: 'accepted',
});

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('a 409 whose server copy is the base (another slice of the volume was saved)', () => {
  it('saves mine on top of their version without opening the conflict panel, and flush waits for it', async () => {
    const { core, server } = editorOn([box(1, 10)]);
    core.select(core.anns[0]!.key);
    core.nudgeSelected(5, 0, false);
    // Someone saves another slice: the item's version moves, this slice's list does not.
    server.other((l) => l);
    await core.flush();
    expect(core.conflict).toBeNull();
    expect(core.saveStatus).toBe('saved');
    expect(server.calls.map((c) => c.version)).toEqual([3, 4]);
    expect(server.list.map((a) => a.geometry.bbox)).toEqual([[15, 10, 35, 30]]);
    expect(core.notice).toBeNull();
    // The edit stays undoable (the history was rebased, not cleared).
    expect(core.history.canUndo).toBe(true);
  });

  it('still asks when they changed this slice too', async () => {
    const { core, server } = editorOn([box(1, 10)]);
    core.select(core.anns[0]!.key);
    core.nudgeSelected(5, 0, false);
    server.other((l) => [...l, box(2, 50)]);
    await core.flush();
    await tick();
    expect(core.saveStatus).toBe('conflict');
    expect(core.conflict?.theirChanges).toMatchObject({ added: 1, removed: 0, changed: 0 });
    expect(server.calls.map((c) => c.version)).toEqual([3]);
  });
});
