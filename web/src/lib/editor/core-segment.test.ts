import { describe, expect, it } from 'vitest';
import { EditorCore, type Timers } from './core';
import { SegmentRefusal, type AnnotationInput, type LabelSchema, type SavedState, type SegmentFn, type Standing } from './types';

const schema: LabelSchema = { classes: [{ name: 'car', color: '#e6194b' }, { name: 'dog', color: '#3cb44b' }], kinds: ['box', 'polygon'] };
const idle: Timers = { set: () => 0, clear: () => {} };
const save = async (version: number, _list: AnnotationInput[]): Promise<SavedState> => ({ version: version + 1, annotations: [] });

function setup(segment: SegmentFn | undefined, standing: Standing = 'annotator', kinds = schema.kinds) {
  return new EditorCore({
    item: { id: 7, projectId: 1, width: 640, height: 480, mediaUrl: '/m', version: 1 },
    schema: { ...schema, kinds },
    annotations: [],
    standing,
    save,
    segment,
    timers: idle,
  });
}

/** A segmenter that answers when told to, recording the boxes it was asked about. */
function deferred() {
  const boxes: number[][] = [];
  let settle: { ok: (v: number[]) => void; fail: (e: unknown) => void } | null = null;
  const fn: SegmentFn = (box) => {
    boxes.push([...box]);
    return new Promise<number[]>((ok, fail) => (settle = { ok, fail }));
  };
  return { fn, boxes, answer: (v: number[]) => settle!.ok(v), fail: (e: unknown) => settle!.fail(e) };
}

describe('box to polygon', () => {
  it('adds the outline the segmenter returns as a polygon of the current label, undoable', async () => {
    const seg = deferred();
    const core = setup(seg.fn);
    core.chooseLabel('dog');
    core.setTool('grabcut');
    expect(core.tool).toBe('grabcut');
    const pending = core.segmentBox({ x1: 10.004, y1: 20, x2: 110, y2: 90.456 });
    expect(core.segmenting).toBe(true);
    expect(seg.boxes).toEqual([[10, 20, 110, 90.46]]);
    // A second box while the first is out is refused, with a message.
    expect(await core.segmentBox({ x1: 0, y1: 0, x2: 50, y2: 50 })).toBeNull();
    expect(core.notice?.text).toMatch(/Still finding/);
    seg.answer([12, 22, 100.123, 25, 60, 88]);
    const key = await pending;
    expect(core.segmenting).toBe(false);
    const a = core.get(key)!;
    expect(a.kind).toBe('polygon');
    expect(a.label).toBe('dog');
    expect(a.source).toBe('human');
    expect(a.geometry.points).toEqual([12, 22, 100.12, 25, 60, 88]);
    expect(core.selectedKey).toBe(key);
    expect(core.history.undoLabel).toBe('box → polygon');
    expect(core.undo()).toBe(true);
    expect(core.anns).toHaveLength(0);
  });

  it('says so and rethrows when the server fails, and adds nothing', async () => {
    const seg = deferred();
    const core = setup(seg.fn);
    const pending = core.segmentBox({ x1: 10, y1: 20, x2: 110, y2: 90 });
    seg.fail(new Error('box: outside the image'));
    await expect(pending).rejects.toThrow('outside the image');
    expect(core.segmenting).toBe(false);
    expect(core.notice).toMatchObject({ tone: 'error', text: 'Could not turn the box into a polygon' });
    expect(core.anns).toHaveLength(0);
    expect(core.history.canUndo).toBe(false);
  });

  it('refuses a box under 4 px a side with its real size, without asking the server', async () => {
    const seg = deferred();
    const core = setup(seg.fn);
    core.chooseLabel('car');
    for (const [r, text] of [
      [{ x1: 100, y1: 300, x2: 101, y2: 301 }, 'box is 1 x 1 px; draw one at least 4 px on each side'],
      [{ x1: 100, y1: 300, x2: 102, y2: 300 }, 'box is 2 x 0 px; draw one at least 4 px on each side'],
      [{ x1: 100, y1: 100, x2: 103.99, y2: 104 }, 'box is 3.99 x 4 px; draw one at least 4 px on each side'],
    ] as const) {
      const refused = core.segmentBox(r);
      await expect(refused).rejects.toBeInstanceOf(SegmentRefusal);
      await expect(refused).rejects.toThrow(text);
      expect(core.notice).toMatchObject({ tone: 'warn', text });
      expect(core.segmenting).toBe(false);
    }
    expect(seg.boxes).toEqual([]);
    expect(core.anns).toHaveLength(0);
    // 4 px after rounding to 1/100 px is enough: the server is asked.
    void core.segmentBox({ x1: 10, y1: 10, x2: 13.999, y2: 14 });
    expect(seg.boxes).toEqual([[10, 10, 14, 14]]);
  });

  it('is off without a segmenter, for viewers, and where polygons are not allowed', async () => {
    for (const core of [setup(undefined), setup(async () => [1, 1, 5, 1, 5, 5], 'viewer'), setup(async () => [1, 1, 5, 1, 5, 5], 'annotator', ['box'])]) {
      expect(core.canSegment).toBe(false);
      core.setTool('grabcut');
      expect(core.tool).toBe('select');
      expect(await core.segmentBox({ x1: 0, y1: 0, x2: 50, y2: 50 })).toBeNull();
      expect(core.anns).toHaveLength(0);
    }
  });
});
