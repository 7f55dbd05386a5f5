/**
 * An undo or a redo the server refuses. A stale version is not one: it goes to the conflict panel, which starts the
 * history again (the server looks for the track and the keyframe before it compares versions, so a track gone is a
 * 404 even then). Any other refusal means the track is not what the step was made on: it was deleted or merged
 * away since (in another tab, or by someone else), its keyframe there was removed, its class left the project, or
 * the server kept no copy to bring it back from. Then the notice
 * says what could not be undone (or redone) and why, in words a person can act on, and the history lets go of the
 * steps of those tracks that no longer match the server: the step itself, and the older steps of the tracks (a
 * refused undo) or every step of them (a refused redo: the later ones build on it). Steps of other tracks stay.
 * The session still reports the error and reloads the tracks, as for any refused change.
 *
 * The words are pure, tested without a browser (`undo.test.ts`).
 */

import { ApiError } from '../api/problem';
import { isConflict } from '../editor/types';
import type { TrackRef } from './history';
import type { Edit, VideoSession } from './session.svelte';

export type Direction = 'undo' | 'redo';

/** The server's words for a track an item does not have (`item 7 has no track 3`). */
const NO_TRACK = /has no track (\d+)/;

/** Why the server refused an undo or a redo: its own words, said plainer where a track or a keyframe is gone. */
export function refusalReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  if (err instanceof ApiError && err.status === 404) {
    const gone = NO_TRACK.exec(text);
    if (gone) return `track ${gone[1]} is no longer on this item (deleted or merged away since, in another tab or by someone else)`;
    if (err.problem.field === 'frame') return `${text} now (the track was changed since, in another tab or by someone else)`;
  }
  return text;
}

/** The notice for a refused undo or redo of `what` ("move the box of track 3 on frame 12"). */
export function refusalText(dir: Direction, what: string, err: unknown): string {
  return `Cannot ${dir}: ${what}: ${refusalReason(err)}`;
}

/**
 * `e`, the undo or redo of a step on the tracks of `refs`, sent so that a refusal is said in the notice and the
 * steps of those tracks that no longer match the server leave the history (`what`: the step's words when sent).
 */
export function refusable(s: VideoSession, dir: Direction, what: () => string, refs: readonly TrackRef[], e: Edit): Edit {
  return {
    ...e,
    send: async (version) => {
      try {
        return await e.send(version);
      } catch (err) {
        if (!isConflict(err)) {
          s.notify(refusalText(dir, what(), err), 'warn');
          for (const r of refs) s.history.forgetTrack(r, dir === 'redo');
        }
        throw err;
      }
    },
  };
}
