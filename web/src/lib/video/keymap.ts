/**
 * The video editor's keyboard shortcuts in one place: the key handler reads the tables, the help sheet (`?`)
 * the list. The frame keys follow CVAT (`f`/`d` next/previous frame, `k` keyframe, `o` outside, Space plays,
 * Alt+M splits a track), so people who come from it keep their hands where they were; `<` / `>` change the
 * playback speed, as on YouTube. `H` hides every track as the image editor's `H` hides every shape, `Shift+H` the
 * selected one, `L` locks it; `/` finds a track (Ctrl+F stays the browser's find). Class hotkeys (1-9) are the project's, minus any that clash with these keys.
 * Pure functions, tested without a browser.
 */

import type { HelpEntry, KeyLike } from '../editor/keys';
import type { LabelClass } from '../editor/types';

export type VideoAction =
  | 'play'
  | 'speed.down'
  | 'speed.up'
  | 'frame.next'
  | 'frame.prev'
  | 'frame.forward'
  | 'frame.back'
  | 'frame.first'
  | 'frame.last'
  | 'suggest.next'
  | 'suggest.prev'
  | 'suggest.top'
  | 'keyframe.next'
  | 'keyframe.prev'
  | 'keyframe'
  | 'outside'
  | 'track.split'
  | 'delete'
  | 'track.next'
  | 'track.prev'
  | 'escape'
  | 'zoom.in'
  | 'zoom.out'
  | 'zoom.fit'
  | 'zoom.actual'
  | 'undo'
  | 'redo'
  | 'save'
  | 'help'
  | 'item.next'
  | 'item.prev'
  | 'track.hide'
  | 'tracks.hide'
  | 'track.lock'
  | 'tracks.find';

/** Frames `v` and `c` jump (CVAT's "step"). */
export const FRAME_STEP = 10;

const PLAIN: Readonly<Record<string, VideoAction>> = {
  ' ': 'play',
  // YouTube's: Shift+, and Shift+. on a US keyboard (by the character, so `<` and `>` wherever a layout has them).
  '<': 'speed.down',
  '>': 'speed.up',
  f: 'frame.next',
  ArrowRight: 'frame.next',
  d: 'frame.prev',
  ArrowLeft: 'frame.prev',
  v: 'frame.forward',
  c: 'frame.back',
  Home: 'frame.first',
  End: 'frame.last',
  n: 'suggest.next',
  g: 'suggest.top',
  ']': 'keyframe.next',
  '[': 'keyframe.prev',
  k: 'keyframe',
  o: 'outside',
  Delete: 'delete',
  Backspace: 'delete',
  Escape: 'escape',
  '+': 'zoom.in',
  '=': 'zoom.in',
  '-': 'zoom.out',
  _: 'zoom.out',
  '0': 'zoom.actual',
  h: 'tracks.hide',
  l: 'track.lock',
  '/': 'tracks.find',
  PageDown: 'item.next',
  PageUp: 'item.prev',
};

/** Shift+letter keys (the letter in lower case). */
const SHIFTED: Readonly<Record<string, VideoAction>> = {
  n: 'suggest.prev',
  f: 'zoom.fit',
  h: 'track.hide',
};

/** Single-character keys the editor uses (`?` opens the help whatever the Shift): a class hotkey on one of these is
 * ignored. */
export const VIDEO_RESERVED: ReadonlySet<string> = new Set([...Object.keys(PLAIN).filter((k) => k.length === 1), '?']);

/** The action for a key press, or null. Class hotkeys are looked up separately (`labelForKey`). */
export function videoActionFor(e: KeyLike & { code?: string }): VideoAction | null {
  if (e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey && (e.code === 'KeyM' || e.key.toLowerCase() === 'm')) {
    // Alt+M splits, as in CVAT (by the key's place: on a Mac, Option+M types "µ").
    return 'track.split';
  }
  if ((e.ctrlKey || e.metaKey) && !e.altKey) {
    // The image and text editors' keys (`../editor/keys.ts`), so that a person's hands do the same everywhere.
    const k = e.key.toLowerCase();
    if (k === 'z') return e.shiftKey ? 'redo' : 'undo';
    if (k === 'y') return 'redo';
    return k === 's' ? 'save' : null;
  }
  if (e.altKey || e.ctrlKey || e.metaKey) return null;
  if (e.key === 'Tab') return e.shiftKey ? 'track.prev' : 'track.next';
  if (e.key === '?') return 'help';
  if (e.shiftKey && /^[a-z]$/i.test(e.key)) return SHIFTED[e.key.toLowerCase()] ?? null;
  return PLAIN[e.key.length === 1 ? e.key.toLowerCase() : e.key] ?? null;
}

