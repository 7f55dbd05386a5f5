import { describe, expect, it } from 'vitest';
import { boxAt, isLastBoxKeyframe, stateAt, stateCounts, stateRuns, stepKeyframe, stepSuggested, topSuggested, withKeyframe } from './states';
import type { Track } from './types';

function track(states: string, over: Partial<Track> = {}): Track {
  const n = states.length;
  return {
    track_id: 1,
    label: 'person',
    frame_count: n,
    keyframes: [...states].flatMap((c, i) => (c === 'k' || c === 'x' ? [i] : [])),
    states,
    boxes: Array.from({ length: n }, (_, i) => (states[i] === '-' ? null : [10 + i, 20, 30 + i, 60])),
    confidence: Array.from({ length: n }, (_, i) => (states[i] === 'p' || states[i] === 'o' ? 0.9 - i * 0.1 : null)),
    review: [],
    suggested: [],
    job: null,
    ...over,
  };
}

describe('stateRuns', () => {
  it('turns the state string into runs of equal states, in order', () => {
    expect(stateRuns('kppoo')).toEqual([
      { state: 'k', start: 0, end: 1 },
      { state: 'p', start: 1, end: 3 },
      { state: 'o', start: 3, end: 5 },
    ]);
  });

  it('covers every frame exactly once', () => {
    const s = 'k'.concat('p'.repeat(50), 'x', 'o'.repeat(3), 'k', '-'.repeat(10));
    const runs = stateRuns(s);
    expect(runs[0]!.start).toBe(0);
    expect(runs[runs.length - 1]!.end).toBe(s.length);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]!.start).toBe(runs[i - 1]!.end);
      expect(runs[i]!.state).not.toBe(runs[i - 1]!.state);
    }
  });

  it('gives nothing for an empty track and one run for a uniform one', () => {
    expect(stateRuns('')).toEqual([]);
    expect(stateRuns('----')).toEqual([{ state: '-', start: 0, end: 4 }]);
  });

  it('reads unknown characters and frames past the end as nothing', () => {
    expect(stateAt('kq', 1)).toBe('-');
    expect(stateAt('k', 5)).toBe('-');
    expect(stateRuns('k?')).toEqual([
      { state: 'k', start: 0, end: 1 },
      { state: '-', start: 1, end: 2 },
    ]);
  });

  it('counts frames per state', () => {
    expect(stateCounts('kppox-')).toEqual({ k: 1, p: 2, o: 1, x: 1, '-': 1 });
  });
});

describe('boxAt', () => {
  it('shows keyframe and propagated boxes, outside ones marked, nothing on "-"', () => {
    const t = track('kpo-');
    expect(boxAt(t, 0)).toEqual({ box: [10, 20, 30, 60], state: 'k', outside: false });
    expect(boxAt(t, 1)?.outside).toBe(false);
    expect(boxAt(t, 2)).toEqual({ box: [12, 20, 32, 60], state: 'o', outside: true });
    expect(boxAt(t, 3)).toBeNull();
  });
});

describe('topSuggested', () => {
  it('goes to the first suggestion from the server, and past it when it is already shown', () => {
    expect(topSuggested([31, 5, 18], 0)).toBe(31);
    expect(topSuggested([31, 5, 18], 31)).toBe(5);
    expect(topSuggested([7], 7)).toBeNull();
    expect(topSuggested([], 3)).toBeNull();
  });
});

describe('stepSuggested', () => {
  const suggested = [31, 5, 18, 60];

  it('goes to the nearest suggested frame after the playhead, and wraps', () => {
    expect(stepSuggested(suggested, 0, 1)).toBe(5);
    expect(stepSuggested(suggested, 5, 1)).toBe(18);
    expect(stepSuggested(suggested, 19, 1)).toBe(31);
    expect(stepSuggested(suggested, 60, 1)).toBe(5);
  });

  it('goes to the nearest one before the playhead, and wraps', () => {
    expect(stepSuggested(suggested, 30, -1)).toBe(18);
    expect(stepSuggested(suggested, 18, -1)).toBe(5);
    expect(stepSuggested(suggested, 5, -1)).toBe(60);
  });

  it('has nothing to offer without suggestions other than the current frame', () => {
    expect(stepSuggested([], 3, 1)).toBeNull();
    expect(stepSuggested([7], 7, 1)).toBeNull();
    expect(stepSuggested([7], 7, -1)).toBeNull();
  });
});

describe('keyframes', () => {
  it('steps to the neighbouring keyframe without wrapping', () => {
    expect(stepKeyframe([0, 20, 39], 10, 1)).toBe(20);
    expect(stepKeyframe([0, 20, 39], 20, -1)).toBe(0);
    expect(stepKeyframe([0, 20, 39], 39, 1)).toBeNull();
    expect(stepKeyframe([0, 20, 39], 0, -1)).toBeNull();
  });

  it('knows the last keyframe with a box (an outside keyframe does not count)', () => {
    expect(isLastBoxKeyframe(track('kppx'), 0)).toBe(true);
    expect(isLastBoxKeyframe(track('kppx'), 3)).toBe(false);
    expect(isLastBoxKeyframe(track('kppk'), 0)).toBe(false);
  });

  it('makes a frame a keyframe locally without touching the original track', () => {
    const t = track('kppp', { review: [2, 3], suggested: [2, 1] });
    const k = withKeyframe(t, 2, [1, 2, 3, 4]);
    expect(k.states).toBe('kpkp');
    expect(k.keyframes).toEqual([0, 2]);
    expect(k.boxes[2]).toEqual([1, 2, 3, 4]);
    expect(k.confidence[2]).toBeNull();
    expect(k.review).toEqual([3]);
    expect(k.suggested).toEqual([1]);
    expect(t.states).toBe('kppp');
    expect(t.boxes[2]).toEqual([12, 20, 32, 60]);
  });

  it('marks a frame outside, keeping the last place seen', () => {
    const k = withKeyframe(track('kppp'), 3, null);
    expect(k.states).toBe('kppx');
    expect(k.boxes[3]).toEqual([13, 20, 33, 60]);
    expect(k.keyframes).toEqual([0, 3]);
  });
});
