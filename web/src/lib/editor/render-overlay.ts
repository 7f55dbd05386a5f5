/**
 * What is drawn over the shapes, in screen space: label tags, the selected shape with its handles or vertices,
 * and the shape being drawn (box with its size, polygon with its rubber band) under the crosshair.
 */

import { attributeSummary } from './attribute-panel';
import type { EditorCore } from './core';
import type { KeypointOverlay } from './keypoint-tool';
import { annBounds, handlePoints } from './geometry';
import type { LiveStroke } from './mask-stroke';
import { isProposal } from './proposals';
import { fillShape, strokeShape, tracePath } from './render-shapes';
import { type Ann, HANDLES, type Point, type Rect } from './types';
import { toScreen, type View } from './viewport';

export interface Overlay {
  /** An annotation being moved or resized: drawn instead of the stored one. */
  preview: Ann | null;
  hoverKey: string | null;
  /** A box being drawn (image coordinates). */
  draftBox: Rect | null;
  /** A polygon being drawn: its points so far. */
  draftPolygon: number[] | null;
  /** The pointer in image coordinates, for the crosshair and the polygon's rubber band. */
  cursor: Point | null;
  /** The keyboard's crosshair (a polygon placed by keyboard), drawn as a ring round the point. */
  keyCursor: Point | null;
  /** The polygon would close if clicked now (the pointer is on its first point). */
  closing: boolean;
  /** The rubber band being dragged (Shift+drag with the Select tool, from anywhere; image coordinates). */
  band: Rect | null;
  /** A brush or eraser stroke being drawn (`mask-stroke.ts`). */
  stroke: LiveStroke | null;
  /** The keypoints tool's state (`keypoint-tool.ts`): the instance being placed, the picked and hovered point. */
  keypoints?: KeypointOverlay;
}

export const LABEL_FONT = '600 11px Inter, ui-sans-serif, system-ui, sans-serif';

const textWidths = new Map<string, number>();

function measure(ctx: CanvasRenderingContext2D, text: string): number {
  let w = textWidths.get(text);
  if (w === undefined) {
    w = ctx.measureText(text).width;
    if (textWidths.size > 5000) textWidths.clear();
    textWidths.set(text, w);
  }
  return w;
}

export function labelText(a: Ann): string {
  const name = a.label ?? '(no label)';
  return a.source === 'model' && a.score !== null ? `${name} ${a.score.toFixed(2)}` : name;
}

export function drawLabel(ctx: CanvasRenderingContext2D, core: EditorCore, view: View, a: Ann, strong: boolean): void {
  const r = annBounds(a);
  if (!r) return;
  const p = toScreen(view, { x: r.x1, y: r.y1 });
  const wScreen = (r.x2 - r.x1) * view.scale;
  if (!strong && wScreen < 18) return;
  // The selected shape's label carries its attribute values too.
  const values = strong && core.specs.length > 0 ? attributeSummary(core.specs, a) : '';
  const text = values ? `${labelText(a)} · ${values}` : labelText(a);
  const tw = measure(ctx, text);
  const h = 16;
  const x = p.x;
  const y = p.y - h >= 0 ? p.y - h : p.y;
  const color = core.colorOf(a.label);
  const proposal = isProposal(a);
  ctx.globalAlpha = proposal && !strong ? 0.8 : 1;
  ctx.fillStyle = proposal ? 'rgba(17, 20, 26, 0.85)' : color;
  ctx.fillRect(x, y, tw + 10, h);
  if (proposal) {
    ctx.strokeStyle = color;
    ctx.lineWidth = 1;
    ctx.strokeRect(x + 0.5, y + 0.5, tw + 9, h - 1);
  }
  ctx.fillStyle = proposal ? color : readableOn(color);
  ctx.fillText(text, x + 5, y + h / 2 + 0.5);
  ctx.globalAlpha = 1;
}

