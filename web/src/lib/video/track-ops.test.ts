import { describe, expect, it } from 'vitest';
import type { Question } from '../confirm.svelte';
import { VIDEO_SHORTCUTS, videoActionFor } from './keymap';
import { session, track } from './testing';
import { framesText, mergeConflicts, mergeRefusal, mergeTracks, splitRefusal, splitTrack } from './track-ops';

const key = (k: string, extra: Partial<{ altKey: boolean; ctrlKey: boolean; shiftKey: boolean; code: string }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...extra,
});

describe('what can be split and merged', () => {
  it('splits after the first frame of a track, where it shows something on both sides', () => {
    const t = track(1, 'kppppkpppp');
    expect(splitRefusal(t, 5)).toBeNull();
    expect(splitRefusal(t, 9)).toBeNull();
    expect(splitRefusal(t, 0)).toBe('Frame 0 is where track 1 starts: split it on a later frame');
    expect(splitRefusal(track(1, 'kpp-------'), 5)).toBe('Track 1 has nothing on frame 5 yet');
    expect(splitRefusal(track(1, 'ooxoookppp'), 3)).toBe('Track 1 shows nothing before frame 3');
    expect(splitRefusal(track(1, 'kppxoooooo'), 5)).toBe('Track 1 shows nothing from frame 5 on: nothing to split off');
    // The object is out of view on the split frame but drawn later: the new track starts outside.
    expect(splitRefusal(track(1, 'kppxoookpp'), 5)).toBeNull();
    expect(splitRefusal(track(1, '----------'), 5)).toBe('Track 1 has no boxes yet');
  });

  it('refuses to merge two tracks with a keyframe on the same frame, naming the frames', () => {
    const a = track(1, 'kppkppkppp');
    const b = track(2, 'pppkppkppp');
    expect(mergeConflicts(a, b)).toEqual([3, 6]);
    expect(mergeRefusal(b, a)).toBe('Tracks 1 and 2 both have a keyframe on frames 3, 6: remove one of them first');
    expect(mergeRefusal(a, track(2, 'xoooooookp'))).toBeNull();
    expect(mergeRefusal(a, a)).toBe('Choose another track to merge with');
    expect(framesText([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toBe('1, 2, 3, 4, 5, 6, 7, 8 and 2 more');
  });

  it('splits with Alt+M (by the key’s place, so also Option+M on a Mac), listed in the help', () => {
    expect(videoActionFor(key('m', { altKey: true }))).toBe('track.split');
    expect(videoActionFor(key('µ', { altKey: true, code: 'KeyM' }))).toBe('track.split');
    expect(videoActionFor(key('m'))).toBeNull();
    expect(videoActionFor(key('m', { altKey: true, ctrlKey: true }))).toBeNull();
    expect(VIDEO_SHORTCUTS.some((s) => s.keys.includes('Alt+M'))).toBe(true);
  });
});

describe('split and merge in the editor', () => {
  it('splits the selected track at a frame: two tracks, the new one selected, each followed while it propagates', async () => {
    const { s, fake } = await session([track(1, 'kppppppppk')]);
    s.select(1);
    const made = await splitTrack(s, s.track(1)!, 5);
    expect(made?.track_id).toBe(2);
    expect(s.tracks.map((t) => [t.track_id, t.states])).toEqual([
      [1, 'kpppkx----'],
      [2, '----xkpppk'],
    ]);
    expect(s.selected).toBe(2);
    expect(s.version).toBe(6);
    expect([...s.jobs.keys()].sort()).toEqual([1, 2]);
    expect(fake.state.sent.map((x) => [x.op, x.version])).toEqual([['split', 5]]);
    expect(s.notice?.text).toBe('Track 1 now ends before frame 5; from there on it is track 2');
  });

  it('merges the two halves back into the lower id', async () => {
    const { s, fake } = await session([track(1, 'kppppppppk')]);
    await splitTrack(s, s.track(1)!, 5);
    const merged = await mergeTracks(s, 2, 1);
    expect(merged?.track_id).toBe(1);
    expect(s.tracks.map((t) => [t.track_id, t.states])).toEqual([[1, 'kpppkkpppk']]);
    expect(s.selected).toBe(1);
    expect(s.jobs.has(2)).toBe(false);
    expect(fake.state.sent.at(-1)).toEqual({ op: 'merge', version: 6 });
    expect(s.notice?.text).toBe('Track 2 is now part of track 1');
  });

  it('says why before sending anything it would refuse', async () => {
    const { s, fake } = await session([track(1, 'kppkpppppp'), track(2, 'pppkpppppp')]);
    expect(await mergeTracks(s, 1, 2)).toBeNull();
    expect(s.notice).toMatchObject({ text: 'Tracks 1 and 2 both have a keyframe on frame 3: remove one of them first', tone: 'warn' });
    expect(await splitTrack(s, s.track(1)!, 0)).toBeNull();
    expect(fake.state.sent).toEqual([]);
  });

  it('merges tracks of different classes under the kept track’s class, once the person agreed', async () => {
    const { s, fake } = await session([track(1, 'kpppxooooo'), { ...track(2, 'xoooookppp'), label: 'car' }]);
    const asked: Question[] = [];
    await mergeTracks(s, 2, 1, async (q) => (asked.push(q), true));
    expect(asked).toEqual([
      {
        title: 'Merge tracks of different classes?',
        message: 'Track 1 is ‘person’ and track 2 is ‘car’: the merged track will be ‘person’. Merge them?',
        confirm: 'Merge tracks',
      },
    ]);
    expect(s.track(1)?.label).toBe('person');
    expect(fake.state.tracks.map((t) => t.track_id)).toEqual([1]);
  });

  it('sends nothing when the person declines to merge tracks of different classes', async () => {
    const { s, fake } = await session([track(1, 'kpppxooooo'), { ...track(2, 'xoooookppp'), label: 'car' }]);
    expect(await mergeTracks(s, 1, 2, async () => false)).toBeNull();
    expect(s.tracks.map((t) => [t.track_id, t.label])).toEqual([[1, 'person'], [2, 'car']]);
    expect(fake.state.sent).toEqual([]);
  });

  it('does not ask when both tracks have the same class', async () => {
    const { s } = await session([track(1, 'kpppxooooo'), track(2, 'xoooookppp')]);
    const asker = async (): Promise<boolean> => {
      throw new Error('asked');
    };
    expect((await mergeTracks(s, 1, 2, asker))?.track_id).toBe(1);
  });
});
