/**
 * What the video editor's keys and timeline buttons do, on top of the session, the player and the stage:
 * stepping and seeking frames (with the frames ahead prefetched), suggested frames and keyframes of the
 * selected track, keyframe and outside edits, splitting a track, undo and redo, selecting tracks, hiding and
 * locking them (`TrackFlags`), the track filter, zoom, moving to another item.
 * The Svelte component only turns key presses into `VideoAction`s (`keymap.ts`) and calls `run`.
 */

import { ZOOM_STEP } from '../editor/viewport';
import { makeKeyframe, redo, removeKeyframe, toggleOutside, undo } from './edits';
import type { FrameCache } from './frames';
import { FRAME_STEP, type VideoAction } from './keymap';
import type { Player } from './player.svelte';
import type { VideoSession } from './session.svelte';
import type { VideoStage } from './stage';
import { stepKeyframe, stepSuggested, topSuggested } from './states';
import type { TrackFlags } from './track-flags.svelte';
import { FILTER_FROM } from './track-filter';
import { splitTrack } from './track-ops';
import type { Track } from './types';

export interface ControlsHost {
  session: VideoSession;
  player: Player;
  frames: FrameCache;
  stage: () => VideoStage | null;
  /** Ids of the tracks with a box on the current frame (Tab steps through these first). */
  shown: () => number[];
  editable: boolean;
  /** Ask before deleting a whole track. */
  confirmDelete: (id: number) => void;
  toggleHelp: () => void;
  /** Hidden and locked tracks (`H`, `Shift+H`, `L`). */
  flags?: TrackFlags;
  /** The track list's filter field, when it is shown (`/`). */
  filterField?: () => HTMLInputElement | null;
  onnext?: () => void;
  onprev?: () => void;
}

/** Tab / Shift+Tab: the track after (or before) `selected` among `ids`, wrapping; the first (last) with none. */
export function stepTrack(ids: readonly number[], selected: number | null, dir: 1 | -1): number | null {
  const sorted = [...ids].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const i = selected === null ? -1 : sorted.indexOf(selected);
  if (i < 0) return dir > 0 ? sorted[0]! : sorted[sorted.length - 1]!;
  return sorted[(i + dir + sorted.length) % sorted.length]!;
}

/**
 * The track the suggested-frame and keyframe steps work on: the selected one, or with none selected the only one
 * that can be meant (the only one on the frame, or, with none on the frame, the video's only track); null when
 * several could be.
 */
export function impliedTrack(all: readonly number[], shown: readonly number[], selected: number | null): number | null {
  if (selected !== null) return selected;
  const candidates = shown.length ? shown : all;
  return candidates.length === 1 ? candidates[0]! : null;
}

/** What the timeline's suggestion buttons follow, and their tooltips. */
export interface SuggestButtons {
  /** The track `N`, `Shift+N`, `G` and the buttons step through (`impliedTrack`), or null. */
  track: Track | null;
  /** The track has suggested frames: the buttons are enabled (the keys then move too). */
  enabled: boolean;
  next: string;
  prev: string;
  top: string;
}

/**
 * The suggestion buttons work on the same track as the keys: the selected one, or with none selected the only
 * one that can be meant; their tooltips say which (and why the buttons are off when they are).
 */
export function suggestButtons(tracks: readonly Track[], shown: readonly number[], selected: number | null): SuggestButtons {
  const id = impliedTrack(tracks.map((t) => t.track_id), shown, selected);
  const t = id === null ? null : (tracks.find((x) => x.track_id === id) ?? null);
  if (!t) {
    const why = tracks.length === 0 ? 'No tracks yet' : 'Select a track first';
    return { track: null, enabled: false, next: `${why} (N)`, prev: `${why} (Shift+N)`, top: `${why} (G)` };
  }
  if (t.suggested.length === 0) {
    const why = `Track ${t.track_id} has no suggested frames to check`;
    return { track: t, enabled: false, next: `${why} (N)`, prev: `${why} (Shift+N)`, top: `${why} (G)` };
  }
  const which =
    t.track_id === selected
      ? `track ${t.track_id}`
      : `track ${t.track_id}, the only track ${shown.length ? 'on this frame' : 'in the video'}`;
  return {
    track: t,
    enabled: true,
    next: `Next suggested frame of ${which} (N)`,
    prev: `Previous suggested frame of ${which} (Shift+N)`,
    top: `The least sure frame of ${which} (G)`,
  };
}

export class VideoControls {
  constructor(private readonly h: ControlsHost) {}

  /** Go to frame `f`, and have the next few decoded. */
  seek(f: number): void {
    const s = this.h.session;
    s.seek(f);
    this.h.frames.ahead(s.frame, 6);
  }

  step(by: number): void {
    this.h.player.pause();
    this.seek(this.h.session.frame + by);
  }

  /** The selected track, or the one `impliedTrack` finds, which becomes selected (the panel then lists its frames). */
  private trackToStep(): Track | null {
    const s = this.h.session;
    const id = impliedTrack(s.tracks.map((t) => t.track_id), this.h.shown(), s.selected);
    if (id !== s.selected) s.select(id);
    return s.selectedTrack;
  }