/** Black or white text, whichever reads better on `hex`. */
export function readableOn(hex: string): string {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return '#fff';
  const [r, g, b] = [m[1]!, m[2]!, m[3]!].map((h) => parseInt(h, 16) / 255) as [number, number, number];
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return lum > 0.55 ? '#111' : '#fff';
}

export function drawSelected(ctx: CanvasRenderingContext2D, core: EditorCore, view: View, a: Ann, dpr: number): void {
  const k = view.scale;
  const color = core.colorOf(a.label);
  ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * view.tx, dpr * view.ty);
  ctx.beginPath();
  tracePath(ctx, a);
  ctx.globalAlpha = 0.22;
  ctx.fillStyle = color;
  ctx.fill();
  ctx.globalAlpha = 1;
  ctx.lineWidth = 4 / k;
  ctx.strokeStyle = 'rgba(0,0,0,0.55)';
  ctx.stroke();
  ctx.lineWidth = 2 / k;
  ctx.strokeStyle = color;
  if (isProposal(a)) ctx.setLineDash([6 / k, 4 / k]);
  ctx.stroke();
  ctx.setLineDash([]);

  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.font = LABEL_FONT;
  drawLabel(ctx, core, view, a, true);
  if (a.kind === 'mask') return; // drawn by drawMasks; the brush and eraser edit it, no handles
  // Handles or vertices, a constant size on screen.
  const hs = 4;
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = color;
  ctx.fillStyle = '#fff';
  if (a.kind === 'polygon') {
    const pts = a.geometry.points ?? [];
    ctx.beginPath();
    for (let i = 0; i + 1 < pts.length; i += 2) {
      const p = toScreen(view, { x: pts[i]!, y: pts[i + 1]! });
      ctx.moveTo(p.x + hs, p.y);
      ctx.arc(p.x, p.y, hs, 0, Math.PI * 2);
    }
    ctx.fill();
    ctx.stroke();
    return;
  }
  const r = annBounds(a);
  if (!r) return;
  const hp = handlePoints(r);
  const small = (r.x2 - r.x1) * view.scale < 24 || (r.y2 - r.y1) * view.scale < 24;
  ctx.beginPath();
  for (const h of small ? (['nw', 'ne', 'se', 'sw'] as const) : HANDLES) {
    const p = toScreen(view, hp[h]);
    ctx.rect(Math.round(p.x) - hs + 0.5, Math.round(p.y) - hs + 0.5, hs * 2, hs * 2);
  }
  ctx.fill();
  ctx.stroke();
}

/**
 * The selected shapes other than the primary: a dark-edged outline in their colour (tinted too when `fill`, as
 * the shapes are below 300 in view), no handles (those are the primary's). Two stroke calls per shape: with all
 * 1,000 boxes selected (Ctrl+A) the frame stays inside its budget (`benchmarks/README.md`, bench_editor).
 */
export function drawSelectedOutlines(
  ctx: CanvasRenderingContext2D,
  core: EditorCore,
  view: View,
  anns: readonly Ann[],
  dpr: number,
  fill: boolean,
): void {
  const k = view.scale;
  ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * view.tx, dpr * view.ty);
  if (fill) {
    ctx.globalAlpha = 0.15;
    for (const a of anns) {
      ctx.fillStyle = core.colorOf(a.label);
      fillShape(ctx, a);
    }
    ctx.globalAlpha = 1;
  }
  ctx.lineWidth = 4 / k;
  ctx.strokeStyle = 'rgba(0,0,0,0.55)';
  for (const a of anns) strokeShape(ctx, a);
  ctx.lineWidth = 2 / k;
  for (const a of anns) {
    ctx.strokeStyle = core.colorOf(a.label);
    strokeShape(ctx, a);
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
}