/** Hotkey -> class name, for the classes whose hotkey does not clash with an editor key. */
export function videoHotkeys(classes: readonly LabelClass[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of classes) {
    const k = c.hotkey?.toLowerCase();
    if (k && !VIDEO_RESERVED.has(k) && !out.has(k)) out.set(k, c.name);
  }
  return out;
}

export const VIDEO_SHORTCUTS: readonly HelpEntry[] = [
  { keys: ['Space'], description: 'Play or pause (at the video’s frame rate times the speed)', group: 'Frames' },
  { keys: ['<', '>'], description: 'Play slower / faster: 0.25× to 4× (kept in this browser)', group: 'Frames' },
  { keys: ['F', '→'], description: 'Next frame', group: 'Frames' },
  { keys: ['D', '←'], description: 'Previous frame', group: 'Frames' },
  { keys: ['V', 'C'], description: `${FRAME_STEP} frames forward / back`, group: 'Frames' },
  { keys: ['Home', 'End'], description: 'First / last frame', group: 'Frames' },
  { keys: ['Click', 'Drag'], description: 'Seek on the timeline (a lane also selects its track)', group: 'Frames' },
  { keys: ['N'], description: 'Next suggested frame of the selected track', group: 'Frames' },
  { keys: ['Shift+N'], description: 'Previous suggested frame', group: 'Frames' },
  { keys: ['G'], description: 'The frame the system most wants checked (its top suggestion)', group: 'Frames' },
  { keys: [']', '['], description: 'Next / previous keyframe of the selected track', group: 'Frames' },
  { keys: ['Drag on the frame'], description: 'Draw a box: a new track with the active class, propagated', group: 'Tracks' },
  { keys: ['1 – 9'], description: 'Choose the class (relabels the selected track)', group: 'Tracks' },
  { keys: ['Drag box', 'Drag handle'], description: 'Move or resize: a keyframe on this frame', group: 'Tracks' },
  { keys: ['K'], description: 'Make the shown propagated box a keyframe as it is', group: 'Tracks' },
  { keys: ['O'], description: 'Outside on this frame (again: visible, where it was)', group: 'Tracks' },
  { keys: ['Delete', 'Backspace'], description: 'Remove the keyframe on this frame (the last one: delete the track)', group: 'Tracks' },
  { keys: ['Alt+M'], description: 'Split the selected track here: from this frame on, a new track', group: 'Tracks' },
  { keys: ['Merge with…'], description: 'In the selected track’s card: merge another track into it (the lower id stays)', group: 'Tracks' },
  { keys: ['Ctrl+Z'], description: 'Undo the last change (also a delete, split or merge)', group: 'Tracks' },
  { keys: ['Ctrl+Shift+Z', 'Ctrl+Y'], description: 'Redo', group: 'Tracks' },
  { keys: ['Tab', 'Shift+Tab'], description: 'Select the next / previous track', group: 'Tracks' },
  { keys: ['Shift+H'], description: 'Hide or show the selected track (the eye in its card): not drawn, not hit', group: 'Tracks' },
  { keys: ['L'], description: 'Lock or unlock the selected track (the padlock in its card): no move, edit or delete', group: 'Tracks' },
  { keys: ['/'], description: 'Find a track by id or class (the filter over a list of more than 8; Esc clears it)', group: 'Tracks' },
  { keys: ['Esc'], description: 'Cancel the drag, or clear the selection', group: 'Tracks' },
  { keys: ['Wheel', '+', '−'], description: 'Zoom in / out', group: 'View' },
  { keys: ['Shift+F'], description: 'Fit the frame', group: 'View' },
  { keys: ['0'], description: 'Actual pixels (100 %)', group: 'View' },
  { keys: ['H'], description: 'Hide every track but the selected one, to see the frame bare (again: as before)', group: 'View' },
  { keys: ['Space+drag', 'Middle drag'], description: 'Pan', group: 'View' },
  { keys: ['?'], description: 'This help', group: 'View' },
  {
    keys: ['F6', 'Shift+F6'],
    description: 'Next / previous region: frame, toolbar, timeline, classes, tracks, top bar (Esc: back to the frame)',
    group: 'View',
  },
  { keys: ['Page Down', 'Page Up'], description: 'Next / previous item', group: 'Items' },
];

export { labelForKey, ownedByControl, type KeyLike } from '../editor/keys';