  /** n / Shift+n: the selected track's next or previous suggested frame; g (`dir` 0): its top suggestion. */
  suggest(dir: 1 | -1 | 0): void {
    const s = this.h.session;
    const t = this.trackToStep();
    if (!t) return s.notify('Select a track to step through its suggested frames', 'warn');
    const f = dir === 0 ? topSuggested(t.suggested, s.frame) : stepSuggested(t.suggested, s.frame, dir);
    if (f === null) return s.notify(`Track ${t.track_id} has no suggested frames to check`);
    this.h.player.pause();
    this.seek(f);
  }

  private jumpKeyframe(dir: 1 | -1): void {
    const s = this.h.session;
    const t = this.trackToStep();
    const f = t ? stepKeyframe(t.keyframes, s.frame, dir) : null;
    if (f === null) return s.notify(t ? `No keyframe ${dir > 0 ? 'after' : 'before'} this frame` : 'Select a track first', 'warn');
    this.h.player.pause();
    this.seek(f);
  }

  private cycleTrack(dir: 1 | -1): void {
    const s = this.h.session;
    const shown = this.h.shown();
    s.select(stepTrack(shown.length ? shown : s.tracks.map((t) => t.track_id), s.selected, dir));
  }

  private withTrack(fn: (t: Track) => void): void {
    const s = this.h.session;
    const t = s.selectedTrack;
    if (!t) return s.notify('Select a track first (click its box, or Tab)', 'warn');
    if (!this.h.editable) return s.notify('You can look but not edit this item', 'warn');
    this.h.player.pause();
    fn(t);
  }

  /** `/`: the keyboard to the track filter, or why there is none. */
  private findTrack(): void {
    const el = this.h.filterField?.() ?? null;
    if (!el) return this.h.session.notify(`With more than ${FILTER_FROM} tracks, a filter over the track list finds one`);
    el.focus();
    el.select();
  }

  /** Shift+H and L: hide or lock the selected track (locking is for those who can edit). */
  private flagSelected(what: 'hide' | 'lock'): void {
    const { session: s, flags } = this.h;
    const t = s.selectedTrack;
    if (!flags) return;
    if (what === 'lock' && !this.h.editable) return s.notify('You can look but not edit this item', 'warn');
    if (!t) return s.notify(`Select a track to ${what} first (click its box or its card, or Tab)`, 'warn');
    if (what === 'hide') flags.toggleHidden(t.track_id, true);
    else flags.toggleLocked(t.track_id, true);
  }

  /** Next or previous item, once the changes in flight are saved; stays while a conflict is open. */
  leave(to: (() => void) | undefined): void {
    if (!to) return;
    const s = this.h.session;
    this.h.player.pause();
    void s.settled().then(() => {
      if (s.conflict) s.notify('Settle the conflict before moving on', 'warn');
      else to();
    });
  }

  run(a: VideoAction): void {
    const { session: s, player } = this.h;
    const stage = this.h.stage();
    switch (a) {
      case 'play':
        return player.toggle();
      case 'speed.down':
      case 'speed.up':
        return player.stepRate(a === 'speed.up' ? 1 : -1);
      case 'frame.next':
      case 'frame.prev':
        return this.step(a === 'frame.next' ? 1 : -1);
      case 'frame.forward':
      case 'frame.back':
        return this.step(a === 'frame.forward' ? FRAME_STEP : -FRAME_STEP);
      case 'frame.first':
      case 'frame.last':
        player.pause();
        return this.seek(a === 'frame.first' ? 0 : s.frameCount - 1);
      case 'suggest.next':
      case 'suggest.prev':
        return this.suggest(a === 'suggest.next' ? 1 : -1);
      case 'suggest.top':
        return this.suggest(0);
      case 'keyframe.next':
      case 'keyframe.prev':
        return this.jumpKeyframe(a === 'keyframe.next' ? 1 : -1);
      case 'keyframe':
        return this.withTrack((t) => void makeKeyframe(s, t, s.frame));
      case 'outside':
        return this.withTrack((t) => void toggleOutside(s, t, s.frame));
      case 'track.split':
        return this.withTrack((t) => void splitTrack(s, t, s.frame));
      case 'delete':
        return this.withTrack((t) => {
          if (removeKeyframe(s, t, s.frame) === 'last') this.h.confirmDelete(t.track_id);
        });
      case 'track.next':
      case 'track.prev':
        return this.cycleTrack(a === 'track.next' ? 1 : -1);
      case 'escape':
        if (stage?.cancelDrag()) return;
        return s.select(null);
      case 'zoom.in':
      case 'zoom.out':
        return stage?.zoomBy(a === 'zoom.in' ? ZOOM_STEP : 1 / ZOOM_STEP);
      case 'zoom.fit':
        return stage?.fit();
      case 'zoom.actual':
        return stage?.actualSize();
      case 'undo':
      case 'redo':
        player.pause();
        return void (a === 'undo' ? undo(s) : redo(s));
      case 'save':
        return s.notify('Every change is saved as you make it');
      case 'help':
        return this.h.toggleHelp();
      case 'item.next':
      case 'item.prev':
        return this.leave(a === 'item.next' ? this.h.onnext : this.h.onprev);
      case 'track.hide':
        return this.flagSelected('hide');
      case 'track.lock':
        return this.flagSelected('lock');
      case 'tracks.hide':
        return this.h.flags?.toggleAll(s.selected);
      case 'tracks.find':
        return this.findTrack();
    }
  }
}
