import { describe, expect, it } from 'vitest';
import { snapshot } from './snapshot';
import { editorOn } from './testing';
import type { ApiAnnotation } from './types';

/** A mask proposal as fill between slices stores it (no score), or a model's (scored). */
function proposal(id: number, score: number | null): ApiAnnotation {
  return {
    id, kind: 'box', label: 'car', geometry: { bbox: [10, 10, 50, 50] }, source: 'model',
    model_version: score === null ? 'interpolation' : 'seg@1', score, state: 'proposed',
  };
}

describe('proposals without a score', () => {
  it('are offered to accept all at once, not "0 at or above 0.50"', () => {
    const { core } = editorOn([proposal(1, null), proposal(2, null)], 'reviewer');
    const ui = snapshot(core, new Map());
    expect([ui.scored, ui.unscored, ui.aboveThreshold]).toEqual([0, 2, 0]);
    expect(core.acceptUnscored()).toBe(2);
    expect(core.notice?.text).toBe('Accepted 2 unscored proposals');
    expect(core.anns.map((a) => [a.state, a.source, a.model_version])).toEqual([
      ['accepted', 'model', 'interpolation'],
      ['accepted', 'model', 'interpolation'],
    ]);
    core.undo(); // one step
    expect(snapshot(core, new Map()).unscored).toBe(2);
  });

  it('leave the scored ones to the threshold, and need the reviewer role', () => {
    const list = [proposal(1, null), proposal(2, 0.9), proposal(3, 0.2)];
    const { core } = editorOn(list, 'reviewer');
    expect([snapshot(core, new Map()).scored, snapshot(core, new Map()).unscored]).toEqual([2, 1]);
    expect(core.acceptUnscored()).toBe(1);
    expect(core.anns.map((a) => a.state)).toEqual(['accepted', 'proposed', 'proposed']);
    const annotator = editorOn(list, 'annotator').core;
    expect(annotator.acceptUnscored()).toBe(0);
    expect(annotator.notice?.text).toMatch(/reviewer role/);
  });
});
