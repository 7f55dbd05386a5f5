/**
 * Drawing the timeline on canvases (a video has thousands of frames, a DOM node per frame would not do): the
 * ruler with frame numbers, and one lane per track, only the lanes scrolled into view. A lane shows its
 * track's frames reduced to cells (`lanes.ts`): propagated frames in the track's colour, paler where the
 * confidence is lower; outside frames grey; needs-review frames with a red bar under them; suggested frames as
 * small ticks above; frames where a per-frame attribute value changes as short cyan ticks below (value keyframes,
 * apart from the box keyframes); keyframes as diamonds (hollow for an outside keyframe). A hidden track's lane is
 * drawn faint (it can still be clicked), a locked one has a padlock by its name (`flags.ts`).
 */

import { trackColor, withAlpha } from './colors';
import { valueChanges } from './frame-attributes';
import { cellCount, laneSegments, markedCells } from './lanes';
import { frameEdge, frameToX, type FrameScale, tickStep } from './scale';
import type { Track } from './types';

/** Height of one lane and of the ruler (CSS pixels). */
export const LANE_H = 24;
export const RULER_H = 24;
/** Width of the track names at the left of the lanes (the ruler leaves it empty too). */
export const GUTTER = 148;
/** Room at the right end. */
export const PAD_R = 14;

const REVIEW = '#f04438';
const SUGGESTED = '#fde047';
const VALUE_CHANGE = '#22d3ee';
const OUTSIDE = 'rgba(152, 162, 179, 0.42)';
const EMPTY = '#2a2f3a';
const TEXT = '#d0d5dd';
const MUTED = '#8a94a6';
const FONT = '500 11px Inter, ui-sans-serif, system-ui, sans-serif';

export interface Surface {
  ctx: CanvasRenderingContext2D;
  width: number;
  height: number;
  dpr: number;
}

/** The frame axis of a timeline `width` pixels wide. */
export function timelineScale(n: number, width: number): FrameScale {
  return { n: Math.max(1, n), x0: GUTTER, width: Math.max(1, width - GUTTER - PAD_R) };
}

function clear(s: Surface, color: string): void {
  s.ctx.setTransform(s.dpr, 0, 0, s.dpr, 0, 0);
  s.ctx.fillStyle = color;
  s.ctx.fillRect(0, 0, s.width, s.height);
}

export function drawRuler(s: Surface, scale: FrameScale): void {
  const { ctx } = s;
  clear(s, '#1b1f27');
  const step = tickStep(scale);
  const minor = step >= 10 ? step / 5 : step >= 2 ? step / 2 : 0;
  ctx.font = FONT;
  ctx.textBaseline = 'top';
  ctx.strokeStyle = '#4b5261';
  ctx.lineWidth = 1;
  ctx.beginPath();
  if (minor > 0 && (minor * scale.width) / scale.n >= 6) {
    for (let f = 0; f < scale.n; f += minor) {
      const x = Math.round(frameToX(scale, f)) + 0.5;
      ctx.moveTo(x, RULER_H - 5);
      ctx.lineTo(x, RULER_H);
    }
  }
  ctx.stroke();
  ctx.strokeStyle = '#5e6877';
  ctx.fillStyle = MUTED;
  ctx.beginPath();
  for (let f = 0; f < scale.n; f += step) {
    const x = Math.round(frameToX(scale, f)) + 0.5;
    ctx.moveTo(x, RULER_H - 9);
    ctx.lineTo(x, RULER_H);
    if (x + 30 < scale.x0 + scale.width + PAD_R) ctx.fillText(String(f), x + 3, 4);
  }
  ctx.stroke();
  ctx.fillStyle = MUTED;
  ctx.fillText('Frame', 10, 4);
}

function diamond(ctx: CanvasRenderingContext2D, x: number, y: number, r: number): void {
  ctx.moveTo(x, y - r);
  ctx.lineTo(x + r, y);
  ctx.lineTo(x, y + r);
  ctx.lineTo(x - r, y);
  ctx.closePath();
}

function fitText(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  if (ctx.measureText(text).width <= max) return text;
  let t = text;
  while (t.length > 1 && ctx.measureText(`${t}…`).width > max) t = t.slice(0, -1);
  return `${t}…`;
}

/** Which lanes are faint (hidden tracks) and which carry a padlock (locked ones). */
export interface LaneFlags {
  shown: (id: number) => boolean;
  locked: (id: number) => boolean;
}

function drawPadlock(ctx: CanvasRenderingContext2D, x: number, y: number): void {
  ctx.strokeStyle = MUTED;
  ctx.fillStyle = MUTED;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.arc(x + 4, y - 1.5, 2.5, Math.PI, 0);
  ctx.moveTo(x + 1.5, y - 1.5);
  ctx.lineTo(x + 1.5, y);
  ctx.moveTo(x + 6.5, y - 1.5);
  ctx.lineTo(x + 6.5, y);
  ctx.stroke();
  ctx.fillRect(x, y - 0.5, 8, 5.5);
}

