import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/problem';
import { createTrack, redo, setBox, undo } from './edits';
import { session, track } from './testing';
import { mergeTracks, splitTrack } from './track-ops';

const ids = (tracks: readonly { track_id: number }[]): number[] => tracks.map((t) => t.track_id);

describe('undoing a split or a merge', () => {
  it('puts a split track back whole, as it was, and the track split off goes; redo splits it again', async () => {
    const { s, fake } = await session([track(1, 'kppppppppk'), track(3, 'kppppppppp')]);
    await setBox(s, s.track(1)!, 2, [1, 1, 20, 20]);
    const before = s.track(1);
    await splitTrack(s, s.track(1)!, 5);
    expect(ids(s.tracks)).toEqual([1, 3, 4]);
    expect(s.undoWhat).toBe('split track 1 at frame 5');
    await undo(s);
    expect(s.notice?.text).toBe('Undid: split track 1 at frame 5');
    await s.settled();
    expect(s.notice?.text).toBe('Track 4 is part of track 1 again');
    expect(ids(s.tracks)).toEqual([1, 3]);
    expect(s.track(1)).toEqual(before);
    expect(s.selected).toBe(1);
    expect(s.version).toBe(fake.state.version);
    // The older step of track 1 acts on the track as it was before the split.
    await undo(s);
    await s.settled();
    expect(s.notice?.text).toBe('Undid: move the box of track 1 on frame 2');
    expect(fake.state.tracks[0]!.keyframes).toEqual([0, 9]);
    await redo(s);
    await redo(s);
    await s.settled();
    expect(s.notice?.text).toBe('Track 1 now ends before frame 5; from there on it is track 5');
    expect(s.tracks.map((t) => [t.track_id, t.states])).toEqual([
      [1, 'kpkpkx----'],
      [3, 'kppppppppp'],
      [5, '----xkpppk'],
    ]);
    expect(s.selected).toBe(5);
    expect(fake.state.sent.map((x) => x.op)).toEqual(['keyframe', 'split', 'undo', 'remove', 'keyframe', 'split']);
  });

  it('a split redone gives the new track another id: the later steps follow it, and undo uses the new token', async () => {
    const { s, fake } = await session([track(1, 'kppppppppk')]);
    const made = await splitTrack(s, s.track(1)!, 5);
    expect(made?.track_id).toBe(2);
    await setBox(s, s.track(2)!, 7, [5, 5, 30, 30]);
    await undo(s);
    await undo(s);
    await s.settled();
    expect(ids(s.tracks)).toEqual([1]);
    expect(s.redoWhat).toBe('split track 1 at frame 5');
    await redo(s);
    await s.settled();
    // The split made track 3 this time: the step still to redo says so.
    expect(s.redoWhat).toBe('move the box of track 3 on frame 7');
    await redo(s);
    await s.settled();
    expect(s.undoWhat).toBe('move the box of track 3 on frame 7');
    expect(ids(s.tracks)).toEqual([1, 3]);
    const again = fake.state.tracks[1]!;
    expect([again.track_id, again.keyframes, again.boxes[7]]).toEqual([3, [4, 5, 7, 9], [5, 5, 30, 30]]);
    expect(fake.state.sent.slice(-2)).toEqual([
      { op: 'split', version: 9 },
      { op: 'keyframe', version: 10 },
    ]);
    await undo(s);
    expect(s.notice?.text).toBe('Undid: move the box of track 3 on frame 7');
    await undo(s);
    await s.settled();
    expect(s.notice?.text).toBe('Track 3 is part of track 1 again');
    expect(s.tracks.map((t) => [t.track_id, t.states])).toEqual([[1, 'kppppppppk']]);
  });

  it('names a merge by the ids its tracks have now', async () => {
    const { s } = await session([track(1, 'xoooookppp')]);
    const made = await createTrack(s, 'car', 0, [5, 5, 50, 50]);
    expect(made?.track_id).toBe(2);
    await mergeTracks(s, 1, 2, async () => true);
    await undo(s);
    await undo(s);
    await s.settled();
    await redo(s);
    await s.settled();
    // Made again, the new track is track 3: the merge still to redo merges that one.
    expect(s.redoWhat).toBe('merge track 3 into track 1');
    await redo(s);
    await s.settled();
    expect(s.notice?.text).toBe('Track 3 is now part of track 1');
  });

  it('brings a merged-away track back beside the kept one, both with their ids and boxes; redo merges again', async () => {
    const { s, fake } = await session([track(1, 'kpppxooooo'), track(2, 'xoooookppp')]);
    await setBox(s, s.track(2)!, 8, [2, 2, 22, 22]);
    const before = [s.track(1), s.track(2)];
    await mergeTracks(s, 2, 1);
    expect(ids(s.tracks)).toEqual([1]);
    await undo(s);
    await s.settled();
    expect(s.notice?.text).toBe('Tracks 1 and 2 are apart again');
    expect(s.tracks).toEqual(before);
    expect(s.selected).toBe(2);
    await undo(s);
    await s.settled();
    expect(fake.state.tracks[1]!.keyframes).toEqual([0, 6]); // the merged-away track's own step
    await redo(s);
    await redo(s);
    await s.settled();
    expect(s.notice?.text).toBe('Track 2 is now part of track 1');
    expect(ids(s.tracks)).toEqual([1]);
    expect(s.track(1)!.keyframes).toEqual([0, 6, 8]);
    expect(fake.state.sent.map((x) => x.op)).toEqual(['keyframe', 'merge', 'undo', 'remove', 'keyframe', 'merge']);
  });
});

