/**
 * Reading a track frame by frame, without a browser: its state string as runs (what the timeline draws), the
 * box shown on a frame, the suggested frame before or after the playhead, and a track with one keyframe
 * changed locally (shown at once while the server saves it). Tracks are never mutated: changes make new ones.
 */

import type { Box, FrameState, Track } from './types';

export interface Run {
  state: FrameState;
  /** First frame of the run. */
  start: number;
  /** One past its last frame. */
  end: number;
}

const KNOWN = new Set<string>(['k', 'x', 'p', 'o', '-']);

/** The state of frame `f` (`-` past the end or for a character the editor does not know). */
export function stateAt(states: string, f: number): FrameState {
  const c = states[f];
  return c !== undefined && KNOWN.has(c) ? (c as FrameState) : '-';
}

/** The state string as runs of equal states, in order ("kppoo" -> k 0-1, p 1-3, o 3-5). */
export function stateRuns(states: string): Run[] {
  const runs: Run[] = [];
  let start = 0;
  for (let f = 1; f <= states.length; f++) {
    if (f < states.length && states[f] === states[start]) continue;
    runs.push({ state: stateAt(states, start), start, end: f });
    start = f;
  }
  return runs;
}

/** In words, for the status line and the panel. */
export const STATE_NAMES: Record<FrameState, string> = {
  k: 'keyframe',
  x: 'keyframe: outside',
  p: 'propagated',
  o: 'outside',
  '-': 'not propagated yet',
};

export function isKeyframeState(s: FrameState): boolean {
  return s === 'k' || s === 'x';
}

export function isOutsideState(s: FrameState): boolean {
  return s === 'x' || s === 'o';
}

function asBox(b: Box | number[] | null | undefined): Box | null {
  if (!b || b.length !== 4) return null;
  return [b[0]!, b[1]!, b[2]!, b[3]!];
}

/** What the stage draws of a track on frame `f`: its box, and whether it is outside there; null for nothing. */
export function boxAt(t: Track, f: number): { box: Box; state: FrameState; outside: boolean } | null {
  const state = stateAt(t.states, f);
  if (state === '-') return null;
  const box = asBox(t.boxes[f]);
  return box ? { box, state, outside: isOutsideState(state) } : null;
}

/** The keyframes that hold a box (`k`); a track must keep at least one. */
export function boxKeyframes(t: Track): number[] {
  return t.keyframes.filter((f) => t.states[f] === 'k');
}

/** True when removing keyframe `f` would leave the track without a box keyframe (the server refuses it). */
export function isLastBoxKeyframe(t: Track, f: number): boolean {
  const ks = boxKeyframes(t);
  return ks.length === 1 && ks[0] === f;
}

/**
 * The suggested frame after `frame` (dir 1) or before it (dir -1), nearest first, wrapping around the video;
 * null when there is none other than `frame` itself. Suggestions come best first from the server, so they
 * are sorted here.
 */
export function stepSuggested(suggested: readonly number[], frame: number, dir: 1 | -1): number | null {
  const frames = [...new Set(suggested)].filter((f) => f !== frame).sort((a, b) => a - b);
  if (frames.length === 0) return null;
  if (dir === 1) return frames.find((f) => f > frame) ?? frames[0]!;
  for (let i = frames.length - 1; i >= 0; i--) if (frames[i]! < frame) return frames[i]!;
  return frames[frames.length - 1]!;
}

/**
 * The suggestion the server ranks first (least confident, see `suggest_frames`), skipping `frame` itself so
 * that a second press moves on when the person judged the shown frame fine; null when there is none.
 */
export function topSuggested(suggested: readonly number[], frame: number): number | null {
  return suggested.find((f) => f !== frame) ?? null;
}

/** The neighbouring keyframe after (dir 1) or before (dir -1) `frame`, without wrapping; null at the ends. */
export function stepKeyframe(keyframes: readonly number[], frame: number, dir: 1 | -1): number | null {
  if (dir === 1) return keyframes.find((f) => f > frame) ?? null;
  for (let i = keyframes.length - 1; i >= 0; i--) if (keyframes[i]! < frame) return keyframes[i]!;
  return null;
}

function insertSorted(list: readonly number[], f: number): number[] {
  if (list.includes(f)) return [...list];
  const out = [...list, f];
  out.sort((a, b) => a - b);
  return out;
}

function setChar(s: string, f: number, c: string): string {
  return s.slice(0, f) + c + s.slice(f + 1);
}

/**
 * The track as it looks once frame `f` is a keyframe with `box` (null: outside). The server answers with the
 * same, plus a job re-propagating the frames around it; until then the editor shows this.
 */
export function withKeyframe(t: Track, f: number, box: Box | null): Track {
  const boxes = t.boxes.slice();
  // Outside keeps the last place seen, as the server does.
  if (box) boxes[f] = [...box];
  const confidence = t.confidence.slice();
  confidence[f] = null;
  return {
    ...t,
    states: setChar(t.states, f, box ? 'k' : 'x'),
    boxes,
    confidence,
    keyframes: insertSorted(t.keyframes, f),
    review: t.review.filter((r) => r !== f),
    suggested: t.suggested.filter((s) => s !== f),
  };
}

/** How many frames of each state a track has (the panel's counts). */
export function stateCounts(states: string): Record<FrameState, number> {
  const out: Record<FrameState, number> = { k: 0, x: 0, p: 0, o: 0, '-': 0 };
  for (let f = 0; f < states.length; f++) out[stateAt(states, f)] += 1;
  return out;
}
