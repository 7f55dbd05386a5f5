import { describe, expect, it } from 'vitest';
import { EditorCore } from './core';
import { snapshot } from './snapshot';
import type { ApiAnnotation, LabelSchema, SavedState } from './types';

const schema: LabelSchema = {
  classes: [
    { name: 'refund', color: '#4363d8', hotkey: '1' },
    { name: 'billing', color: '#e6194b', hotkey: '2' },
    { name: 'login', color: '#3cb44b', hotkey: '3' },
  ],
  kinds: ['class'],
};

function cls(id: number, label: string, extra: Partial<ApiAnnotation> = {}): ApiAnnotation {
  return { id, kind: 'class', label, geometry: {}, source: 'human', model_version: null, score: null, state: 'accepted', ...extra };
}

function core(list: ApiAnnotation[]): EditorCore {
  const saved = async (): Promise<SavedState> => ({ version: 1, annotations: list });
  return new EditorCore({
    item: { id: 1, projectId: 1, width: 0, height: 0, mediaUrl: '', version: 1 },
    schema,
    annotations: list,
    standing: 'annotator',
    save: saved,
    load: saved,
  });
}

describe('whole-item class chips', () => {
  it('say which model gave a class, accepted or proposed, with its score; a person\'s class has neither', () => {
    const ui = snapshot(core([
      cls(1, 'refund', { source: 'model', model_version: 'text-classifier@1', score: 0.991, state: 'accepted' }),
      cls(2, 'billing', { source: 'model', model_version: 'text-classifier@1', score: 0.42, state: 'proposed' }),
      cls(3, 'login'),
    ]), new Map());
    expect(ui.tags.map((t) => [t.name, t.state, t.model, t.score])).toEqual([
      ['refund', 'on', 'text-classifier@1', 0.991],
      ['billing', 'proposed', 'text-classifier@1', 0.42],
      ['login', 'on', null, null],
    ]);
  });
});
