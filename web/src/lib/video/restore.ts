/**
 * Split, merge and delete as undo steps. Each moves or removes every box of a track at once, and what the person
 * saw (propagated boxes, confidences, outside frames, per-frame values) is more than an inverse request could
 * rebuild. So the server keeps a copy of the tracks such a change touched and answers with a token
 * (`undo_token`); `undoChange` with it puts them back exactly as they were, with their ids, and answers like a
 * split (the tracks back, the tracks gone). A redo sends the change again, which answers with a new token.
 *
 * A track brought back keeps its id, so once the change is undone the older steps of its tracks act on the same
 * tracks again (undo goes newest first), and their refs come back with them. A track a change removes lets go of
 * its ref (a new track the server gives that id gets one of its own; a track brought back gets its hidden and
 * locked flags back: `UndoHistory.back`), and a track a redone split makes may get another id: the later steps
 * follow it (`moveRef`), their words too. When the server refuses the undo or the redo (a person changed those
 * tracks since, the id is taken now, the token is no longer kept), the notice says why and the step goes, as any
 * refused one; so do the older steps of those tracks, which no longer match what the server has (`refusal.ts`).
 */

import type { Step, TrackRef } from './history';
import { refusable } from './refusal';
import type { Answer, VideoSession } from './session.svelte';
import type { TracksResult } from './types';

export interface Restorable {
  /** In words ("split track 1 at frame 20"), from the refs' ids now. */
  what: () => string;
  /** The tracks an undo brings back, the step's own first (the track split, the one kept, the one deleted). */
  refs: readonly [TrackRef, ...TrackRef[]];
  /** The change, sent the first time and again on redo; `local` shows it at once. */
  send: (version: number) => Promise<Answer>;
  local?: () => void;
  /** Once the server took the change, the first time and on each redo: refs, selection, words. */
  applied: (answer: Answer) => void;
  /** Once the server put the tracks back: selection and words. */
  restored: (answer: TracksResult) => void;
  /** Ids of tracks the change makes, which its undo removes (a split's new part), besides `refs`. */
  also?: () => readonly number[];
}

const tokenOf = (a: Answer): number | null => ('undo_token' in a && typeof a.undo_token === 'number' ? a.undo_token : null);

/** Send change `c`; once the server took it, it is one undo step. Resolves with the answer (null: not saved). */
export function sendRestorable(s: VideoSession, c: Restorable): Promise<Answer | null> {
  let token: number | null = null;
  const applied = (a: Answer): void => {
    token = tokenOf(a);
    c.applied(a);
  };
  // A stale version goes to the conflict panel (it clears the history); anything else is a refusal (`refusal.ts`).
  const sendUndo = (version: number): Promise<Answer> =>
    token === null ? Promise.reject(new Error('the server kept no copy of the tracks before it')) : s.server.undoChange(token, version);
  const restored = (a: Answer): void => {
    if (!('tracks' in a)) return;
    for (const id of a.removed) s.history.release(id);
    for (const r of c.refs) s.history.back(r);
    c.restored(a);
  };
  const step: Step = {
    get what() {
      return c.what();
    },
    track: c.refs[0],
    also: () => [...c.refs.slice(1).map((r) => r.id), ...(c.also?.() ?? [])],
    undo: (done) =>
      s.edit(refusable(s, 'undo', c.what, c.refs, { what: `undo: ${c.what()}`, send: sendUndo, saved: (a) => (restored(a), done()) })),
    redo: (done) =>
      s.edit(refusable(s, 'redo', c.what, c.refs, { what: `redo: ${c.what()}`, local: c.local, send: c.send, saved: (a) => (applied(a), done()) })),
  };
  return s.edit({ what: c.what(), local: c.local, send: c.send, saved: (a) => (applied(a), s.history.push(step)) });
}
