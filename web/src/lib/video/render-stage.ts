/**
 * Drawing the stage: the frame's image, then each track's box on it in the track's colour. Keyframe boxes
 * carry corner marks, propagated boxes are plain, boxes that need review get an amber dashed halo and a
 * "check" tag, outside boxes (with "Show outside") are faint and dashed, a locked track's tag ends in a padlock.
 * The selected track is thicker, with its handles (none when it is locked); then the box being drawn, and the
 * crosshair over empty image. Hidden tracks are not in the scene at all (`frameShapes`).
 */

import { handlePoints } from '../editor/geometry';
import { readableOn } from '../editor/render-overlay';
import { HANDLES, type Point, type Rect } from '../editor/types';
import { toScreen, type View } from '../editor/viewport';
import { type FrameShape, smallOnScreen } from './shapes';

export interface StageOverlay {
  /** A box being drawn (image pixels). */
  draft: Rect | null;
  /** The selected box while it is moved or resized. */
  preview: Rect | null;
  hover: number | null;
  /** The pointer over empty image, for the crosshair. */
  cursor: Point | null;
}

export interface StageScene {
  width: number;
  height: number;
  image: CanvasImageSource | null;
  shapes: readonly FrameShape[];
  selected: number | null;
  /** The box of a track being created (dashed until the server answers). */
  pending: { rect: Rect; color: string } | null;
  draftColor: string;
  editable: boolean;
}

const BG = '#15171c';
const REVIEW = '#f79009';
const FONT = '600 11px Inter, ui-sans-serif, system-ui, sans-serif';

function screenRect(view: View, r: Rect): Rect {
  const a = toScreen(view, { x: r.x1, y: r.y1 });
  const b = toScreen(view, { x: r.x2, y: r.y2 });
  return { x1: a.x, y1: a.y, x2: b.x, y2: b.y };
}

function tagText(s: FrameShape): string {
  const conf = s.state === 'p' && s.confidence !== null ? ` ${s.confidence.toFixed(2)}` : '';
  const mark = s.state === 'k' ? ' ◆' : s.outside ? ' (outside)' : '';
  return `${s.label} #${s.id}${mark}${conf}`;
}

/** A padlock 8 px wide whose left edge is at `x`, in a tag whose top is at `y`. */
function drawLock(ctx: CanvasRenderingContext2D, x: number, y: number): void {
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.arc(x + 4, y + 6.5, 2.5, Math.PI, 0);
  ctx.moveTo(x + 1.5, y + 6.5);
  ctx.lineTo(x + 1.5, y + 8);
  ctx.moveTo(x + 6.5, y + 6.5);
  ctx.lineTo(x + 6.5, y + 8);
  ctx.stroke();
  ctx.fillRect(x, y + 7.5, 8, 5.5);
}

function drawTag(ctx: CanvasRenderingContext2D, s: FrameShape, r: Rect, strong: boolean, width: number): void {
  const text = tagText(s);
  const tw = ctx.measureText(text).width + (s.locked ? 12 : 0);
  const h = 16;
  const y = Math.max(0, r.y1 - h >= 0 ? r.y1 - h : r.y1);
  // A box reaching past the stage's left or right edge (an outside box keeps its last place) keeps its tag in view.
  const x = Math.max(0, Math.min(r.x1, width - tw - 10));
  const bg = s.review && !s.outside ? REVIEW : s.color;
  ctx.globalAlpha = s.outside ? 0.6 : strong ? 1 : 0.9;
  ctx.fillStyle = bg;
  ctx.fillRect(x, y, tw + 10, h);
  ctx.fillStyle = readableOn(bg);
  ctx.fillText(text, x + 5, y + h / 2 + 0.5);
  if (s.locked) {
    ctx.strokeStyle = readableOn(bg);
    drawLock(ctx, x + tw - 3, y);
  }
  ctx.globalAlpha = 1;
}

function drawBox(ctx: CanvasRenderingContext2D, s: FrameShape, r: Rect, selected: boolean): void {
  const w = r.x2 - r.x1;
  const h = r.y2 - r.y1;
  if (s.outside) {
    ctx.globalAlpha = 0.55;
    ctx.setLineDash([4, 4]);
    ctx.lineWidth = selected ? 2 : 1;
    ctx.strokeStyle = s.color;
    ctx.strokeRect(r.x1 + 0.5, r.y1 + 0.5, w, h);
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
    return;
  }
  if (s.review) {
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 2;
    ctx.strokeStyle = REVIEW;
    ctx.strokeRect(r.x1 - 3, r.y1 - 3, w + 6, h + 6);
    ctx.setLineDash([]);
  }
  if (selected) {
    ctx.globalAlpha = 0.16;
    ctx.fillStyle = s.color;
    ctx.fillRect(r.x1, r.y1, w, h);
    ctx.globalAlpha = 1;
    ctx.lineWidth = 5;
    ctx.strokeStyle = 'rgba(0,0,0,0.55)';
    ctx.strokeRect(r.x1, r.y1, w, h);
  }
  ctx.lineWidth = selected ? 3 : 1.5;
  ctx.strokeStyle = s.color;
  ctx.strokeRect(r.x1, r.y1, w, h);
  if (s.state === 'k' && !selected) {
    // Keyframe: short solid corners.
    const c = Math.min(8, w / 3, h / 3);
    ctx.lineWidth = 3;
    ctx.beginPath();
    for (const [x, y, dx, dy] of [
      [r.x1, r.y1, 1, 1],
      [r.x2, r.y1, -1, 1],
      [r.x2, r.y2, -1, -1],
      [r.x1, r.y2, 1, -1],
    ] as const) {
      ctx.moveTo(x + dx * c, y);
      ctx.lineTo(x, y);
      ctx.lineTo(x, y + dy * c);
    }
    ctx.stroke();
  }
}

