import { describe, expect, it } from 'vitest';
import { EditorCore } from '../editor/core';
import { FakeTimers } from '../editor/testing';
import { ConflictError, type AnnotationInput, type ApiAnnotation, type LabelSchema, type SavedState, type Standing } from '../editor/types';
import { labelIntent, labelSpan, pickInStack } from './commands';
import { labelForKey, textActionFor, textHotkeys } from './keymap';
import { CharIndex, selectionToRange } from './offsets';
import { addSpan, spanCounts, spanRows, stepSpan } from './spans';

const TEXT = 'Angela Merkel met Emmanuel Macron in Berlin 🇩🇪 on Tuesday.';
const schema: LabelSchema = {
  classes: [
    { name: 'PER', color: '#e6194b', hotkey: '1' },
    { name: 'LOC', color: '#3cb44b', hotkey: '2' },
    { name: 'politics', color: '#4363d8', hotkey: '3' },
  ],
  kinds: ['class', 'span'],
};


/** Keeps versions and ids like the real server (new ids in the order sent, list returned in id order). */
class Server {
  version = 1;
  nextId = 50;
  list: ApiAnnotation[] = [];
  sent: AnnotationInput[][] = [];
  save = async (version: number, list: AnnotationInput[]): Promise<SavedState> => {
    this.sent.push(list);
    if (version !== this.version) throw new ConflictError('stale', this.version);
    this.list = list.map((a) => ({ ...a, id: a.id ?? this.nextId++ }) as ApiAnnotation).sort((a, b) => a.id - b.id);
    this.version += 1;
    return { version: this.version, annotations: this.list };
  };
  load = async (): Promise<SavedState> => ({ version: this.version, annotations: this.list });
}

function setup(annotations: ApiAnnotation[] = [], standing: Standing = 'annotator') {
  const server = new Server();
  server.list = annotations;
  const timers = new FakeTimers();
  const core = new EditorCore({
    item: { id: 3, projectId: 1, name: 't1', width: 1, height: 1, mediaUrl: '', version: server.version },
    schema,
    annotations,
    standing,
    save: server.save,
    load: server.load,
    timers,
  });
  return { core, server, timers, idx: new CharIndex(TEXT) };
}

const word = (w: string) => {
  const idx = new CharIndex(TEXT);
  const u = TEXT.indexOf(w);
  return selectionToRange(idx, u, u + w.length)!;
};

describe('labelling spans', () => {
  it('sends spans as code point offsets, with ids null for new ones', async () => {
    const { core, server } = setup();
    expect(labelSpan(core, word('Angela Merkel'), 'PER')).not.toBeNull();
    expect(labelSpan(core, word('Tuesday'), 'LOC')).not.toBeNull();
    await core.flush();
    const [first, second] = server.sent[0]!;
    expect(first).toMatchObject({ id: null, kind: 'span', label: 'PER', geometry: { start: 0, end: 13 }, source: 'human', state: 'accepted' });
    // After the flag (two code points, four UTF-16 units), code points are two less than units.
    const u = TEXT.indexOf('Tuesday');
    expect(second!.geometry).toEqual({ start: u - 2, end: u - 2 + 7 });
    expect([...TEXT].slice(u - 2, u + 5).join('')).toBe('Tuesday');
    expect(core.saveStatus).toBe('saved');
    // The next save sends the server's ids.
    labelSpan(core, word('Berlin'), 'LOC');
    await core.flush();
    expect(server.sent[1]!.map((a) => a.id)).toEqual([50, 51, null]);
  });

  it('lets spans overlap but refuses the exact same span twice', () => {
    const { core } = setup();
    labelSpan(core, word('Emmanuel Macron'), 'PER');
    labelSpan(core, word('Macron'), 'PER');
    expect(labelSpan(core, word('Macron'), 'PER')).toBeNull();
    expect(core.notice?.text).toContain('already labelled PER');
    expect(core.anns).toHaveLength(2);
    expect(addSpan(core.anns, { start: 3, end: 3 }, 'PER')).toEqual({ error: 'Select some text first' });
  });

  it('undoes and redoes span edits, one step each, and autosaves the result', async () => {
    const { core, server, timers } = setup();
    labelSpan(core, word('Angela'), 'PER');
    labelSpan(core, word('Berlin'), 'LOC');
    core.select(core.anns[0]!.key);
    core.chooseLabel('LOC');
    expect(core.anns[0]!.label).toBe('LOC');
    core.deleteSelected();
    expect(core.anns.map((a) => a.label)).toEqual(['LOC']);
    core.undo();
    expect(core.anns.map((a) => a.label)).toEqual(['LOC', 'LOC']);
    core.undo();
    expect(core.anns.map((a) => a.label)).toEqual(['PER', 'LOC']);
    core.redo();
    expect(core.anns.map((a) => a.label)).toEqual(['LOC', 'LOC']);
    expect(core.saveStatus).toBe('pending');
    timers.runAll();
    await core.flush();
    expect(server.list.map((a) => [a.label, a.geometry])).toEqual([
      ['LOC', { start: 0, end: 6 }],
      ['LOC', { start: word('Berlin').start, end: word('Berlin').end }],
    ]);
  });

  it('keeps the work on a 409 and reports both sides', async () => {
    const { core, server } = setup();
    labelSpan(core, word('Angela'), 'PER');
    server.version = 5; // someone else saved
    server.list = [{ id: 9, kind: 'class', label: 'politics', geometry: {}, source: 'human', model_version: null, score: null, state: 'accepted' }];
    await core.flush();
    expect(core.saveStatus).toBe('conflict');
    expect(core.anns).toHaveLength(1);
    await core.fetchTheirs();
    expect(core.conflict?.theirChanges).toMatchObject({ added: 1 });
    expect(core.conflict?.yourChanges).toMatchObject({ added: 1 });
    await core.resolveConflict('mine');
    expect(core.saveStatus).toBe('saved');
    expect(server.list.map((a) => a.kind)).toEqual(['span']);
  });

  it('toggles a whole-text class and accepts or rejects model proposals as a reviewer', () => {
    const proposal: ApiAnnotation = {
      id: 4, kind: 'span', label: 'LOC', geometry: { start: 37, end: 43 }, source: 'model', model_version: 'ner-1', score: 0.8, state: 'proposed',
    };
    const { core } = setup([proposal], 'reviewer');
    core.toggleTag('politics');
    expect(core.anns.some((a) => a.kind === 'class' && a.label === 'politics')).toBe(true);
    core.toggleTag('politics');
    expect(core.anns.some((a) => a.kind === 'class')).toBe(false);
    expect(core.decide('s4', 'accepted')).toBe(true);
    expect(core.toInputs()[0]).toMatchObject({ id: 4, source: 'model', state: 'accepted', score: 0.8 });
    const annotator = setup([proposal], 'annotator').core;
    expect(annotator.decide('s4', 'rejected')).toBe(false);
  });
});

