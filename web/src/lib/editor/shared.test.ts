import { describe, expect, it } from 'vitest';
import { runShared, type SharedView } from './shared.svelte';
import { editorOn } from './testing';
import type { ApiAnnotation } from './types';

const proposal = (id: number, kind: 'box' | 'class'): ApiAnnotation => ({
  id, kind, label: 'car', geometry: kind === 'box' ? { bbox: [10, 10, 50, 50] } : {}, source: 'model', model_version: 'm@1',
  score: 0.7, state: 'proposed',
});

function view(picked: string[]): SharedView {
  return { pick: (k) => void picked.push(k), reveal: () => {}, move: () => {}, toggleHelp: () => {} };
}

describe('stepping through proposals', () => {
  it('says how to decide an open class proposal instead of "no open proposals"', () => {
    const { core } = editorOn([proposal(1, 'class')], 'reviewer');
    const picked: string[] = [];
    runShared('proposal.next', core, view(picked));
    expect(picked).toEqual([]);
    expect(core.notice?.text).toBe("The open proposal is the item's class: A accepts it, X rejects it");
  });

  it('steps to a shape proposal, and says none is open when none is', () => {
    const { core } = editorOn([proposal(1, 'box')], 'reviewer');
    const picked: string[] = [];
    runShared('proposal.next', core, view(picked));
    expect(picked).toHaveLength(1);
    const empty = editorOn([], 'reviewer').core;
    runShared('proposal.next', empty, view([]));
    expect(empty.notice?.text).toBe('No open proposals');
  });
});
