import { describe, expect, it } from 'vitest';
import { EditorCore } from '../editor/core';
import { FakeServer, FakeTimers, schema } from '../editor/testing';
import type { ApiAnnotation } from '../editor/types';
import { editorSignature, savedSignature, SliceHistories } from './undo';

const box = (id: number, frame: number | null, x = 1): ApiAnnotation => ({
  id,
  kind: 'box',
  label: 'car',
  geometry: { bbox: [x, 1, x + 10, 10] },
  frame,
  source: 'human',
  model_version: null,
  score: null,
  state: 'accepted',
});

function editor(server: FakeServer) {
  return new EditorCore({
    item: { id: 7, projectId: 1, width: 64, height: 48, mediaUrl: null, version: 3 },
    schema: { ...schema, kinds: ['box', 'mask'] },
    annotations: server.list,
    standing: 'annotator',
    save: server.save,
    timers: new FakeTimers(),
  });
}

/** Slice 4 holds box 1; the editor moves it, saves, goes to slice 5 and comes back (as VolumeSession.goTo does). */
async function movedThenAway() {
  const server = new FakeServer([box(1, null)]);
  const core = editor(server);
  const histories = new SliceHistories();
  core.select(core.anns[0]!.key);
  core.nudgeSelected(5, 0, false);
  await core.flush();
  // The server stores the slice's frame on every annotation; the editor's copies may have none (drawn here).
  server.list = server.list.map((a) => ({ ...a, frame: 4 }));
  const left = server.list;
  // What the editor holds once saved reads as what the server sends back for the slice.
  expect(editorSignature(core.anns, (k) => core.idOf(k))).toBe(savedSignature(left));
  histories.keep(4, core.history.detach(), editorSignature(core.anns, (k) => core.idOf(k)));
  core.startOver({ version: server.version, annotations: [] });
  expect(core.history.canUndo).toBe(false);
  return { server, core, histories, left };
}

describe('undo per slice', () => {
  it('gives a slice its steps back when it is shown again unchanged: undo then saves the old place', async () => {
    const { server, core, histories, left } = await movedThenAway();
    core.startOver({ version: server.version, annotations: left }, histories.take(4, savedSignature(left)));
    expect(core.history.canUndo).toBe(true);
    core.undo();
    await core.flush();
    expect(server.list.map((a) => [a.id, a.geometry.bbox])).toEqual([[1, [1, 1, 11, 10]]]);
    expect(histories.size).toBe(0);
  });

  it('drops the steps when someone changed the slice meanwhile', async () => {
    const { server, core, histories } = await movedThenAway();
    server.other((l) => [...l, box(2, 4, 30)]);
    core.startOver({ version: server.version, annotations: server.list }, histories.take(4, savedSignature(server.list)));
    expect(core.history.canUndo).toBe(false);
  });

  it('keeps at most `limit` slices, the least recently left dropped first, and nothing for a slice without steps', () => {
    const h = new SliceHistories(2);
    const step = { past: [{ value: [], label: 'x' }], future: [] };
    h.keep(1, step, 'a');
    h.keep(2, step, 'b');
    h.keep(3, { past: [], future: [] }, 'c');
    h.keep(4, step, 'd');
    expect(h.size).toBe(2);
    expect(h.take(1, 'a')).toBeUndefined();
    expect(h.take(2, 'b')).toBe(step);
    expect(h.take(4, 'wrong')).toBeUndefined();
  });
});