function drawHandles(ctx: CanvasRenderingContext2D, view: View, s: FrameShape, rect: Rect): void {
  const hp = handlePoints(rect);
  const hs = 4;
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = s.color;
  ctx.fillStyle = '#fff';
  ctx.beginPath();
  for (const h of smallOnScreen(rect, view.scale) ? (['nw', 'ne', 'se', 'sw'] as const) : HANDLES) {
    const p = toScreen(view, hp[h]);
    ctx.rect(Math.round(p.x) - hs + 0.5, Math.round(p.y) - hs + 0.5, hs * 2, hs * 2);
  }
  ctx.fill();
  ctx.stroke();
}

/** Draw the stage on a canvas of `width` x `height` CSS pixels at `dpr`; `filter` (the image adjustments,
 * `../editor/adjust.ts`) applies to the frame's picture only, not to the boxes. */
export function drawStage(
  ctx: CanvasRenderingContext2D,
  width: number,
  height: number,
  dpr: number,
  view: View,
  sc: StageScene,
  o: StageOverlay,
  filter = 'none',
): void {
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = BG;
  ctx.fillRect(0, 0, width, height);
  ctx.setTransform(dpr * view.scale, 0, 0, dpr * view.scale, dpr * view.tx, dpr * view.ty);
  if (sc.image) {
    ctx.imageSmoothingEnabled = view.scale * dpr < 1.5;
    if (filter !== 'none') ctx.filter = filter;
    ctx.drawImage(sc.image, 0, 0, sc.width, sc.height);
    if (filter !== 'none') ctx.filter = 'none';
    ctx.imageSmoothingEnabled = true;
  } else {
    ctx.fillStyle = '#22262e';
    ctx.fillRect(0, 0, sc.width, sc.height);
  }

  // Boxes in screen space (constant line widths at any zoom).
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.font = FONT;
  ctx.textBaseline = 'middle';
  let selected: FrameShape | null = null;
  for (const s of sc.shapes) {
    if (s.id === sc.selected) {
      selected = s;
      continue;
    }
    const r = screenRect(view, s.rect);
    drawBox(ctx, s, r, false);
    if (s.id === o.hover) {
      ctx.lineWidth = 3;
      ctx.strokeStyle = s.color;
      ctx.strokeRect(r.x1, r.y1, r.x2 - r.x1, r.y2 - r.y1);
    }
  }
  for (const s of sc.shapes) {
    if (s.id !== sc.selected && (s.rect.x2 - s.rect.x1) * view.scale >= 12) drawTag(ctx, s, screenRect(view, s.rect), false, width);
  }
  if (selected) {
    const rect = o.preview ?? selected.rect;
    const r = screenRect(view, rect);
    drawBox(ctx, selected, r, true);
    drawTag(ctx, selected, r, true, width);
    if (sc.editable && !selected.locked) drawHandles(ctx, view, selected, rect);
  }
  if (sc.pending) {
    const r = screenRect(view, sc.pending.rect);
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 2;
    ctx.strokeStyle = sc.pending.color;
    ctx.strokeRect(r.x1, r.y1, r.x2 - r.x1, r.y2 - r.y1);
    ctx.setLineDash([]);
  }
  drawDraft(ctx, view, sc, o, width, height);
}

function drawDraft(ctx: CanvasRenderingContext2D, view: View, sc: StageScene, o: StageOverlay, width: number, height: number): void {
  if (o.cursor && sc.editable && !o.draft) {
    const c = toScreen(view, o.cursor);
    ctx.strokeStyle = 'rgba(255,255,255,0.35)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(0, Math.round(c.y) + 0.5);
    ctx.lineTo(width, Math.round(c.y) + 0.5);
    ctx.moveTo(Math.round(c.x) + 0.5, 0);
    ctx.lineTo(Math.round(c.x) + 0.5, height);
    ctx.stroke();
  }
  if (!o.draft) return;
  const r = screenRect(view, o.draft);
  ctx.fillStyle = sc.draftColor;
  ctx.globalAlpha = 0.15;
  ctx.fillRect(r.x1, r.y1, r.x2 - r.x1, r.y2 - r.y1);
  ctx.globalAlpha = 1;
  ctx.strokeStyle = sc.draftColor;
  ctx.lineWidth = 2;
  ctx.strokeRect(r.x1, r.y1, r.x2 - r.x1, r.y2 - r.y1);
  const text = `${Math.round(o.draft.x2 - o.draft.x1)} × ${Math.round(o.draft.y2 - o.draft.y1)}`;
  const tw = ctx.measureText(text).width;
  ctx.fillStyle = 'rgba(17,20,26,0.85)';
  ctx.fillRect(r.x2 + 6, r.y2 + 6, tw + 10, 16);
  ctx.fillStyle = '#fff';
  ctx.fillText(text, r.x2 + 11, r.y2 + 14.5);
}
