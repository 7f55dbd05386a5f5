import { describe, expect, it } from 'vitest';
import { readSpecs } from '../attributes';
import { EditorCore } from '../editor/core';
import { snapshot } from '../editor/snapshot';
import { FakeServer, FakeTimers } from '../editor/testing';
import type { ApiAnnotation, LabelSchema } from '../editor/types';
import { labelIntent, labelSpan } from './commands';
import { textHotkeys } from './keymap';
import { addSpan } from './spans';

// The text editor's side of attributes: spans start with their label's defaults, a relabel (the label keys and
// clicks go through the core's relabel) drops what the new label does not take, and a value set on a span is one
// undoable step saved with the version. The panel itself is the image editor's (`editor/AttributePanel.svelte`).
const TEXT = 'The battery life is not great but the screen is lovely.';
const schema: LabelSchema = {
  classes: [
    { name: 'opinion', color: '#e6194b', hotkey: '1' },
    { name: 'fact', color: '#3cb44b', hotkey: '2' },
  ],
  kinds: ['class', 'span'],
  attributes: readSpecs([
    { name: 'sentiment', type: 'select', options: ['pos', 'neg'], labels: ['opinion'], default: 'neg' },
    { name: 'negated', type: 'bool' },
  ]),
};
const at = (w: string) => ({ start: TEXT.indexOf(w), end: TEXT.indexOf(w) + w.length });

function setup(annotations: ApiAnnotation[] = []) {
  const server = new FakeServer(annotations);
  const timers = new FakeTimers();
  const core = new EditorCore({
    item: { id: 3, projectId: 1, name: 't', width: 1, height: 1, mediaUrl: '', version: server.version },
    schema,
    annotations,
    standing: 'annotator',
    save: server.save,
    load: server.load,
    timers,
  });
  return { core, server, timers };
}

describe('attributes of text spans', () => {
  it('starts a new span with its label defaults, and a label without them with none', () => {
    const { core } = setup();
    labelSpan(core, at('not great'), 'opinion');
    labelSpan(core, at('battery life'), 'fact');
    expect(core.anns.map((a) => [a.label, a.attributes])).toEqual([['opinion', { sentiment: 'neg' }], ['fact', {}]]);
    const res = addSpan([], at('lovely'), 'fact');
    expect('list' in res && res.list[0]!.attributes).toEqual({});
  });

  it('sets values on the selected span as undoable steps, saved with the version', async () => {
    const { core, server, timers } = setup();
    const key = labelSpan(core, at('not great'), 'opinion')!;
    core.select(key);
    // The panel's picture of the selected span: the attributes its label takes, with the default shown.
    const panel = snapshot(core, textHotkeys(core.classes)).attributes!;
    expect(panel.rows.map((r) => [r.spec.name, r.value])).toEqual([['sentiment', 'neg'], ['negated', null]]);
    expect(core.setAttribute([key], 'sentiment', 'pos')).toBe(true);
    expect(core.setAttribute([key], 'negated', true)).toBe(true);
    core.undo();
    expect(core.get(key)!.attributes).toEqual({ sentiment: 'pos' });
    core.undo();
    expect(core.get(key)!.attributes).toEqual({ sentiment: 'neg' });
    core.redo();
    core.redo();
    timers.runAll();
    await core.flush();
    expect(server.calls.at(-1)!.version).toBe(3);
    expect(server.list.map((a) => [a.label, a.attributes])).toEqual([['opinion', { sentiment: 'pos', negated: true }]]);
  });

  it('drops on relabel what the new label does not take, and undo brings it back', () => {
    const { core } = setup();
    const key = labelSpan(core, at('not great'), 'opinion')!;
    core.setAttribute([key], 'negated', true);
    core.select(key);
    // A label key with a span selected relabels it (TextEditor's useLabel), through the core.
    expect(labelIntent({ pending: false, spanSelected: true, fromKey: true, allowsClass: true })).toBe('relabel');
    core.chooseLabel('fact');
    expect(core.get(key)).toMatchObject({ label: 'fact', attributes: { negated: true } });
    core.chooseLabel('opinion');
    expect(core.get(key)!.attributes).toEqual({ negated: true, sentiment: 'neg' });
    core.undo();
    core.undo();
    expect(core.get(key)).toMatchObject({ label: 'opinion', attributes: { negated: true, sentiment: 'neg' } });
  });
});