describe('an undo the server refuses', () => {
  it('says why when another person changed the track since, after the conflict is settled', async () => {
    const { s, fake, reports } = await session([track(1, 'kppppppppk')]);
    await splitTrack(s, s.track(1)!, 5);
    await fake.server.setKeyframe(2, 7, fake.state.version, [1, 1, 5, 5]); // someone else, in another tab
    await undo(s);
    await s.settled();
    expect(s.conflict?.what).toBe('undo: split track 1 at frame 5');
    await s.resolveConflict('mine');
    expect(s.notice).toEqual(
      expect.objectContaining({
        text: 'Cannot undo: split track 1 at frame 5: track 2 was changed after this change: undo cannot put it back',
        tone: 'warn',
      }),
    );
    expect(reports).toEqual(['Could not undo: split track 1 at frame 5']);
    expect(s.tracks.map((t) => [t.track_id, t.keyframes])).toEqual([
      [1, [0, 4, 5]],
      [2, [4, 5, 7, 9]],
    ]);
    expect([s.undoWhat, s.redoWhat, s.conflict]).toEqual([null, null, null]);
  });

  it('drops the step and the older steps of those tracks; other tracks’ steps still undo', async () => {
    const { s, fake, reports } = await session([track(1, 'kpppxooooo'), track(3, 'xoooookppp'), track(5, 'kppppppppp')]);
    await setBox(s, s.track(5)!, 2, [1, 1, 20, 20]);
    await setBox(s, s.track(3)!, 8, [1, 1, 20, 20]);
    await setBox(s, s.track(1)!, 2, [1, 1, 20, 20]);
    await mergeTracks(s, 1, 3);
    const detail = 'item 1 has no track change 1 to undo: only the last 50 deletes, splits and merges are kept';
    fake.failNext(new ApiError(404, { status: 404, detail, field: 'undo_token' }));
    await undo(s);
    await s.settled();
    expect(s.notice).toEqual(expect.objectContaining({ text: `Cannot undo: merge track 3 into track 1: ${detail}`, tone: 'warn' }));
    expect(reports).toEqual(['Could not undo: merge track 3 into track 1']);
    expect(ids(s.tracks)).toEqual([1, 5]);
    // Both tracks' older steps would act on what the server no longer has; track 5's still undoes.
    expect([s.undoWhat, s.redoWhat]).toEqual(['move the box of track 5 on frame 2', null]);
    await undo(s);
    await s.settled();
    expect(fake.state.tracks[1]!.keyframes).toEqual([0]);
  });

  it('says why an undone split cannot be put back, and keeps what can still be undone', async () => {
    const { s, fake } = await session([track(1, 'kppppppppk'), track(3, 'kppppppppp')]);
    await setBox(s, s.track(3)!, 2, [1, 1, 20, 20]);
    await setBox(s, s.track(1)!, 2, [1, 1, 20, 20]);
    await splitTrack(s, s.track(1)!, 5);
    fake.failNext(new ApiError(409, { status: 409, detail: 'track 4 was changed after it was split', field: 'undo_token' }));
    await undo(s);
    await s.settled();
    expect(s.notice?.text).toBe('Cannot undo: split track 1 at frame 5: track 4 was changed after it was split');
    expect(s.undoWhat).toBe('move the box of track 3 on frame 2');
    await undo(s);
    await s.settled();
    expect(fake.state.tracks[1]!.keyframes).toEqual([0]);
  });

  it('says why a redone split was refused, and drops the track’s steps still to undo or redo', async () => {
    const { s, fake, reports } = await session([track(1, 'kppppppppk'), track(3, 'kppppppppp')]);
    await setBox(s, s.track(3)!, 2, [1, 1, 20, 20]);
    await setBox(s, s.track(1)!, 2, [1, 1, 20, 20]);
    await splitTrack(s, s.track(1)!, 5);
    await undo(s);
    await s.settled();
    fake.failNext(new ApiError(404, { status: 404, detail: 'item 1 has no track 1', field: 'track_id' }));
    await redo(s);
    await s.settled();
    expect(s.notice?.text).toBe(
      'Cannot redo: split track 1 at frame 5: track 1 is no longer on this item ' +
        '(deleted or merged away since, in another tab or by someone else)',
    );
    expect(reports).toEqual(['Could not redo: split track 1 at frame 5']);
    expect([s.undoWhat, s.redoWhat]).toEqual(['move the box of track 3 on frame 2', null]);
  });
});