function drawLane(s: Surface, scale: FrameScale, t: Track, y: number, selected: boolean, flags?: LaneFlags): void {
  const { ctx } = s;
  const color = trackColor(t.track_id);
  ctx.fillStyle = selected ? '#2b3140' : '#1e222b';
  ctx.fillRect(0, y, s.width, LANE_H);
  const locked = flags?.locked(t.track_id) ?? false;
  if (locked) drawPadlock(ctx, GUTTER - 18, y + LANE_H / 2 - 2);
  // A hidden track: everything after the background at a third of its strength.
  ctx.globalAlpha = flags && !flags.shown(t.track_id) ? 0.35 : 1;
  if (selected) {
    ctx.fillStyle = color;
    ctx.fillRect(0, y, 3, LANE_H);
  }
  // Name.
  ctx.fillStyle = color;
  ctx.fillRect(12, y + LANE_H / 2 - 5, 10, 10);
  ctx.font = selected ? `600 11px Inter, ui-sans-serif, system-ui, sans-serif` : FONT;
  ctx.fillStyle = selected ? '#fff' : TEXT;
  ctx.textBaseline = 'middle';
  ctx.fillText(fitText(ctx, `#${t.track_id} ${t.label}`, GUTTER - (locked ? 52 : 38)), 28, y + LANE_H / 2 + 0.5);

  // Frames, as merged cells.
  const n = scale.n;
  const cols = cellCount(n, scale.width);
  const cellW = scale.width / cols;
  const top = y + 6;
  const h = LANE_H - 12;
  ctx.fillStyle = EMPTY;
  ctx.fillRect(scale.x0, top, scale.width, h);
  for (const seg of laneSegments(t, n, cols)) {
    if (seg.fill === 'none') continue;
    ctx.fillStyle = seg.fill === 'out' ? OUTSIDE : withAlpha(color, 0.2 + 0.06 * seg.level);
    ctx.fillRect(scale.x0 + seg.from * cellW, top, (seg.to - seg.from) * cellW, h);
  }
  if (cellW >= 8) {
    // Frames wide enough to tell apart: a faint line between them.
    ctx.strokeStyle = 'rgba(0,0,0,0.35)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let f = 1; f < n; f++) {
      const x = Math.round(frameEdge(scale, f)) + 0.5;
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + h);
    }
    ctx.stroke();
  }
  ctx.fillStyle = REVIEW;
  for (const c of markedCells(t.review, n, cols)) ctx.fillRect(scale.x0 + c * cellW, top + h - 3, Math.max(1, cellW), 3);
  ctx.fillStyle = SUGGESTED;
  for (const c of markedCells(t.suggested, n, cols)) ctx.fillRect(scale.x0 + (c + 0.5) * cellW - 1, y + 1, 2, 5);
  ctx.fillStyle = VALUE_CHANGE;
  // At the frame's left edge: the value holds from there on.
  for (const c of markedCells(valueChanges(t), n, cols)) ctx.fillRect(scale.x0 + c * cellW, y + LANE_H - 5, 2, 5);

  // Keyframes.
  const r = Math.min(5, Math.max(3.5, (scale.width / n) * 0.45));
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (const f of t.keyframes) if (t.states[f] === 'k') diamond(ctx, frameToX(scale, f), y + LANE_H / 2, r);
  ctx.fillStyle = color;
  ctx.strokeStyle = '#0d0f13';
  ctx.fill();
  ctx.stroke();
  ctx.beginPath();
  for (const f of t.keyframes) if (t.states[f] === 'x') diamond(ctx, frameToX(scale, f), y + LANE_H / 2, r);
  ctx.strokeStyle = '#c0c6d0';
  ctx.stroke();
  ctx.globalAlpha = 1;
}

/** The lanes from `scrollTop`, on a canvas as tall as the visible part of the list. */
export function drawLanes(
  s: Surface,
  scale: FrameScale,
  tracks: readonly Track[],
  selected: number | null,
  scrollTop: number,
  flags?: LaneFlags,
): void {
  clear(s, '#171a21');
  const first = Math.max(0, Math.floor(scrollTop / LANE_H));
  const last = Math.min(tracks.length - 1, Math.ceil((scrollTop + s.height) / LANE_H));
  for (let i = first; i <= last; i++) {
    const t = tracks[i];
    if (t) drawLane(s, scale, t, i * LANE_H - scrollTop, t.track_id === selected, flags);
  }
  if (tracks.length === 0) {
    s.ctx.font = FONT;
    s.ctx.fillStyle = MUTED;
    s.ctx.textBaseline = 'middle';
    s.ctx.fillText('No tracks yet: drag on the frame to draw a box, and it is tracked through the video.', GUTTER, LANE_H / 2);
  }
}

/** The lane (track index) at `y` in the scrolled list, or null below the last. */
export function laneAt(y: number, scrollTop: number, count: number): number | null {
  const i = Math.floor((y + scrollTop) / LANE_H);
  return i >= 0 && i < count ? i : null;
}
