import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/problem';
import { createTrack, deleteTrack, redo, relabel, removeKeyframe, setBox, toggleOutside, undo } from './edits';
import { refusalText } from './refusal';
import { session, track } from './testing';

describe('undo and redo in the video editor', () => {
  it('undoes a moved box on a propagated frame by removing the keyframe, and redoes it', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    await setBox(s, s.track(1)!, 3, [20, 20, 60, 90]);
    expect(s.undoWhat).toBe('move the box of track 1 on frame 3');
    await undo(s);
    await s.settled();
    expect(s.notice?.text).toBe('Undid: move the box of track 1 on frame 3');
    expect(fake.state.tracks[0]!.keyframes).toEqual([0]);
    expect(s.track(1)!.states[3]).toBe('p');
    expect([s.undoWhat, s.redoWhat]).toEqual([null, 'move the box of track 1 on frame 3']);
    await redo(s);
    await s.settled();
    expect(s.notice?.text).toBe('Redid: move the box of track 1 on frame 3');
    expect(fake.state.tracks[0]!.keyframes).toEqual([0, 3]);
    expect(fake.state.tracks[0]!.boxes[3]).toEqual([20, 20, 60, 90]);
    expect(fake.state.sent.map((x) => [x.op, x.version])).toEqual([['keyframe', 5], ['remove', 6], ['keyframe', 7]]);
  });

  it('puts back the box a keyframe had before it was moved', async () => {
    const { s, fake } = await session([track(1, 'kppppkpppp')]);
    await setBox(s, s.track(1)!, 5, [1, 1, 30, 30]);
    await undo(s);
    await s.settled();
    expect(fake.state.tracks[0]!.boxes[5]).toEqual([10, 10, 40, 80]);
    expect(fake.state.tracks[0]!.keyframes).toEqual([0, 5]);
  });

  it('undoes outside both ways', async () => {
    const { s, fake } = await session([track(1, 'kppxpppppp')]);
    await toggleOutside(s, s.track(1)!, 2);
    await toggleOutside(s, s.track(1)!, 3);
    expect(fake.state.tracks[0]!.states.slice(0, 4)).toBe('kpxk');
    await undo(s);
    await undo(s);
    await s.settled();
    expect(fake.state.tracks[0]!.states.slice(0, 4)).toBe('kppx');
    expect(fake.state.tracks[0]!.keyframes).toEqual([0, 3]);
  });

  it('puts a removed keyframe back with its box', async () => {
    const { s, fake } = await session([track(1, 'kppppkpppp')]);
    fake.state.tracks[0]!.boxes[5] = [5, 6, 7, 8];
    await s.load();
    removeKeyframe(s, s.track(1)!, 5);
    await s.settled();
    expect(fake.state.tracks[0]!.keyframes).toEqual([0]);
    await undo(s);
    await s.settled();
    expect(fake.state.tracks[0]!.keyframes).toEqual([0, 5]);
    expect(fake.state.tracks[0]!.boxes[5]).toEqual([5, 6, 7, 8]);
  });

  it('relabels back', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    await relabel(s, 1, 'car');
    await undo(s);
    expect(s.track(1)!.label).toBe('person');
    await s.settled();
    expect(fake.state.tracks[0]!.label).toBe('person');
  });

  it('undoes a new track by deleting it; made again, the later steps follow its new id', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    const t = await createTrack(s, 'car', 0, [5, 5, 50, 50]);
    await setBox(s, s.track(t!.track_id)!, 4, [6, 6, 60, 60]);
    await undo(s);
    await undo(s);
    await s.settled();
    expect(fake.state.tracks.map((x) => x.track_id)).toEqual([1]);
    expect(s.tracks.map((x) => x.track_id)).toEqual([1]);
    await redo(s);
    await redo(s);
    await s.settled();
    const again = fake.state.tracks[1]!;
    expect(again.track_id).not.toBe(t!.track_id);
    expect([again.label, again.keyframes, again.boxes[4]]).toEqual(['car', [0, 4], [6, 6, 60, 60]]);
    expect(s.selected).toBe(again.track_id);
    // The step's words name the track's id now, in the toolbar and in the notice.
    expect(s.undoWhat).toBe(`move the box of track ${again.track_id} on frame 4`);
    await undo(s);
    expect(s.notice?.text).toBe(`Undid: move the box of track ${again.track_id} on frame 4`);
  });

  it('drops a step whose undo the server refused, and says so', async () => {
    const { s, reports } = await session([track(1, 'kppppppppp')]);
    await setBox(s, s.track(1)!, 3, [20, 20, 60, 90]);
    s.server.removeKeyframe = async () => {
      throw new Error('no track 1');
    };
    await undo(s);
    await s.settled();
    expect(reports).toEqual(['Could not undo: move the box of track 1 on frame 3']);
    expect([s.undoWhat, s.redoWhat]).toEqual([null, null]);
  });

  it('brings a deleted track back with its id and boxes; its older steps then undo, and redo deletes it again', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp'), track(2, 'kppppppppp')]);
    await setBox(s, s.track(1)!, 3, [20, 20, 60, 90]);
    await setBox(s, s.track(2)!, 4, [20, 20, 60, 90]);
    const before = s.track(2);
    await deleteTrack(s, 2);
    expect(s.tracks.map((x) => x.track_id)).toEqual([1]);
    expect(s.undoWhat).toBe('delete track 2');
    await undo(s);
    expect(s.notice?.text).toBe('Undid: delete track 2');
    await s.settled();
    expect(s.notice?.text).toBe('Track 2 is back');
    expect(s.track(2)).toEqual(before);
    expect(s.selected).toBe(2);
    expect(fake.state.tracks.map((x) => x.track_id)).toEqual([1, 2]);
    await undo(s);
    await s.settled();
    expect(fake.state.tracks[1]!.keyframes).toEqual([0]); // track 2's own step, on the track brought back
    await undo(s);
    await undo(s);
    expect(s.notice?.text).toBe('Nothing to undo');
    for (let i = 0; i < 3; i++) await redo(s);
    await s.settled();
    expect(s.notice?.text).toBe('Redid: delete track 2');
    expect(s.tracks.map((x) => [x.track_id, x.keyframes])).toEqual([[1, [0, 3]]]);
    await undo(s); // with the token the redone delete answered
    await s.settled();
    expect(s.tracks.map((x) => [x.track_id, x.keyframes])).toEqual([[1, [0, 3]], [2, [0, 4]]]);
    expect(fake.state.sent.map((x) => x.op)).toEqual(
      ['keyframe', 'keyframe', 'delete', 'undo', 'remove', 'remove', 'keyframe', 'keyframe', 'delete', 'undo'],
    );
  });

  it('waits for the change in flight, so Ctrl+Z right after a drag undoes that drag', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    void setBox(s, s.track(1)!, 3, [20, 20, 60, 90]);
    await undo(s);
    await s.settled();
    expect(fake.state.tracks[0]!.keyframes).toEqual([0]);
  });

  it('records a change applied again after a conflict, and forgets older steps on the next conflict', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    fake.otherUserEdits();
    await setBox(s, s.track(1)!, 3, [20, 20, 60, 90]);
    expect(s.undoWhat).toBeNull();
    await undo(s);
    expect(s.notice?.text).toMatch(/Settle the conflict/);
    await s.resolveConflict('mine');
    expect(s.undoWhat).toBe('move the box of track 1 on frame 3');
    fake.otherUserEdits();
    await setBox(s, s.track(1)!, 6, [20, 20, 60, 90]);
    await s.resolveConflict('theirs');
    // Undoing frame 3 now would send the old box at their version, over whatever they did to frame 3.
    expect(s.undoWhat).toBeNull();
  });

  it('an undo that meets a conflict can be applied again, and then redone', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    await setBox(s, s.track(1)!, 3, [20, 20, 60, 90]);
    fake.otherUserEdits();
    await undo(s);
    await s.settled();
    expect(s.conflict?.what).toBe('undo: move the box of track 1 on frame 3');
    await s.resolveConflict('mine');
    expect(fake.state.tracks[0]!.keyframes).toEqual([0]);
    expect(s.redoWhat).toBe('move the box of track 1 on frame 3');
  });

  it('keeps nothing when a change is refused', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    fake.failNext(new Error('box: x2 must be greater than x1'));
    await setBox(s, s.track(1)!, 3, [20, 20, 60, 90]);
    expect(s.undoWhat).toBeNull();
  });
});

