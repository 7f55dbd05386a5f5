import { describe, expect, it } from 'vitest';
import { EditorCore } from '../editor/core';
import { FakeServer, FakeTimers, schema } from '../editor/testing';
import type { ApiAnnotation } from '../editor/types';

const box = (id: number, frame: number): ApiAnnotation => ({
  id,
  kind: 'box',
  label: 'car',
  geometry: { bbox: [1, 1, 10, 10] },
  frame,
  source: 'human',
  model_version: null,
  score: null,
  state: 'accepted',
});

describe('the editor moved to another slice (EditorCore.startOver)', () => {
  it('takes the slice and the version, drops history and selection, keeps tool, label and brush', async () => {
    const server = new FakeServer([box(1, 4)]);
    const core = new EditorCore({
      item: { id: 7, projectId: 1, width: 64, height: 48, mediaUrl: null, version: 3 },
      schema: { ...schema, kinds: ['box', 'mask'] },
      annotations: server.list,
      standing: 'annotator',
      save: server.save,
      timers: new FakeTimers(),
    });
    core.select(core.anns[0]!.key);
    core.nudgeSelected(1, 0, false);
    await core.flush();
    core.setTool('brush');
    core.setBrushSize(7);
    core.chooseLabel('dog');
    expect(core.history.canUndo).toBe(true);

    core.startOver({ version: 9, annotations: [box(2, 5), box(3, 5)] });
    expect(core.anns.map((a) => [core.idOf(a.key), a.frame])).toEqual([
      [2, 5],
      [3, 5],
    ]);
    expect(core.version).toBe(9);
    expect([core.selectedKey, core.history.canUndo, core.saveStatus, core.hasUnsaved]).toEqual([null, false, 'saved', false]);
    expect([core.tool, core.brushSize, core.currentLabel]).toEqual(['brush', 7, 'dog']);
  });
});
