/** The video editor's programmatic handle, handed to `onready` (the item page puts it on `window.__videoEditor`). */

import type { SaveState, VideoSession } from './session.svelte';
import type { VideoStage } from './stage';
import type { TrackFlags } from './track-flags.svelte';

export interface VideoEditorState {
  frame: number;
  frameCount: number;
  selected: number | null;
  version: number;
  saveState: SaveState;
  tracks: number;
  propagating: number;
  playing: boolean;
  zoom: number;
  /** The current frame's image has decoded and is on the stage. */
  frameShown: boolean;
}

export interface VideoEditorApi {
  session: VideoSession;
  /** Hidden and locked tracks (`hidden`, `locked`, `allHidden`). */
  flags: TrackFlags;
  stage: () => VideoStage | null;
  state: () => VideoEditorState;
  /** Wait for the changes in flight. */
  settled: () => Promise<void>;
}

declare global {
  interface Window {
    __videoEditor?: VideoEditorApi;
  }
}
