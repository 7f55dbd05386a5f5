import { describe, expect, it } from 'vitest';
import { impliedTrack, stepTrack, suggestButtons } from './controls';
import { track } from './testing';

describe('stepTrack', () => {
  it('steps through the tracks in id order and wraps', () => {
    expect(stepTrack([3, 1, 7], 1, 1)).toBe(3);
    expect(stepTrack([3, 1, 7], 7, 1)).toBe(1);
    expect(stepTrack([3, 1, 7], 1, -1)).toBe(7);
  });

  it('starts at the first (or last) track when none of them is selected', () => {
    expect(stepTrack([3, 1, 7], null, 1)).toBe(1);
    expect(stepTrack([3, 1, 7], 42, -1)).toBe(7);
    expect(stepTrack([], null, 1)).toBeNull();
  });
});

describe('impliedTrack', () => {
  it('keeps the selected track', () => {
    expect(impliedTrack([1, 2], [2], 1)).toBe(1);
  });

  it('takes the only track when none is selected, on the frame or not', () => {
    expect(impliedTrack([4], [], null)).toBe(4);
    expect(impliedTrack([4], [4], null)).toBe(4);
  });

  it('takes the only track on the frame among several', () => {
    expect(impliedTrack([1, 2, 3], [2], null)).toBe(2);
  });

  it('guesses nothing when several tracks could be meant, or none exists', () => {
    expect(impliedTrack([1, 2], [], null)).toBeNull();
    expect(impliedTrack([1, 2, 3], [1, 3], null)).toBeNull();
    expect(impliedTrack([], [], null)).toBeNull();
  });
});

describe('suggestButtons', () => {
  const withSuggestions = (id: number, suggested: number[]) => ({ ...track(id, 'kpppppppppppppppppppp'), suggested });

  it('follows the only track when none is selected, as N does, and says which track', () => {
    const b = suggestButtons([withSuggestions(1, [16, 8])], [1], null);
    expect(b.track?.track_id).toBe(1);
    expect(b.enabled).toBe(true);
    expect(b.next).toBe('Next suggested frame of track 1, the only track on this frame (N)');
    expect(b.prev).toBe('Previous suggested frame of track 1, the only track on this frame (Shift+N)');
    expect(b.top).toBe('The least sure frame of track 1, the only track on this frame (G)');
    expect(suggestButtons([withSuggestions(1, [16])], [], null).next).toBe(
      'Next suggested frame of track 1, the only track in the video (N)',
    );
  });

  it('follows the selected track', () => {
    const b = suggestButtons([withSuggestions(1, [3]), withSuggestions(2, [5])], [1, 2], 2);
    expect([b.track?.track_id, b.enabled, b.next]).toEqual([2, true, 'Next suggested frame of track 2 (N)']);
  });

  it('is off, saying why, when several tracks could be meant, none exists, or the track has no suggestions', () => {
    const several = suggestButtons([withSuggestions(1, [3]), withSuggestions(2, [5])], [1, 2], null);
    expect([several.track, several.enabled, several.next]).toEqual([null, false, 'Select a track first (N)']);
    expect(suggestButtons([], [], null)).toMatchObject({ enabled: false, top: 'No tracks yet (G)' });
    const none = suggestButtons([withSuggestions(1, [])], [1], null);
    expect([none.track?.track_id, none.enabled, none.prev]).toEqual([1, false, 'Track 1 has no suggested frames to check (Shift+N)']);
  });
});