describe('an undo or a redo of a box, a keyframe or a relabel that the server refuses', () => {
  it('says the track is gone, and drops its older steps; another track’s steps still undo', async () => {
    const { s, fake, reports } = await session([track(1, 'kppppppppp'), track(2, 'kppppppppp')]);
    await setBox(s, s.track(2)!, 4, [20, 20, 60, 90]);
    await relabel(s, 1, 'car');
    await setBox(s, s.track(1)!, 3, [20, 20, 60, 90]);
    // Someone deletes track 1 in another tab. The real server says 404 before it compares versions; this fake
    // compares first, so a reload (a propagation that ended, say) gives this tab their version.
    fake.otherUserDeletes(1);
    await s.refresh();
    await undo(s);
    await s.settled();
    expect(s.notice).toEqual(
      expect.objectContaining({
        text:
          'Cannot undo: move the box of track 1 on frame 3: track 1 is no longer on this item ' +
          '(deleted or merged away since, in another tab or by someone else)',
        tone: 'warn',
      }),
    );
    expect(reports).toEqual(['Could not undo: move the box of track 1 on frame 3']);
    // The relabel of track 1 would be refused too: it goes with it.
    expect([s.undoWhat, s.redoWhat]).toEqual(['move the box of track 2 on frame 4', null]);
    await undo(s);
    await s.settled();
    expect(s.notice?.text).toBe('Undid: move the box of track 2 on frame 4');
    expect(fake.state.tracks.map((t) => [t.track_id, t.keyframes])).toEqual([[2, [0]]]);
  });

  it('says a keyframe is no longer there when someone removed it since', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    await setBox(s, s.track(1)!, 3, [20, 20, 60, 90]);
    await fake.server.removeKeyframe(1, 3, fake.state.version); // in another tab
    await s.refresh();
    await undo(s);
    await s.settled();
    expect(s.notice?.text).toBe(
      'Cannot undo: move the box of track 1 on frame 3: frame 3 is not a keyframe of track 1 now ' +
        '(the track was changed since, in another tab or by someone else)',
    );
    expect([s.undoWhat, s.redoWhat]).toEqual([null, null]);
  });

  it('says why a redo was refused, and drops the track’s steps to undo and to redo', async () => {
    const { s, fake, reports } = await session([track(1, 'kppppppppp'), track(2, 'kppppppppp')]);
    await setBox(s, s.track(1)!, 2, [20, 20, 60, 90]);
    await setBox(s, s.track(2)!, 4, [20, 20, 60, 90]);
    await relabel(s, 2, 'car');
    await setBox(s, s.track(2)!, 6, [20, 20, 60, 90]);
    await undo(s);
    await undo(s);
    await s.settled();
    expect(s.redoWhat).toBe('relabel track 2 as car');
    fake.failNext(new ApiError(422, { status: 422, detail: "label 'car' is not a class of this project", field: 'label' }));
    await redo(s);
    await s.settled();
    expect(s.notice?.text).toBe("Cannot redo: relabel track 2 as car: label 'car' is not a class of this project");
    expect(reports).toEqual(['Could not redo: relabel track 2 as car']);
    expect([s.undoWhat, s.redoWhat]).toEqual(['move the box of track 1 on frame 2', null]);
  });

  it('says why an undone new track could not be deleted', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    const t = await createTrack(s, 'car', 0, [5, 5, 50, 50]);
    fake.otherUserDeletes(t!.track_id);
    await s.refresh();
    await undo(s);
    await s.settled();
    expect(s.notice?.text).toBe(
      `Cannot undo: add a car track on frame 0: track ${t!.track_id} is no longer on this item ` +
        '(deleted or merged away since, in another tab or by someone else)',
    );
    expect([s.undoWhat, s.redoWhat]).toEqual([null, null]);
  });

  it('passes the server’s own words on for any other refusal', () => {
    const plain = new Error('box: x2 must be greater than x1');
    expect(refusalText('redo', 'move the box of track 3 on frame 1', plain)).toBe(
      'Cannot redo: move the box of track 3 on frame 1: box: x2 must be greater than x1',
    );
  });
});