export function drawDrafts(
  ctx: CanvasRenderingContext2D,
  core: EditorCore,
  view: View,
  o: Overlay,
  width: number,
  height: number,
): void {
  const color = core.colorOf(core.currentLabel);
  if (o.cursor && core.tool !== 'select' && !core.readonly) {
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
  if (o.keyCursor && core.tool !== 'select' && !core.readonly) drawReticle(ctx, toScreen(view, o.keyCursor), color);
  if (o.draftBox) {
    const a = toScreen(view, { x: o.draftBox.x1, y: o.draftBox.y1 });
    const b = toScreen(view, { x: o.draftBox.x2, y: o.draftBox.y2 });
    ctx.fillStyle = color;
    ctx.globalAlpha = 0.15;
    ctx.fillRect(a.x, a.y, b.x - a.x, b.y - a.y);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.strokeRect(a.x, a.y, b.x - a.x, b.y - a.y);
    const text = `${Math.round(o.draftBox.x2 - o.draftBox.x1)} × ${Math.round(o.draftBox.y2 - o.draftBox.y1)}`;
    ctx.font = LABEL_FONT;
    const tw = measure(ctx, text);
    ctx.fillStyle = 'rgba(17,20,26,0.85)';
    ctx.fillRect(b.x + 6, b.y + 6, tw + 10, 16);
    ctx.fillStyle = '#fff';
    ctx.textBaseline = 'middle';
    ctx.fillText(text, b.x + 11, b.y + 14.5);
  }
  if (o.band) {
    const a = toScreen(view, { x: o.band.x1, y: o.band.y1 });
    const b = toScreen(view, { x: o.band.x2, y: o.band.y2 });
    ctx.fillStyle = 'rgba(255,255,255,0.08)';
    ctx.fillRect(a.x, a.y, b.x - a.x, b.y - a.y);
    ctx.lineWidth = 1;
    ctx.setLineDash([4, 3]);
    ctx.strokeStyle = '#fff';
    ctx.strokeRect(Math.round(a.x) + 0.5, Math.round(a.y) + 0.5, Math.round(b.x - a.x), Math.round(b.y - a.y));
    ctx.setLineDash([]);
  }
  const pts = o.draftPolygon;
  if (pts && pts.length >= 2) {
    // With the eraser it is the outline of pixels to clear (white, as the eraser's circle), not a shape of a class.
    const ink = core.tool === 'eraser' ? '#ffffff' : color;
    ctx.strokeStyle = ink;
    ctx.lineWidth = 2;
    ctx.beginPath();
    const first = toScreen(view, { x: pts[0]!, y: pts[1]! });
    ctx.moveTo(first.x, first.y);
    for (let i = 2; i + 1 < pts.length; i += 2) {
      const p = toScreen(view, { x: pts[i]!, y: pts[i + 1]! });
      ctx.lineTo(p.x, p.y);
    }
    if (o.cursor) {
      const c = o.closing && !o.keyCursor ? first : toScreen(view, o.cursor);
      ctx.lineTo(c.x, c.y);
    }
    ctx.stroke();
    if (pts.length >= 6) {
      ctx.fillStyle = ink;
      ctx.globalAlpha = 0.12;
      ctx.fill();
      ctx.globalAlpha = 1;
    }
    ctx.fillStyle = '#fff';
    ctx.lineWidth = 1.5;
    for (let i = 0; i + 1 < pts.length; i += 2) {
      const p = toScreen(view, { x: pts[i]!, y: pts[i + 1]! });
      const r = i === 0 && o.closing ? 6 : 3.5;
      ctx.beginPath();
      ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
    }
  }
}

/** The keyboard's crosshair: a ring with four ticks, dark-edged so that it shows on light and dark images. */
function drawReticle(ctx: CanvasRenderingContext2D, c: Point, color: string): void {
  const x = Math.round(c.x) + 0.5;
  const y = Math.round(c.y) + 0.5;
  for (const [style, w] of [['rgba(0,0,0,0.7)', 4], [color, 2]] as const) {
    ctx.strokeStyle = style;
    ctx.lineWidth = w;
    ctx.beginPath();
    ctx.arc(x, y, 9, 0, Math.PI * 2);
    for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]] as const) {
      ctx.moveTo(x + dx * 4, y + dy * 4);
      ctx.lineTo(x + dx * 15, y + dy * 15);
    }
    ctx.stroke();
  }
}