describe('span list and choices', () => {
  it('lists spans in reading order, hiding rejected ones unless asked', () => {
    const { core, idx } = setup();
    labelSpan(core, word('Berlin'), 'LOC');
    labelSpan(core, word('Angela Merkel'), 'PER');
    labelSpan(core, word('Angela'), 'PER');
    const rejected = { ...core.anns[0]!, state: 'rejected' as const };
    core.commit([rejected, ...core.anns.slice(1)], 'reject');
    const rows = spanRows(core.anns, idx, (l) => core.colorOf(l));
    expect(rows.map((r) => r.text)).toEqual(['Angela Merkel', 'Angela']);
    expect(spanRows(core.anns, idx, (l) => core.colorOf(l), true).map((r) => r.text)).toEqual(['Angela Merkel', 'Angela', 'Berlin']);
    expect(stepSpan(rows, null, 1)).toBe(rows[0]!.key);
    expect(stepSpan(rows, rows[1]!.key, 1)).toBe(rows[0]!.key);
    expect(stepSpan(rows, null, -1)).toBe(rows[1]!.key);
    expect(spanCounts(core.anns)).toEqual(new Map([['PER', 2]]));
  });

  it('decides what a label key or click does', () => {
    const base = { pending: false, spanSelected: false, fromKey: true, allowsClass: true };
    expect(labelIntent({ ...base, pending: true, spanSelected: true })).toBe('span');
    expect(labelIntent({ ...base, spanSelected: true })).toBe('relabel');
    expect(labelIntent(base)).toBe('class');
    expect(labelIntent({ ...base, allowsClass: false })).toBe('select-first');
    expect(labelIntent({ ...base, fromKey: false })).toBe('activate');
  });

  it('walks outwards through nested spans on repeated clicks', () => {
    expect(pickInStack([], 'a')).toBeNull();
    expect(pickInStack(['in', 'mid', 'out'], null)).toBe('in');
    expect(pickInStack(['in', 'mid', 'out'], 'in')).toBe('mid');
    expect(pickInStack(['in', 'mid', 'out'], 'out')).toBe('in');
  });
});

describe('text keymap', () => {
  const k = (key: string, mods: Partial<{ ctrlKey: boolean; shiftKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({
    key, ctrlKey: false, shiftKey: false, metaKey: false, altKey: false, ...mods,
  });

  it('maps keys to actions and leaves Shift+letters to the page', () => {
    expect(textActionFor(k('z', { ctrlKey: true }))).toBe('undo');
    expect(textActionFor(k('Z', { ctrlKey: true, shiftKey: true }))).toBe('redo');
    expect(textActionFor(k('y', { metaKey: true }))).toBe('redo');
    expect(textActionFor(k('a'))).toBe('accept');
    expect(textActionFor(k('A', { shiftKey: true }))).toBeNull();
    expect(textActionFor(k('Tab', { shiftKey: true }))).toBe('span.prev');
    expect(textActionFor(k('?', { shiftKey: true }))).toBe('help');
    expect(textActionFor(k('ArrowRight'))).toBe('item.next');
    expect(textActionFor(k('ArrowRight', { shiftKey: true }))).toBeNull();
  });

  it('ignores class hotkeys that clash with editor keys', () => {
    const keys = textHotkeys([
      { name: 'one', color: '#000', hotkey: '1' },
      { name: 'clash', color: '#000', hotkey: 'a' },
      { name: 'dup', color: '#000', hotkey: '1' },
    ]);
    expect([...keys]).toEqual([['1', 'one']]);
    expect(labelForKey(k('1'), keys)).toBe('one');
    expect(labelForKey(k('1', { ctrlKey: true }), keys)).toBeNull();
  });
});
